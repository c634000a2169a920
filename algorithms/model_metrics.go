package algorithms

import (
	"cmp"
	"math"
	"slices"
)

// Metrics of a model on its test part, computed as scikit-learn's sklearn.metrics compute them (the
// golden tests hold them to its answers for the same predictions):
//
//   - accuracy; precision, recall and F1 of the positive class (the second of two classes, sorted) or,
//     with more classes, their unweighted means over the classes (average="macro"); 0 where undefined
//     (zero_division=0).
//   - ROC AUC: the Mann-Whitney statistic (ties count half), equal to the area under the ROC curve; with
//     more classes the mean of each class's one-vs-rest AUC (multi_class="ovr", average="macro"). Undefined
//     (NaN, omitted) when the test part has one class only.
//   - log loss: the mean of -log p(true class), probabilities clipped to [eps, 1-eps] with eps the float64
//     machine epsilon (log_loss's eps="auto").
//   - the confusion matrix, rows the true class and columns the predicted one.
//   - calibration (two classes): ten equal-width bins of the predicted probability of the positive class,
//     the bins with rows (calibration_curve(n_bins=10, strategy="uniform")).
//   - lift by decile (two classes): test rows by descending score in ten groups as equal as possible (the
//     first ones one row larger, numpy's array_split), ties in input order; each group's positive rate over
//     the whole test part's.
//   - regression: RMSE, MAE, R² (1 - SS_res / SS_tot).

// ClassMetrics are a classifier's test metrics.
type ClassMetrics struct {
	Rows      int                `json:"rows"`
	Accuracy  float64            `json:"accuracy"`
	Precision float64            `json:"precision"`
	Recall    float64            `json:"recall"`
	F1        float64            `json:"f1"`
	ROCAUC    *float64           `json:"roc_auc,omitempty"`
	LogLoss   float64            `json:"log_loss"`
	Confusion [][]int            `json:"confusion"`
	Calibrate []CalibrationBin   `json:"calibration,omitempty"`
	Lift      []LiftDecile       `json:"lift,omitempty"`
	PerClass  []ClassPerformance `json:"per_class,omitempty"`
}

