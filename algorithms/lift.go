package algorithms

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Lift statistics for segrun measure: a treatment group (reached by a campaign) against its holdout
// (control), on a rate (the share of members who converted) or a mean (revenue per member).
//
// Choices, documented in docs/measurement.md:
//   - rates: the absolute lift's 95% interval is Newcombe's hybrid score interval (Wilson intervals of
//     each rate combined), which keeps its coverage for small groups and rates near 0 where Wald's does
//     not; the p-value is the two-proportion z test with the pooled rate (the test statsmodels'
//     proportions_ztest makes).
//   - means: Welch's t (unequal variances), its interval on Welch–Satterthwaite degrees of freedom.
//   - relative lift (treatment/control − 1), for both: the delta method on the ratio of the two means,
//     with a normal quantile.
//   - power: the minimum detectable effect at 95% confidence and 80% power, from the control's variance
//     and both groups' sizes; a warning when it exceeds the lift the caller wants to detect.

// LiftConfidence and LiftPower are the interval's level and the power of the minimum detectable effect.
const (
	LiftConfidence = 0.95
	LiftPower      = 0.80
)

// LiftGroup is one group's summary: its size, the metric's mean (a rate for conversions), and the
// variance of one member's value (p(1-p) for a rate; the sample variance, n-1, for a mean).
type LiftGroup struct {
	N        int     `json:"members"`
	Metric   float64 `json:"metric"`
	Variance float64 `json:"variance"`
	// Successes counts the converted members of a rate.
	Successes int `json:"successes,omitempty"`
}

// RateGroup summarises a group of n members of whom successes converted.
func RateGroup(n, successes int) LiftGroup {
	g := LiftGroup{N: n, Successes: successes}
	if n > 0 {
		g.Metric = float64(successes) / float64(n)
		g.Variance = g.Metric * (1 - g.Metric)
	}
	return g
}

// MeanGroup summarises a group by its members' values (zero for a member without any outcome).
func MeanGroup(values []float64) LiftGroup {
	g := LiftGroup{N: len(values)}
	if len(values) > 0 {
		var v float64
		g.Metric, v = meanVariance(values)
		if n := float64(len(values)); n > 1 {
			g.Variance = v * n / (n - 1) // the sample variance Welch's t reads
		}
	}
	return g
}

// Estimate is a value with its 95% interval.
type Estimate struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// Lift is treatment against control.
type Lift struct {
	Kind      string    `json:"kind"` // rate or mean
	Treatment LiftGroup `json:"treatment"`
	Control   LiftGroup `json:"control"`
	// Absolute is treatment − control; Relative is treatment/control − 1, nil when the control's metric
	// is 0 (no ratio to speak of).
	Absolute Estimate  `json:"absolute"`
	Relative *Estimate `json:"relative,omitempty"`
	// Statistic is z (rates) or Welch's t (means); DF is Welch's degrees of freedom (0 for rates).
	Statistic float64 `json:"statistic"`
	DF        float64 `json:"df,omitempty"`
	PValue    float64 `json:"p_value"`
	// MDE is the smallest absolute lift these group sizes detect at 95% confidence with 80% power;
	// MDERelative the same over the control's metric (0 when that is 0).
	MDE         float64  `json:"mde"`
	MDERelative float64  `json:"mde_relative"`
	Warnings    []string `json:"warnings,omitempty"`
}

// ErrLiftEmptyGroup is a comparison one of whose groups has no members: there is nothing to compare.
type ErrLiftEmptyGroup struct{ Group string }

func (e ErrLiftEmptyGroup) Error() string {
	return fmt.Sprintf("the %s group has no members: there is nothing to compare", e.Group)
}

var unitNormal = distuv.Normal{Mu: 0, Sigma: 1}

// liftZ is the normal quantile of the two-sided interval, and of the power.
func liftZ() (alpha, power float64) {
	return unitNormal.Quantile(1 - (1-LiftConfidence)/2), unitNormal.Quantile(LiftPower)
}

// RateLift compares two rates. minLift (relative, e.g. 0.05; 0 for none) is the lift the caller wants
// to be able to detect: a warning says when the groups are too small for it.
func RateLift(t, c LiftGroup, minLift float64) (Lift, error) {
	l := Lift{Kind: "rate", Treatment: t, Control: c}
	if err := liftGroupsFilled(t, c); err != nil {
		return l, err
	}
	z, zp := liftZ()
	d := t.Metric - c.Metric
	tl, th := wilson(t.Successes, t.N, z)
	cl, ch := wilson(c.Successes, c.N, z)
	l.Absolute = Estimate{Value: d,
		Low:  d - math.Sqrt(sq(t.Metric-tl)+sq(ch-c.Metric)),
		High: d + math.Sqrt(sq(th-t.Metric)+sq(c.Metric-cl))}
	pooled := float64(t.Successes+c.Successes) / float64(t.N+c.N)
	se := math.Sqrt(pooled * (1 - pooled) * (1/float64(t.N) + 1/float64(c.N)))
	if se > 0 {
		l.Statistic = d / se
		l.PValue = 2 * unitNormal.Survival(math.Abs(l.Statistic))
	} else {
		l.PValue = 1 // every member converted, or none did, in both groups
	}
	l.relative(z)
	l.MDE = (z + zp) * math.Sqrt(c.Variance*(1/float64(t.N)+1/float64(c.N)))
	l.power(minLift)
	if min(t.Successes, t.N-t.Successes, c.Successes, c.N-c.Successes) < 5 {
		l.Warnings = append(l.Warnings, "fewer than 5 conversions (or non-conversions) in a group: the normal approximation behind the p-value is rough")
	}
	return l, nil
}

