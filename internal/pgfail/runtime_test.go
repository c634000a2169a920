package pgfail

import (
	"testing"

	"github.com/segrun/segrun/cli"
)

// A feature that validates (PREPARE types it) but fails on the data when it runs (a division by zero, a
// cast of text that is no number) is the spec's or the data's: exit 1, naming the feature and saying
// nothing was published, the run schema dropped and the store untouched.
func TestFeatureFailsAtRunTime(t *testing.T) {
	conn := server(t)
	store := published(t, conn, "fail_feature")
	before := snapshot(t, conn, "fail_feature")
	for _, tc := range []struct {
		name, selectList string
		wants            []string
	}{
		{"division by zero", "sum(amount) / (count(*) - count(*)) AS monetary", []string{"feature spend: division by zero", "22012"}},
		{"a bad cast", "sum(amount) + max(note)::bigint AS monetary", []string{"feature spend: invalid input syntax for type bigint", "22P02"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := writeSpec(t, "runtime.yaml", specText(goodColumns+"      note: {type: VARCHAR}\n", tc.selectList))
			stdout, stderr, code := segrun(t, srv.DSN, "validate", spec)
			expect(t, "validate", code, stdout, stderr, cli.ExitOK, "spec valid")
			stdout, stderr, code = segrun(t, srv.DSN, "run", "--as-of", "2026-03-31", "--store", store, spec)
			expect(t, "run", code, stdout, stderr, cli.ExitInvalid, append(tc.wants, "nothing was published")...)
		})
	}
	sameStore(t, conn, "fail_feature", before)
	noRunSchemaLeft(t, conn)
}
