package cluster

import (
	"fmt"
	"slices"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/runner/rules"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// checkCluster types a cluster block (at path) without data: its params against the algorithm's, and
// each feature against the input: numbers, or text that transform: onehot encodes.
func checkCluster(env methods.CheckEnv, path string, cl *spec.Cluster) {
	if !env.IsBroken(path + "/params") {
		if err := algorithms.CheckParams(cl.Method, cl.Params); err != nil {
			at := path + "/params"
			if !env.Exists(at) {
				at = path
			}
			env.ErrorAt(at, "cluster.params", err.Error(), "")
		}
	}
	onehot := map[string]bool{}
	for _, t := range cl.Transform {
		for _, step := range t.Value {
			if step.Kind == "onehot" {
				onehot[t.Key] = true
			}
		}
	}
	input, from := env.Input(), env.Segmentation().From
	for i, f := range cl.Features {
		at := fmt.Sprintf("%s/features/%d", path, i)
		j := slices.IndexFunc(input, func(x sql.Column) bool { return x.Name == f })
		if j < 0 {
			methods.MissingColumn(env, at, f)
			continue
		}
		typ := input[j].Type
		switch {
		case onehot[f] && !rules.IsText(typ) && typ != "BOOLEAN":
			env.ErrorAt(path+spec.Pointer("transform", f), "cluster.transform", fmt.Sprintf("onehot encodes text; %q is %s", f, typ), "")
		case !onehot[f] && !methods.IsNumeric(typ):
			env.ErrorAt(at, "segmentation.type", fmt.Sprintf("column %q of %s is %s; clustering needs numbers (encode text with transform: {%s: onehot})", f, from, typ, f), "")
		}
	}
}
