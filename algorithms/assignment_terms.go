package algorithms

// Assignment terms are the constants NearestCentroid and GMMParams.Predict compute with, handed out so an
// assignment can be written elsewhere (as SQL an engine runs beside the data) with the very same
// floating-point operations in the same order, and so give the same labels. They come from the same code
// the Go assignment uses (nearestFinder.setCentroids, GMMParams.evaluator), not from a second derivation.

// NearestTerms are the scores nearestFinder ranks centroids by: for a row x of d features,
//
//	score_j = Bias[j] - Σ_g ((x[4g]·Twice[j][4g] + x[4g+1]·Twice[j][4g+1]) + (x[4g+2]·Twice[j][4g+2] + x[4g+3]·Twice[j][4g+3]))
//
// subtracting one group of four features at a time, g = 0, 1, ..., features beyond d absent (Go adds their
// products with zero padding, which changes no sum), and the row goes to the lowest j with the least score.
type NearestTerms struct {
	Bias  []float64
	Twice [][]float64
}

// NearestCentroidTerms is the terms NearestCentroid ranks the centroids by; nil for malformed centroids.
func NearestCentroidTerms(centroids *Matrix) *NearestTerms {
	if centroids == nil || centroids.Rows < 1 || centroids.Cols < 1 || len(centroids.Data) != centroids.Rows*centroids.Cols {
		return nil
	}
	k, d := centroids.Rows, centroids.Cols
	f := newNearestFinder(k, d)
	f.setCentroids(centroids.Data)
	t := &NearestTerms{Bias: append([]float64(nil), f.bias...), Twice: make([][]float64, k)}
	for j := range k {
		t.Twice[j] = make([]float64, d)
		for m := range d {
			t.Twice[j][m] = f.packed[(m/4)*4*k+4*j+m%4]
		}
	}
	return t
}

// GMMTerms are what GMMParams.Predict computes each component's weighted log-density with: for a row x,
// diff = x - Means[j] feature by feature, and
//
//	log w_j + log N(x | j) = LogConst[j] - 0.5·sq,  sq = Σ_r y_r² summed in order r = 0..d-1
//
// where y_r = Σ_{c=0..r} Lower[j][r·d+c]·diff_c summed in order for full and tied covariances (Lower is
// the precision's Cholesky factor transposed, row-major), and y_r = diff_r·Scale[j][r] for diag and
// spherical ones. A row goes to the first component of greatest log-density; its probability is
// 1 / Σ_j exp(logdensity_j - max), summed in order.
type GMMTerms struct {
	Means    [][]float64
	Lower    [][]float64 // full and tied; nil otherwise
	Scale    [][]float64 // diag and spherical; nil otherwise
	LogConst []float64
}

// LogDensityTerms is the terms of the mixture's log-densities, or the error Predict would give for a
// malformed mixture.
func (g *GMMParams) LogDensityTerms() (*GMMTerms, error) {
	e, err := g.evaluator()
	if err != nil {
		return nil, err
	}
	k, d := e.k, e.d
	t := &GMMTerms{Means: make([][]float64, k), LogConst: append([]float64(nil), e.logConst...)}
	for j := range k {
		t.Means[j] = append([]float64(nil), e.means[j*d:(j+1)*d]...)
		if e.lower != nil {
			t.Lower = append(t.Lower, append([]float64(nil), e.lower[j*d*d:(j+1)*d*d]...))
		} else {
			t.Scale = append(t.Scale, append([]float64(nil), e.scale[j*d:(j+1)*d]...))
		}
	}
	return t, nil
}

// NearestScores is the terms' score of each centroid for row x, computed as the terms' doc writes it: what
// an assignment written elsewhere must reproduce, bit for bit, to give NearestCentroid's labels.
func NearestScores(t *NearestTerms, x []float64) []float64 {
	out := make([]float64, len(t.Bias))
	for j, s := range t.Bias {
		c := t.Twice[j]
		for g := 0; 4*g < len(x); g++ {
			var pairs [2]float64
			for p := range pairs {
				for m := 4*g + 2*p; m < min(4*g+2*p+2, len(x)); m++ {
					pairs[p] += x[m] * c[m]
				}
			}
			s -= pairs[0] + pairs[1]
		}
		out[j] = s
	}
	return out
}

// GMMLogDensities is each component's weighted log-density of row x, computed as the terms' doc writes it.
func GMMLogDensities(t *GMMTerms, x []float64) []float64 {
	d := len(x)
	out := make([]float64, len(t.LogConst))
	diff := make([]float64, d)
	for j := range out {
		for m := range diff {
			diff[m] = x[m] - t.Means[j][m]
		}
		sq := 0.0
		for r := range d {
			y := 0.0
			if t.Lower != nil {
				for c := 0; c <= r; c++ {
					y += t.Lower[j][r*d+c] * diff[c]
				}
			} else {
				y = diff[r] * t.Scale[j][r]
			}
			sq += y * y
		}
		out[j] = t.LogConst[j] - 0.5*sq
	}
	return out
}
