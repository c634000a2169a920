package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/segrun/segrun/runner"
)

// runModels prints the models a version stored: how each was fitted and its test metrics (as the run's
// summary printed them), or their stored reports as JSON.
func runModels(ctx context.Context, e *env, args []string) int {
	fs := newFlags("models", "[MODEL] [SPEC]")
	sf := addStoreFlags(fs, true) // --run as show has it: 0 or less is a usage error
	format := formatFlag(fs)
	rest, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	rest, db, st, code, ok := sf.open(ctx, e, fs, rest, 1, "give at most one model (and the spec, or --store, to find the store)")
	if !ok {
		return code
	}
	defer db.Close()
	// The version as show reads it: one that does not exist, or is not published, is an error, not "no models".
	r, err := resolveRun(ctx, st, *sf.run)
	if err != nil {
		return e.fail(err)
	}
	versions, err := st.ModelVersions(ctx, r.ID)
	if err != nil {
		return e.fail(err)
	}
	var names []string
	for _, v := range versions {
		names = append(names, v.Model)
	}
	if len(rest) == 1 {
		i := slices.Index(names, rest[0])
		if i < 0 {
			return e.fail(userErrorf("the version holds no model %q%s", rest[0], suggestIn(rest[0], names)))
		}
		versions = versions[i : i+1]
	}
	if *format == "json" {
		out := []json.RawMessage{}
		for _, v := range versions {
			out = append(out, v.Report)
		}
		return e.writeJSON(out)
	}
	if *format == "csv" { // the coefficients, or a tree's importances, one a row
		// A tree has no coefficients: without its importances its CSV was a header alone.
		rows := [][]string{{"run_id", "model", "class", "feature", "value", "kind"}}
		for _, v := range versions {
			var rep runner.ModelReport
			if err := json.Unmarshal(v.Report, &rep); err != nil {
				return e.fail(fmt.Errorf("model %s of version %d: %w", v.Model, v.Run, err))
			}
			for _, c := range rep.Coefficients {
				rows = append(rows, []string{strconv.FormatInt(v.Run, 10), v.Model, c.Class, c.Feature, strconv.FormatFloat(c.Value, 'g', -1, 64), "coefficient"})
			}
			for _, c := range rep.Importances {
				rows = append(rows, []string{strconv.FormatInt(v.Run, 10), v.Model, c.Class, c.Feature, strconv.FormatFloat(c.Value, 'g', -1, 64), "importance"})
			}
		}
		return e.writeCSV(rows)
	}
	if len(versions) == 0 {
		fmt.Fprintln(e.stdout, "no models in this version")
		return ExitOK
	}
	for i, v := range versions {
		var rep runner.ModelReport
		if err := json.Unmarshal(v.Report, &rep); err != nil {
			return e.fail(fmt.Errorf("model %s of version %d: %w", v.Model, v.Run, err))
		}
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		fmt.Fprintf(e.stdout, "version %d: ", v.Run)
		writeModel(e.stdout, rep)
		if len(rep.Coefficients) > 0 {
			writeCoefficients(e.stdout, rep.Coefficients)
		}
		if len(rep.Importances) > 0 {
			rows := [][]string{{"importance", "share", ""}}
			for _, c := range rep.Importances {
				rows = append(rows, []string{c.Feature, fmt.Sprintf("%.4f", c.Value), ""})
			}
			writeTable(e.stdout, rows)
		}
	}
	return ExitOK
}

// writeCoefficients lists a model's coefficients, per class when there are several.
func writeCoefficients(w interface{ Write([]byte) (int, error) }, coefs []runner.ModelCoefficient) {
	rows := [][]string{{"coefficient", "class", "value", ""}}
	for _, c := range coefs {
		rows = append(rows, []string{c.Feature, c.Class, fmt.Sprintf("%.6g", c.Value), ""})
	}
	writeTable(w, rows)
}
