package examples

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// customersHeader is the first line of customers.csv.
const customersHeader = "customer_id,signup_date,country,channel,birth_year,email_opt_in,email\n"

// countryShare is the customer mix by country: a UK shop with a European following.
var countryShare = []struct {
	code  string
	share float64
}{
	{"GB", 0.52}, {"DE", 0.12}, {"FR", 0.09}, {"NL", 0.06}, {"US", 0.05}, {"IE", 0.04}, {"ES", 0.03},
	{"IT", 0.025}, {"BE", 0.02}, {"SE", 0.015}, {"DK", 0.01}, {"PL", 0.01}, {"CH", 0.006}, {"AT", 0.004},
}

var cumulativeCountryShare = func() []float64 {
	cum := make([]float64, len(countryShare))
	total := 0.0
	for i, c := range countryShare {
		total += c.share
		cum[i] = total
	}
	return cum
}()

// Birth years: ages at the window's end are roughly normal, clipped to adults, and some customers never
// said.
const (
	birthYearMissing = 0.05
	meanAge          = 41
	ageSigma         = 14
	minAge, maxAge   = 18, 90
)

// customerAttributes are the descriptive columns of customers.csv; they do not influence orders except
// through the channel's time of day.
type customerAttributes struct {
	country    string
	channel    int
	birthYear  int // 0 when unknown
	emailOptIn bool
}

func drawAttributes(r *rand.Rand, c *calendar, a *archetype) customerAttributes {
	var attrs customerAttributes
	u := r.Float64() * cumulativeCountryShare[len(cumulativeCountryShare)-1]
	i := 0
	for i < len(cumulativeCountryShare)-1 && cumulativeCountryShare[i] <= u {
		i++
	}
	attrs.country = countryShare[i].code

	u = r.Float64() * (a.channelShare[0] + a.channelShare[1] + a.channelShare[2])
	for attrs.channel < channelCount-1 && u >= a.channelShare[attrs.channel] {
		u -= a.channelShare[attrs.channel]
		attrs.channel++
	}

	if r.Float64() >= birthYearMissing {
		age := min(maxAge, max(minAge, int(math.Round(meanAge+ageSigma*r.NormFloat64()))))
		attrs.birthYear = c.endYear - age
	}
	attrs.emailOptIn = r.Float64() < a.emailOptIn
	return attrs
}

// appendCustomerRow appends one line of customers.csv.
func appendCustomerRow(dst []byte, c *calendar, id int64, p *customerPlan, attrs *customerAttributes) []byte {
	dst = strconv.AppendInt(dst, id, 10)
	dst = append(dst, ',')
	dst = append(dst, c.date(p.signupDay)...)
	dst = append(dst, ',')
	dst = append(dst, attrs.country...)
	dst = append(dst, ',')
	dst = append(dst, channelNames[attrs.channel]...)
	dst = append(dst, ',')
	if attrs.birthYear != 0 {
		dst = strconv.AppendInt(dst, int64(attrs.birthYear), 10)
	}
	dst = append(dst, ',')
	dst = strconv.AppendBool(dst, attrs.emailOptIn)
	dst = append(dst, ',')
	dst = appendEmail(dst, id)
	return append(dst, '\n')
}

// appendEmail appends a customer's email address: made from the id, not drawn, so adding it left every
// other column as the seed made it. Every seventh is written as people type them (capitals, a stray
// space), which the hashing of personal columns normalises away.
func appendEmail(dst []byte, id int64) []byte {
	if id%7 == 0 {
		dst = append(dst, " Customer."...)
		dst = strconv.AppendInt(dst, id, 10)
		return append(dst, "@Example.COM"...)
	}
	dst = append(dst, "customer."...)
	dst = strconv.AppendInt(dst, id, 10)
	return append(dst, "@example.com"...)
}
