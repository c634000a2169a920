package examples

import (
	"math/rand/v2"
	"time"
)

// secondsPerDay converts between day numbers and timestamps; every timestamp the generator handles is
// seconds since midnight UTC of the window's first day.
const secondsPerDay = 86400

// monthWeight is the yearly seasonality of shop traffic, January first: a summer dip, then the run-up
// to Christmas. Weights are relative; dayProfile normalises them.
var monthWeight = [12]float64{0.85, 0.78, 0.88, 0.92, 0.95, 0.85, 0.78, 0.80, 0.95, 1.02, 1.22, 1.38}

// weekdayWeight is the weekly pattern, Sunday first (time.Weekday order): weekends are busiest.
var weekdayWeight = [7]float64{1.22, 0.90, 0.86, 0.90, 0.96, 1.06, 1.28}

// Special days on top of month and weekday: Black Friday (the day after the fourth Thursday of November)
// and the weekend to Cyber Monday spike; Christmas Day is quiet and Boxing Day is a sale day.
const (
	blackFridayWeight  = 3.0
	cyberWeekendWeight = 1.8
	christmasDayWeight = 0.35
	boxingDayWeight    = 1.6
)

// yearlyGrowth makes the shop grow a little over the window, so that later periods are slightly busier.
const yearlyGrowth = 0.08

// Seasonal shoppers buy mostly for Christmas: their day weights in November and December are multiplied
// by seasonalPeakBoost and elsewhere by seasonalOffPeak, which puts about three quarters of their orders
// into those two months.
const (
	seasonalPeakBoost = 4.0
	seasonalOffPeak   = 0.40
)

// giftBasketUplift scales baskets in November and December: people buy presents.
const giftBasketUplift = 1.15

// onlineHourWeight is when web and app orders are placed, hour 0 first: little at night, a lunchtime
// bump and an evening peak.
var onlineHourWeight = [24]float64{
	0.8, 0.45, 0.25, 0.15, 0.12, 0.2, 0.5, 1.2, 2.2, 2.8, 3.2, 3.6,
	4.1, 4.0, 3.5, 3.4, 3.5, 3.8, 4.3, 5.0, 5.4, 5.0, 3.6, 1.8,
}

// storeHourWeight is when store purchases happen: opening hours only, busiest at lunchtime and on the way
// home.
var storeHourWeight = [24]float64{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 1.6, 2.6, 3.2,
	4.4, 4.2, 3.4, 3.3, 3.8, 4.6, 4.0, 2.4, 0.8, 0, 0, 0,
}

// calendar holds everything that depends only on the order window: the formatted dates and the
// cumulative day and hour weights that order times are drawn from. It is built once per generation and
// shared read-only by the workers.
type calendar struct {
	// days is the length of the window; day numbers 0..days-1 are inside it.
	days int
	// firstDay is the earliest day number (negative: before the window) that can be formatted; signups go
	// back that far.
	firstDay int
	// dates holds "YYYY-MM-DD" for day numbers firstDay..days-1, 10 bytes each, so that formatting a date
	// is a copy.
	dates []byte
	// general is the day profile of ordinary shopping; seasonal that of Christmas shoppers.
	general, seasonal dayProfile
	// online and store draw the time of day of an order by channel.
	online, store hourProfile
	// basketFactor scales the basket size of orders placed on each day of the window.
	basketFactor []float64
	// endYear is the calendar year of the window's last day; ages are counted from it.
	endYear int
}

// signupHistoryYears is how far before the window signups of long-standing customers reach.
const signupHistoryYears = 6

