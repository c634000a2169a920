package algorithms

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// simulateConstantDropout draws n customers as SimulateCLV does, but every customer drops out after a
// purchase with the same probability p: BG/NBD's Beta(a, b) dropout in its limit a, b → ∞ with
// a/(a+b) = p. Maximum likelihood then walks a and b up together (a fit of about a = 2e6, b = 3.5e7 was
// seen on such data), and the predictions must still be numbers.
func simulateConstantDropout(n int, r, alpha, p, minT, maxT float64, seed uint64) CLVCustomers {
	rng := newSeededRand(seed)
	lambda := distuv.Gamma{Alpha: r, Beta: alpha, Src: rng}
	c := CLVCustomers{RFT: RFT{Frequency: make([]float64, n), Recency: make([]float64, n), T: make([]float64, n)},
		Monetary: make([]float64, n)}
	for i := range n {
		T := minT + rng.Float64()*(maxT-minT)
		l := lambda.Rand()
		t, x, tx := 0.0, 0, 0.0
		for {
			t += rng.ExpFloat64() / l
			if t > T {
				break
			}
			x, tx = x+1, t
			if rng.Float64() < p {
				break
			}
		}
		c.Frequency[i], c.Recency[i], c.T[i] = float64(x), tx, T
		if x > 0 {
			c.Monetary[i] = 20 + 10*rng.Float64()
		}
	}
	return c
}

// geometricDropoutPurchases is E[Y(t) | x, t_x, T] for a constant dropout probability p (BG/NBD's limit
// a, b → ∞, a/(a+b) = p), in closed form: alive, a customer's purchases in t have mean (1 - e^{-λpt})/p;
// λ's posterior is Gamma(r+x, α+T); and P(alive) = 1 / (1 + p/(1-p) ((α+T)/(α+t_x))^(r+x)).
func geometricDropoutPurchases(r, alpha, p, t, x, tx, T float64) float64 {
	alive := 1.0
	if x > 0 {
		alive = 1 / (1 + p/(1-p)*math.Pow((alpha+T)/(alpha+tx), r+x))
	}
	return alive * (1 - math.Pow((alpha+T)/(alpha+T+p*t), r+x)) / p
}

func TestCLVConstantDropoutPredicts(t *testing.T) {
	const r, alpha, p = 2.0, 20.0, 0.05
	c := simulateConstantDropout(4000, r, alpha, p, 30, 300, 7)
	bg, _, err := FitBGNBD(c.RFT, 2)
	if err != nil {
		t.Fatalf("fit: %v", err)
	}
	gg := GammaGamma{P: 6, Q: 4, V: 15}
	pred, err := PredictCLV(c, bg, gg, 52, 0.01, 2)
	if err != nil {
		t.Fatalf("BG/NBD %+v (a/(a+b) = %.4f): %v", bg, bg.A/(bg.A+bg.B), err)
	}
	// Against the limit's closed form at the fitted r, α and a/(a+b), when the fit went to the limit.
	if bg.A > 1e4 {
		q := bg.A / (bg.A + bg.B)
		for i := range c.Len() {
			want := geometricDropoutPurchases(bg.R, bg.Alpha, q, 52, c.Frequency[i], c.Recency[i], c.T[i])
			if !relClose(pred.ExpectedPurchases[i], want, 1e-3) {
				t.Fatalf("customer %d: expected purchases %v, the geometric limit %v", i, pred.ExpectedPurchases[i], want)
			}
		}
	}
	t.Logf("BG/NBD %+v", bg)
}

// The hypergeometric terms at parameters far into the limit, directly: no NaN, and the closed form (to
// within what a finite a and b leave of p's spread: a = 5000 is 0.6% from the limit at x = 300).
func TestBGNBDPurchasesAtLargeAB(t *testing.T) {
	for _, ab := range [][3]float64{{2e6, 3.5e7, 1e-4}, {5e3, 1e5, 1e-2}, {1e11, 9e11, 1e-6}} {
		bg := BGNBD{R: 1.5, Alpha: 12, A: ab[0], B: ab[1]}
		q := bg.A / (bg.A + bg.B)
		for _, c := range [][3]float64{{0, 0, 100}, {1, 3, 100}, {7, 80, 100}, {40, 99, 100}, {300, 150, 160}} {
			x, tx, T := c[0], c[1], c[2]
			for _, h := range []float64{1, 52, 520} {
				got := bg.ExpectedPurchases(h, x, tx, T)
				want := geometricDropoutPurchases(bg.R, bg.Alpha, q, h, x, tx, T)
				if !relClose(got, want, ab[2]) {
					t.Errorf("a=%g b=%g x=%v t_x=%v T=%v t=%v: E[Y] = %v, the geometric limit %v", ab[0], ab[1], x, tx, T, h, got, want)
				}
			}
		}
	}
}
