package examples

import (
	"math"
	"math/rand/v2"
)

// archetypeID names a kind of customer; the generator never writes it out, so that segmentation has to
// rediscover it from behaviour.
type archetypeID uint8

const (
	loyalHighValue archetypeID = iota
	regularShopper
	bargainHunter
	seasonalShopper
	oneTimer
	churnedShopper
	newShopper
	archetypeCount
)

// Channels, in the order of archetype.channelShare.
const (
	channelWeb = iota
	channelApp
	channelStore
	channelCount
)

var channelNames = [channelCount]string{"web", "app", "store"}

// archetype holds the behavioural parameters of one kind of customer. The lifecycle (when a customer
// signs up and when they are active) is per archetype too, in drawPlan.
type archetype struct {
	name string
	// share is the fraction of customers of this kind.
	share float64
	// ordersPerYear is the mean order rate while active, at average seasonality; each customer's own rate
	// is this times a lognormal factor with mean 1 (rateSpread).
	ordersPerYear float64
	// basketMedian (currency units) and basketSigma are the lognormal basket size of one order, before the
	// customer's own spend factor.
	basketMedian, basketSigma float64
	// refundRate is the chance that an order is (partly) refunded later.
	refundRate float64
	// seasonal shoppers draw their order days from the Christmas-heavy profile.
	seasonal bool
	// emailOptIn is the chance of having opted in to marketing email.
	emailOptIn float64
	// channelShare is the split over web, app and store.
	channelShare [channelCount]float64
}

// archetypes is the customer mix. The shares sum to 1; with these rates the overall mean is about nine
// orders per customer over the default two-year window.
var archetypes = [archetypeCount]archetype{
	loyalHighValue:  {"loyal high-value", 0.06, 17.5, 85, 0.55, 0.025, false, 0.75, [3]float64{0.45, 0.40, 0.15}},
	regularShopper:  {"regular", 0.24, 5.3, 45, 0.60, 0.020, false, 0.55, [3]float64{0.55, 0.30, 0.15}},
	bargainHunter:   {"bargain hunter", 0.12, 9, 16, 0.45, 0.015, false, 0.60, [3]float64{0.68, 0.27, 0.05}},
	seasonalShopper: {"seasonal", 0.12, 3.5, 60, 0.65, 0.030, true, 0.45, [3]float64{0.55, 0.20, 0.25}},
	oneTimer:        {"one-timer", 0.18, 0, 38, 0.70, 0.040, false, 0.25, [3]float64{0.60, 0.15, 0.25}},
	churnedShopper:  {"churned", 0.16, 7, 40, 0.60, 0.025, false, 0.40, [3]float64{0.55, 0.30, 0.15}},
	newShopper:      {"new", 0.12, 9, 42, 0.60, 0.020, false, 0.55, [3]float64{0.50, 0.40, 0.10}},
}

// Lifecycle parameters, in days.
const (
	// oneTimerActiveDays is how long after signing up a one-timer places their single order.
	oneTimerActiveDays = 45
	// newSignupDays is how far back from the window's end new customers sign up.
	newSignupDays = 270
	// churnMinActiveDays is the least time a churned customer stays active before stopping.
	churnMinActiveDays = 60
	// churnNoticeDays keeps churn dates this far from the window's end, so churned customers are
	// visibly gone by then.
	churnNoticeDays = 30
)

// rateSpread is the sigma of the lognormal factor on each customer's order rate: customers of one kind
// differ.
const rateSpread = 0.5

// spendSpread is the sigma of the lognormal factor on each customer's basket sizes.
const spendSpread = 0.3

// signupOrderChance is the chance that a customer who signs up inside the window places their first
// order on the signup day (signing up at checkout).
const signupOrderChance = 0.6

