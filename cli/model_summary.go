package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/segrun/segrun/runner"
)

// writeModel prints a model's fit and its test metrics in the run summary and `segrun models`.
func writeModel(w io.Writer, m runner.ModelReport) {
	fmt.Fprintf(w, "%s (%s, %s of %s): trained on %s rows, tested on %s (%s); %s rows scored\n", m.Name, m.Method, m.Task, m.Label,
		thousands(int64(m.TrainRows)), thousands(int64(m.TestRows)), m.Split, thousands(m.Scored))
	if m.SampleRows > 0 {
		fmt.Fprintf(w, "  fitted on a seeded sample of %s rows of the training table (sample_rows); every row scored\n", thousands(int64(m.SampleRows)))
	}
	if m.TrainedAsOf != "" {
		fmt.Fprintf(w, "  trained point-in-time: features as of %s\n", m.TrainedAsOf)
	}
	if m.FittedIn != 0 {
		fmt.Fprintf(w, "  scored with the model version %d fitted (refit: never); its metrics are that version's test part's\n", m.FittedIn)
	}
	if m.Unlabelled > 0 {
		fmt.Fprintf(w, "  %s rows without a label were not used to fit or test\n", thousands(int64(m.Unlabelled)))
	}
	if c := m.Classification; c != nil {
		auc := "-"
		if c.ROCAUC != nil {
			auc = fmt.Sprintf("%.3f", *c.ROCAUC)
		}
		avg := ""
		if m.Task == "multiclass" {
			avg = " (macro)"
		}
		fmt.Fprintf(w, "  accuracy %.3f  precision%s %.3f  recall %.3f  F1 %.3f  ROC AUC %s  log loss %.3f\n",
			c.Accuracy, avg, c.Precision, c.Recall, c.F1, auc, c.LogLoss)
		rows := [][]string{append([]string{"true \\ predicted"}, m.Classes...)}
		for k, cls := range m.Classes {
			row := []string{cls}
			for _, v := range c.Confusion[k] {
				row = append(row, thousands(int64(v)))
			}
			rows = append(rows, row)
		}
		for i := range rows {
			rows[i] = append(rows[i], "")
		}
		writeTable(w, rows)
		if len(c.Lift) > 0 {
			var lifts []string
			for _, l := range c.Lift {
				lifts = append(lifts, fmt.Sprintf("%.2f", l.Lift))
			}
			fmt.Fprintf(w, "  lift by decile: %s\n", strings.Join(lifts, " "))
		}
	}
	if r := m.Regression; r != nil {
		fmt.Fprintf(w, "  RMSE %.4g  MAE %.4g  R² %.3f\n", r.RMSE, r.MAE, r.R2)
	}
	if m.Converged != nil && !*m.Converged {
		fmt.Fprintf(w, "  not converged after %d iterations\n", m.Iterations)
	}
}