// ClassPerformance is one class's precision, recall and F1, and its count among the test rows.
type ClassPerformance struct {
	Class     string  `json:"class"`
	Support   int     `json:"support"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// CalibrationBin is one bin of predicted probability: its rows, their mean prediction and observed rate.
type CalibrationBin struct {
	Lower     float64 `json:"lower"`
	Upper     float64 `json:"upper"`
	Rows      int     `json:"rows"`
	Predicted float64 `json:"predicted"`
	Observed  float64 `json:"observed"`
}

// LiftDecile is one tenth of the test rows by descending score.
type LiftDecile struct {
	Decile    int     `json:"decile"`
	Rows      int     `json:"rows"`
	Positives int     `json:"positives"`
	Rate      float64 `json:"rate"`
	Lift      float64 `json:"lift"`
	// Captured is the share of all positives in this decile and those above it.
	Captured float64 `json:"captured"`
}

// RegressionMetrics are a regression's test metrics.
type RegressionMetrics struct {
	Rows int     `json:"rows"`
	RMSE float64 `json:"rmse"`
	MAE  float64 `json:"mae"`
	R2   float64 `json:"r2"`
}

// ClassificationMetrics scores predicted probabilities P (rows × classes) against true classes y; names
// label the classes.
func ClassificationMetrics(y []int, P *Matrix, names []string) ClassMetrics {
	k := P.Cols
	m := ClassMetrics{Rows: len(y), Confusion: make([][]int, k)}
	for c := range m.Confusion {
		m.Confusion[c] = make([]int, k)
	}
	eps := math.Nextafter(1, 2) - 1
	correct := 0
	for i, t := range y {
		row := P.Row(i)
		pred := 0
		for c := 1; c < k; c++ {
			if row[c] > row[pred] {
				pred = c
			}
		}
		m.Confusion[t][pred]++
		if pred == t {
			correct++
		}
		// log_loss clips, then renormalises each row
		sum := 0.0
		for _, v := range row {
			sum += min(max(v, eps), 1-eps)
		}
		m.LogLoss -= math.Log(min(max(row[t], eps), 1-eps) / sum)
	}
	n := float64(len(y))
	m.Accuracy = float64(correct) / n
	m.LogLoss /= n
	for c := 0; c < k; c++ {
		tp, predicted, actual := m.Confusion[c][c], 0, 0
		for o := 0; o < k; o++ {
			predicted += m.Confusion[o][c]
			actual += m.Confusion[c][o]
		}
		cp := ClassPerformance{Class: names[c], Support: actual, Precision: ratio(tp, predicted), Recall: ratio(tp, actual)}
		if cp.Precision+cp.Recall > 0 {
			cp.F1 = 2 * cp.Precision * cp.Recall / (cp.Precision + cp.Recall)
		}
		m.PerClass = append(m.PerClass, cp)
	}
	if k == 2 {
		pos := m.PerClass[1]
		m.Precision, m.Recall, m.F1 = pos.Precision, pos.Recall, pos.F1
		score := make([]float64, len(y))
		hit := make([]bool, len(y))
		for i, t := range y {
			score[i], hit[i] = P.At(i, 1), t == 1
		}
		if auc := rocAUC(score, hit); !math.IsNaN(auc) {
			m.ROCAUC = &auc
		}
		m.Calibrate = calibration(score, hit, 10)
		m.Lift = liftByDecile(score, hit)
		return m
	}
	aucSum, defined := 0.0, true
	for c := 0; c < k; c++ {
		m.Precision += m.PerClass[c].Precision / float64(k)
		m.Recall += m.PerClass[c].Recall / float64(k)
		m.F1 += m.PerClass[c].F1 / float64(k)
		score := make([]float64, len(y))
		hit := make([]bool, len(y))
		for i, t := range y {
			score[i], hit[i] = P.At(i, c), t == c
		}
		auc := rocAUC(score, hit)
		defined = defined && !math.IsNaN(auc)
		aucSum += auc
	}
	if defined {
		auc := aucSum / float64(k)
		m.ROCAUC = &auc
	}
	return m
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// rocAUC is the Mann-Whitney U of the positives' scores over the negatives', ties counting half: the
// positives' average ranks.
func rocAUC(score []float64, hit []bool) float64 {
	order := make([]int, len(score))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(score[a], score[b]) })
	var rankSum float64
	pos := 0
	for lo := 0; lo < len(order); {
		hi := lo
		for hi < len(order) && score[order[hi]] == score[order[lo]] {
			hi++
		}
		avg := float64(lo+1+hi) / 2 // ranks lo+1..hi
		for _, i := range order[lo:hi] {
			if hit[i] {
				rankSum += avg
				pos++
			}
		}
		lo = hi
	}
	neg := len(score) - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg))
}

// calibration bins scores into bins equal-width bins; a score on an inner edge belongs to the bin below
// (numpy's searchsorted over the inner edges, as calibration_curve does).
func calibration(score []float64, hit []bool, bins int) []CalibrationBin {
	rows := make([]int, bins)
	sums := make([]float64, bins)
	trues := make([]int, bins)
	for i, s := range score {
		b := 0
		for b < bins-1 && s > float64(b+1)*(1/float64(bins)) {
			b++
		}
		rows[b]++
		sums[b] += s
		if hit[i] {
			trues[b]++
		}
	}
	var out []CalibrationBin
	for b := 0; b < bins; b++ {
		if rows[b] == 0 {
			continue
		}
		out = append(out, CalibrationBin{Lower: float64(b) * (1 / float64(bins)), Upper: float64(b+1) * (1 / float64(bins)),
			Rows: rows[b], Predicted: sums[b] / float64(rows[b]), Observed: float64(trues[b]) / float64(rows[b])})
	}
	return out
}

// liftByDecile groups rows by descending score into ten groups.
func liftByDecile(score []float64, hit []bool) []LiftDecile {
	order := make([]int, len(score))
	totalPos := 0
	for i := range order {
		order[i] = i
		if hit[i] {
			totalPos++
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	n := len(order)
	base := float64(totalPos) / float64(n)
	var out []LiftDecile
	at, captured := 0, 0
	for d := 0; d < 10; d++ {
		size := n / 10
		if d < n%10 {
			size++
		}
		if size == 0 {
			continue
		}
		ld := LiftDecile{Decile: d + 1, Rows: size}
		for _, i := range order[at : at+size] {
			if hit[i] {
				ld.Positives++
			}
		}
		at += size
		captured += ld.Positives
		ld.Rate = float64(ld.Positives) / float64(size)
		if base > 0 {
			ld.Lift = ld.Rate / base
			ld.Captured = float64(captured) / float64(totalPos)
		}
		out = append(out, ld)
	}
	return out
}

// RegressionScores compares predictions with the truth.
func RegressionScores(y, pred []float64) RegressionMetrics {
	m := RegressionMetrics{Rows: len(y)}
	if len(y) == 0 {
		return m
	}
	mean := 0.0
	for _, v := range y {
		mean += v
	}
	mean /= float64(len(y))
	var sse, sae, sst float64
	for i, v := range y {
		d := v - pred[i]
		sse += d * d
		sae += math.Abs(d)
		sst += (v - mean) * (v - mean)
	}
	n := float64(len(y))
	m.RMSE, m.MAE = math.Sqrt(sse/n), sae/n
	switch {
	case sst > 0:
		m.R2 = 1 - sse/sst
	case sse == 0: // r2_score's convention for a constant truth
		m.R2 = 1
	}
	return m
}

// Deciles ranks scores into deciles, 1 the highest tenth (ties in input order), for the scored table.
func Deciles(score []float64) []int32 {
	order := make([]int, len(score))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(score[b], score[a]) })
	out := make([]int32, len(score))
	n := len(score)
	for r, i := range order {
		out[i] = int32(r*10/n) + 1
	}
	return out
}