// customerPlan is what must be known about a customer before their rows are written: enough to count
// their rows, so that order ids can be handed out before generation. drawPlan draws it as the first thing
// from the customer's random stream, so that the counting pass and the writing pass agree.
type customerPlan struct {
	kind archetypeID
	// signupDay is a day number, negative for signups before the window.
	signupDay int
	// firstDay..lastDay (inclusive, inside the window) is when the customer places orders.
	firstDay, lastDay int
	orders, refunds   int
	// spend scales every basket of this customer.
	spend float64
}

// cumulativeArchetypeShare is the running sum of archetype shares, for drawing a kind.
var cumulativeArchetypeShare = func() (cum [archetypeCount]float64) {
	total := 0.0
	for k, a := range archetypes {
		total += a.share
		cum[k] = total
	}
	return cum
}()

// drawPlan draws a customer's kind, lifecycle and row counts. Every customer gets at least one order, so
// that every customer has a recency; a window of a few days is enough for that.
func drawPlan(r *rand.Rand, c *calendar) customerPlan {
	var p customerPlan
	u := r.Float64() * cumulativeArchetypeShare[archetypeCount-1]
	for p.kind < archetypeCount-1 && cumulativeArchetypeShare[p.kind] <= u {
		p.kind++
	}
	last := c.days - 1
	switch p.kind {
	case loyalHighValue:
		p.signupDay = signupEarlyOrIn(r, c, 0.85, 180)
	case regularShopper, bargainHunter:
		p.signupDay = signupEarlyOrIn(r, c, 0.70, c.days*6/10)
	case seasonalShopper:
		p.signupDay = signupEarlyOrIn(r, c, 0.80, c.days*45/100)
	case oneTimer:
		p.signupDay = uniformDay(r, -60, last)
	case churnedShopper:
		p.signupDay = signupEarlyOrIn(r, c, 0.60, c.days/2)
	case newShopper:
		p.signupDay = uniformDay(r, max(0, last-newSignupDays), last)
	}
	p.firstDay = max(0, p.signupDay)
	p.lastDay = last
	switch p.kind {
	case oneTimer:
		p.lastDay = min(last, p.firstDay+oneTimerActiveDays)
	case churnedShopper:
		p.lastDay = uniformDay(r, min(last, p.firstDay+churnMinActiveDays), max(p.firstDay, last-churnNoticeDays))
		p.lastDay = max(p.lastDay, p.firstDay)
	}

	a := &archetypes[p.kind]
	if p.kind == oneTimer {
		p.orders = 1
	} else {
		profile := &c.general
		if a.seasonal {
			profile = &c.seasonal
		}
		rate := a.ordersPerYear / 365 * lognormalMeanOne(r, rateSpread)
		p.orders = max(1, poisson(r, rate*profile.mass(p.firstDay, p.lastDay)))
	}
	for range p.orders {
		if r.Float64() < a.refundRate {
			p.refunds++
		}
	}
	p.spend = lognormalMeanOne(r, spendSpread)
	return p
}

// signupEarlyOrIn draws the signup day of a customer who, with probability early, was already a customer
// before the window (up to signupHistoryYears before), and otherwise signed up in its first inDays days.
func signupEarlyOrIn(r *rand.Rand, c *calendar, early float64, inDays int) int {
	if r.Float64() < early {
		return uniformDay(r, c.firstDay, -1)
	}
	return uniformDay(r, 0, max(0, min(inDays, c.days-1)))
}

// uniformDay draws a day number in lo..hi (inclusive); hi < lo yields lo.
func uniformDay(r *rand.Rand, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// lognormalMeanOne draws exp(sigma*Z - sigma²/2), a positive factor with mean 1.
func lognormalMeanOne(r *rand.Rand, sigma float64) float64 {
	return math.Exp(sigma*r.NormFloat64() - sigma*sigma/2)
}

// poisson draws a Poisson count with mean lambda: Knuth's product of uniforms for small means, and the
// rounded normal approximation above 30, where it is close enough for order counts and keeps the cost
// bounded.
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	limit := math.Exp(-lambda)
	n := 0
	for prod := r.Float64(); prod > limit; prod *= r.Float64() {
		n++
	}
	return n
}
