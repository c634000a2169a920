package examples

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// ordersHeader is the first line of orders.csv. A peer benchmark reads the file with pandas
// (parse_dates=["ordered_at"]), so the columns, their order and their formats are fixed.
const ordersHeader = "customer_id,order_id,ordered_at,amount\n"

// Basket bounds in cents: nothing is free, and no single order is absurd.
const (
	minBasketCents = 199
	maxBasketCents = 999_999
)

// Refund parameters: most refunds return the whole order, the rest part of it; they come a few days
// after the order (exponential, at most refundMaxDays), during business hours.
const (
	fullRefundChance  = 0.75
	refundMeanDays    = 6
	refundMaxDays     = 60
	partialRefundLow  = 0.10
	partialRefundHigh = 0.90
)

// orderScratch is a worker's reusable per-customer storage, so that generating orders allocates nothing.
type orderScratch struct {
	times    []int64 // seconds since the window's start
	cents    []int64
	refunded []bool
}

// appendCustomerOrders draws a customer's orders and refunds and appends their lines to dst. Orders get
// ids firstOrderID.. in time order; refunds follow with their own ids, each for a different earlier order
// of the same customer, with a negative amount.
func appendCustomerOrders(dst []byte, r *rand.Rand, c *calendar, s *orderScratch, id, firstOrderID int64,
	p *customerPlan, attrs *customerAttributes) []byte {
	a := &archetypes[p.kind]
	profile := &c.general
	if a.seasonal {
		profile = &c.seasonal
	}
	hours := &c.online
	if attrs.channel == channelStore {
		hours = &c.store
	}

	s.times = s.times[:0]
	for i := range p.orders {
		var day int
		if i == 0 && p.signupDay >= 0 && r.Float64() < signupOrderChance {
			day = p.signupDay
		} else {
			day = profile.sample(r, p.firstDay, p.lastDay)
		}
		s.times = append(s.times, int64(day)*secondsPerDay+int64(hours.sample(r)))
	}
	slices.Sort(s.times)

	s.cents = s.cents[:0]
	for _, t := range s.times {
		basket := a.basketMedian * p.spend * math.Exp(a.basketSigma*r.NormFloat64()) * c.basketFactor[t/secondsPerDay]
		cents := min(maxBasketCents, max(minBasketCents, int64(math.Round(basket*100))))
		s.cents = append(s.cents, cents)
	}

	orderID := firstOrderID
	for i, t := range s.times {
		dst = appendOrderRow(dst, c, id, orderID, t, s.cents[i])
		orderID++
	}

	s.refunded = append(s.refunded[:0], make([]bool, p.orders)...)
	windowEnd := int64(c.days) * secondsPerDay
	for range p.refunds {
		// refunds <= orders, so probing onwards from a random order always finds one not yet refunded.
		j := r.IntN(p.orders)
		for s.refunded[j] {
			j = (j + 1) % p.orders
		}
		s.refunded[j] = true

		refund := s.cents[j]
		if r.Float64() >= fullRefundChance {
			share := partialRefundLow + (partialRefundHigh-partialRefundLow)*r.Float64()
			refund = max(1, int64(math.Round(float64(refund)*share)))
		}

		ordered := s.times[j]
		delayDays := 1 + min(refundMaxDays-1, int64(r.ExpFloat64()*refundMeanDays))
		at := (ordered/secondsPerDay+delayDays)*secondsPerDay + int64(c.store.sample(r))
		if at >= windowEnd {
			// Refunds stay inside the window: squeeze a late one between the order and the window's end.
			at = ordered
			if remaining := windowEnd - 1 - ordered; remaining > 0 {
				at += 1 + r.Int64N(remaining)
			}
		}
		dst = appendOrderRow(dst, c, id, orderID, at, -refund)
		orderID++
	}
	return dst
}

// appendOrderRow appends one line of orders.csv: ordered_at as "YYYY-MM-DD HH:MM:SS" and the amount as a
// plain decimal with two digits.
func appendOrderRow(dst []byte, c *calendar, customerID, orderID, at, cents int64) []byte {
	dst = strconv.AppendInt(dst, customerID, 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, orderID, 10)
	dst = append(dst, ',')
	dst = append(dst, c.date(int(at/secondsPerDay))...)
	dst = append(dst, ' ')
	dst = appendClock(dst, int(at%secondsPerDay))
	dst = append(dst, ',')
	dst = appendCents(dst, cents)
	return append(dst, '\n')
}

// appendClock appends "HH:MM:SS" for a second of the day.
func appendClock(dst []byte, sec int) []byte {
	dst = appendTwoDigits(dst, sec/3600)
	dst = append(dst, ':')
	dst = appendTwoDigits(dst, sec/60%60)
	dst = append(dst, ':')
	return appendTwoDigits(dst, sec%60)
}

// appendCents appends an amount in cents as a decimal with exactly two fraction digits, e.g. -12.05.
func appendCents(dst []byte, cents int64) []byte {
	if cents < 0 {
		dst = append(dst, '-')
		cents = -cents
	}
	dst = strconv.AppendInt(dst, cents/100, 10)
	dst = append(dst, '.')
	return appendTwoDigits(dst, int(cents%100))
}

func appendTwoDigits(dst []byte, v int) []byte {
	return append(dst, byte('0'+v/10), byte('0'+v%10))
}
