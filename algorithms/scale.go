package algorithms

import (
	"fmt"
	"math"
	"slices"
)

// Scaling as scikit-learn's scalers, each written as (x - Center) / Scale:
//
//   - standard (StandardScaler): Center is the mean, Scale the population standard deviation (ddof 0).
//     A column whose variance is within rounding error of zero (sklearn's _is_constant_feature bound
//     n·eps·var + (n·mean·eps)²) gets Scale 1, so it comes out as x - mean, about zero.
//   - minmax (MinMaxScaler, feature_range (0,1)): Center is the minimum, Scale the range; a range below
//     10·eps (sklearn's _handle_zeros_in_scale) becomes 1.
//   - robust (RobustScaler): Center is the median, Scale the interquartile range with quantile_range
//     (25, 75) and numpy's linear interpolation; an IQR below 10·eps becomes 1.
//   - none: Center 0, Scale 1.
//
// Every replacement of a zero scale is reported as a warning naming the column: such a column carries no
// information and the user should know it is there.

// fitScaler sets pc.Center and pc.Scale from col and returns warnings. scratch must hold len(col) values.
func fitScaler(method string, pc *PrepColumn, col, scratch []float64) (warnings []string) {
	const eps = 0x1p-52 // np.finfo(np.float64).eps
	n := float64(len(col))
	pc.Center, pc.Scale = 0, 1
	switch method {
	case ScaleStandard:
		mean, variance := meanVariance(col)
		pc.Center = mean
		if variance <= n*eps*variance+(n*mean*eps)*(n*mean*eps) {
			warnings = append(warnings, fmt.Sprintf("column %s is constant; its standard deviation is taken as 1", pc.Name))
		} else {
			pc.Scale = math.Sqrt(variance)
		}
	case ScaleMinMax:
		lo, hi := slices.Min(col), slices.Max(col)
		pc.Center = lo
		if r := hi - lo; r < 10*eps {
			warnings = append(warnings, fmt.Sprintf("column %s is constant; its range is taken as 1", pc.Name))
		} else {
			pc.Scale = r
		}
	case ScaleRobust:
		work := scratch[:len(col)]
		copy(work, col)
		pc.Center = medianSelect(work)
		if iqr := quantileSelect(work, 0.75) - quantileSelect(work, 0.25); iqr < 10*eps {
			what := "has an interquartile range of zero"
			if slices.Min(work) == slices.Max(work) {
				what = "is constant"
			}
			warnings = append(warnings, fmt.Sprintf("column %s %s; its scale is taken as 1", pc.Name, what))
		} else {
			pc.Scale = iqr
		}
	}
	return warnings
}

// scaleColumn standardises col in place: (x - center) / scale.
func scaleColumn(col []float64, center, scale float64) {
	if center == 0 && scale == 1 {
		return
	}
	for i, v := range col {
		col[i] = (v - center) / scale
	}
}
