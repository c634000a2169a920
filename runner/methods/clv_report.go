package methods

import "github.com/segrun/segrun/algorithms"

// CLVReport is a clv segmentation's fit and checks, shown in the run summary and by show, and stored
// with the version. It is here, not in runner/methods/clv, because Report holds it.
type CLVReport struct {
	Unit         string  `json:"unit"`
	Horizon      int     `json:"horizon"`
	DiscountRate float64 `json:"discount_rate"`
	// Customers had a purchase before the as-of date; Repeat of them more than one purchase day.
	Customers int `json:"customers"`
	Repeat    int `json:"repeat_customers"`
	// SkippedRows are the input's rows before the as-of date that are no purchase: a NULL time, or an
	// amount that is NULL, NaN or negative (returns, cancellations).
	SkippedRows int64              `json:"skipped_rows"`
	BGNBD       CLVFit             `json:"bgnbd"`
	GammaGamma  CLVFit             `json:"gamma_gamma"`
	Tiers       []CLVTier          `json:"tiers"`
	Holdout     *CLVHoldout        `json:"holdout,omitempty"`
	Mean        map[string]float64 `json:"means"`
}

// CLVFit is one model's maximum-likelihood fit: its parameters by name, the log-likelihood at them, and
// the customers it was fitted on.
type CLVFit struct {
	Params        map[string]float64 `json:"params"`
	LogLikelihood float64            `json:"log_likelihood"`
	Customers     int                `json:"customers"`
}

// CLVTier is a tier's lower bound: a quantile of predicted CLV (nil for thresholds) and its value.
type CLVTier struct {
	Segment  string   `json:"segment"`
	Quantile *float64 `json:"quantile,omitempty"`
	From     float64  `json:"from"`
}

// CLVHoldout is the calibration check: BG/NBD fitted on the purchases before CalibrationEnd, its
// predicted purchases in the holdout period against the actual ones, by calibration frequency.
type CLVHoldout struct {
	CalibrationEnd string                     `json:"calibration_end"`
	Units          float64                    `json:"units"`
	BGNBD          CLVFit                     `json:"bgnbd"`
	Buckets        []algorithms.HoldoutBucket `json:"buckets"`
}
