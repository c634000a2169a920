package algorithms

import (
	"gonum.org/v1/gonum/stat/distuv"
)

// SimulatedCustomers are customers drawn from BG/NBD and Gamma-Gamma with known parameters: their summary
// over (0, T] and their purchases in the holdout (T, T+holdout].
type SimulatedCustomers struct {
	CLVCustomers
	Holdout []float64
}

// SimulateCLV draws n customers from BG/NBD bg and Gamma-Gamma gg, seeded: each has an age T uniform in
// [minT, maxT], a rate λ ~ Gamma(r, α), a dropout probability p ~ Beta(a, b); from a first purchase at 0
// they buy at the times of a Poisson process of rate λ and, after each repeat purchase, drop out with
// probability p (the paper's story, which its likelihood describes). Each has a value scale
// ν ~ Gamma(q, rate v), every purchase a value Gamma(p, rate ν); Monetary is the mean of the repeat
// purchases' values (0 without one). Holdout counts the purchases in the holdout units after T.
func SimulateCLV(n int, bg BGNBD, gg GammaGamma, minT, maxT, holdout float64, seed uint64) SimulatedCustomers {
	rng := newSeededRand(seed)
	lambda := distuv.Gamma{Alpha: bg.R, Beta: bg.Alpha, Src: rng}
	drop := distuv.Beta{Alpha: bg.A, Beta: bg.B, Src: rng}
	scale := distuv.Gamma{Alpha: gg.Q, Beta: gg.V, Src: rng}
	s := SimulatedCustomers{CLVCustomers: CLVCustomers{RFT: RFT{
		Frequency: make([]float64, n), Recency: make([]float64, n), T: make([]float64, n)},
		Monetary: make([]float64, n)}, Holdout: make([]float64, n)}
	for i := range n {
		T := minT + rng.Float64()*(maxT-minT)
		l, p := lambda.Rand(), drop.Rand()
		t, x, tx, hold := 0.0, 0, 0.0, 0
		for {
			t += rng.ExpFloat64() / l
			if t > T+holdout {
				break
			}
			if t <= T {
				x, tx = x+1, t
			} else {
				hold++
			}
			if rng.Float64() < p {
				break
			}
		}
		s.Frequency[i], s.Recency[i], s.T[i], s.Holdout[i] = float64(x), tx, T, float64(hold)
		if x > 0 {
			value := distuv.Gamma{Alpha: gg.P, Beta: scale.Rand(), Src: rng}
			sum := 0.0
			for range x {
				sum += value.Rand()
			}
			s.Monetary[i] = sum / float64(x)
		}
	}
	return s
}