func newCalendar(start, end time.Time) *calendar {
	days := int(end.Sub(start)/(24*time.Hour)) + 1
	historyStart := start.AddDate(-signupHistoryYears, 0, 0)
	firstDay := -int(start.Sub(historyStart) / (24 * time.Hour))
	c := &calendar{days: days, firstDay: firstDay, endYear: end.Year()}

	c.dates = make([]byte, 0, (days-firstDay)*10)
	for d := firstDay; d < days; d++ {
		c.dates = start.AddDate(0, 0, d).AppendFormat(c.dates, time.DateOnly)
	}

	general := make([]float64, days)
	seasonal := make([]float64, days)
	c.basketFactor = make([]float64, days)
	for d := range days {
		t := start.AddDate(0, 0, d)
		w := monthWeight[t.Month()-1] * weekdayWeight[t.Weekday()] * specialDayWeight(t)
		w *= 1 + yearlyGrowth*float64(d)/365
		general[d] = w
		if t.Month() >= time.November {
			seasonal[d] = w * seasonalPeakBoost
			c.basketFactor[d] = giftBasketUplift
		} else {
			seasonal[d] = w * seasonalOffPeak
			c.basketFactor[d] = 1
		}
	}
	c.general = newDayProfile(general)
	c.seasonal = newDayProfile(seasonal)
	c.online = newHourProfile(onlineHourWeight)
	c.store = newHourProfile(storeHourWeight)
	return c
}

// specialDayWeight is the extra weight of t's date for the retail calendar's special days.
func specialDayWeight(t time.Time) float64 {
	switch {
	case t.Month() == time.December && t.Day() == 25:
		return christmasDayWeight
	case t.Month() == time.December && t.Day() == 26:
		return boxingDayWeight
	case t.Month() != time.November:
		return 1
	}
	blackFriday := blackFridayDay(t.Year())
	switch d := t.Day(); {
	case d == blackFriday:
		return blackFridayWeight
	case d > blackFriday && d <= blackFriday+3:
		return cyberWeekendWeight
	}
	return 1
}

// blackFridayDay is the November day of month of Black Friday in year.
func blackFridayDay(year int) int {
	first := time.Date(year, time.November, 1, 0, 0, 0, 0, time.UTC).Weekday()
	firstThursday := 1 + (int(time.Thursday)-int(first)+7)%7
	return firstThursday + 21 + 1
}

// date returns the formatted date of day number d.
func (c *calendar) date(d int) []byte {
	i := (d - c.firstDay) * 10
	return c.dates[i : i+10]
}

// dayProfile draws days with probability proportional to their weight, restricted to any sub-range of the
// window. Weights are scaled so that the mean weight over the window is 1 for the general profile; mass
// therefore reads as "days' worth of ordinary shopping".
type dayProfile struct {
	// cum[d] is the total weight of days before d; len(cum) = days+1.
	cum []float64
}

func newDayProfile(weights []float64) dayProfile {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	scale := float64(len(weights)) / total
	cum := make([]float64, len(weights)+1)
	for d, w := range weights {
		cum[d+1] = cum[d] + w*scale
	}
	return dayProfile{cum: cum}
}

// mass is the total weight of days first..last (inclusive).
func (p *dayProfile) mass(first, last int) float64 { return p.cum[last+1] - p.cum[first] }

// sample draws a day in first..last (inclusive) by weight, by bisecting the cumulative weights.
func (p *dayProfile) sample(r *rand.Rand, first, last int) int {
	u := p.cum[first] + r.Float64()*(p.cum[last+1]-p.cum[first])
	lo, hi := first, last // invariant: the answer is in lo..hi
	for lo < hi {
		mid := int(uint(lo+hi+1) >> 1)
		if p.cum[mid] <= u {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// hourProfile draws a second of the day: the hour by weight, then uniformly within the hour.
type hourProfile struct {
	cum [25]float64
}

func newHourProfile(weights [24]float64) hourProfile {
	var p hourProfile
	total := 0.0
	for _, w := range weights {
		total += w
	}
	for h, w := range weights {
		p.cum[h+1] = p.cum[h] + w/total
	}
	return p
}

// sample returns a second of the day, 0..86399.
func (p *hourProfile) sample(r *rand.Rand) int {
	u := r.Float64()
	h := 0
	// Hours with zero weight are never chosen: cum does not increase across them, and the scan stops at
	// the first hour whose upper bound exceeds u.
	for h < 23 && p.cum[h+1] <= u {
		h++
	}
	return h*3600 + r.IntN(3600)
}