// MeanLift compares two means with Welch's t.
func MeanLift(t, c LiftGroup, minLift float64) (Lift, error) {
	l := Lift{Kind: "mean", Treatment: t, Control: c}
	if err := liftGroupsFilled(t, c); err != nil {
		return l, err
	}
	z, zp := liftZ()
	d := t.Metric - c.Metric
	vt, vc := t.Variance/float64(t.N), c.Variance/float64(c.N)
	se := math.Sqrt(vt + vc)
	l.Absolute = Estimate{Value: d, Low: d, High: d}
	switch {
	case t.N < 2 || c.N < 2:
		l.PValue = 1
		l.Warnings = append(l.Warnings, "a group has fewer than 2 members: its variance, and so the interval and p-value, are unknown")
	case se == 0:
		// Every member of both groups has the same value within its group: the difference is exact.
		l.PValue = 1
		if d != 0 {
			l.PValue = 0
		}
	default:
		l.DF = sq(vt+vc) / (sq(vt)/float64(t.N-1) + sq(vc)/float64(c.N-1))
		student := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: l.DF}
		l.Statistic = d / se
		l.PValue = 2 * student.Survival(math.Abs(l.Statistic))
		h := student.Quantile(1-(1-LiftConfidence)/2) * se
		l.Absolute.Low, l.Absolute.High = d-h, d+h
	}
	l.relative(z)
	l.MDE = (z + zp) * math.Sqrt(c.Variance*(1/float64(t.N)+1/float64(c.N)))
	l.power(minLift)
	if t.N < 30 || c.N < 30 {
		l.Warnings = append(l.Warnings, "a group has fewer than 30 members: Welch's t assumes its mean is about normal, which a skewed metric such as revenue is not at this size")
	}
	return l, nil
}

func liftGroupsFilled(t, c LiftGroup) error {
	if t.N <= 0 {
		return ErrLiftEmptyGroup{"treatment"}
	}
	if c.N <= 0 {
		return ErrLiftEmptyGroup{"control"}
	}
	return nil
}

// relative sets the relative lift by the delta method: Var(mt/mc) ≈ Var(mt)/mc² + mt²·Var(mc)/mc⁴.
func (l *Lift) relative(z float64) {
	t, c := l.Treatment, l.Control
	if c.Metric == 0 {
		return
	}
	r := t.Metric / c.Metric
	v := t.Variance/float64(t.N)/sq(c.Metric) + sq(t.Metric)*c.Variance/float64(c.N)/sq(sq(c.Metric))
	h := z * math.Sqrt(v)
	l.Relative = &Estimate{Value: r - 1, Low: r - 1 - h, High: r - 1 + h}
}

// power sets the relative MDE and warns when it is above minLift.
func (l *Lift) power(minLift float64) {
	if l.Control.Metric != 0 {
		l.MDERelative = l.MDE / math.Abs(l.Control.Metric)
	}
	switch {
	case minLift <= 0:
		return
	case l.MDE == 0:
		// The formula's 0 here is the control's missing variance, not a power to see any lift.
		l.Warnings = append(l.Warnings, fmt.Sprintf("cannot tell which lift %d treated and %d held out can detect: the held-out group's values do not vary (its rate or mean is %.3g), so it gives no variance to size the test by",
			l.Treatment.N, l.Control.N, l.Control.Metric))
		return
	case l.Control.Metric == 0:
		l.Warnings = append(l.Warnings, fmt.Sprintf("cannot tell which relative lift %d treated and %d held out can detect: the held-out group's mean is 0; the smallest absolute lift detectable at 95%% confidence and 80%% power is %.3g",
			l.Treatment.N, l.Control.N, l.MDE))
		return
	}
	if minLift > 0 && l.MDERelative > minLift {
		l.Warnings = append(l.Warnings, fmt.Sprintf("groups too small to detect a %.3g%% lift: with %d treated and %d held out, the smallest lift detectable at 95%% confidence and 80%% power is %.3g%%",
			100*minLift, l.Treatment.N, l.Control.N, 100*l.MDERelative))
	}
}

// wilson is Wilson's score interval of the rate x/n.
func wilson(x, n int, z float64) (lo, hi float64) {
	p, fn := float64(x)/float64(n), float64(n)
	den := 1 + z*z/fn
	center := (p + z*z/(2*fn)) / den
	half := z / den * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn))
	return center - half, center + half
}

func sq(x float64) float64 { return x * x }
