package methods

import (
	"context"
	"strings"
	"testing"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

type nothing struct{}

func (nothing) Label(spec.Segmentation) string { return "nothing" }
func (nothing) ReadsRunVars() bool             { return false }
func (nothing) Check(CheckEnv) []sql.Column    { return nil }
func (nothing) Run(context.Context, Env) error { return nil }

// A block selects one method: registering a second under its name is a programming error, raised at once
// rather than leaving which of the two runs to the order of init functions.
func TestRegisterRefusesANameTwice(t *testing.T) {
	Register("test_nothing", nothing{})
	defer delete(registry, "test_nothing")
	if m, ok := Lookup("test_nothing"); !ok || m != (nothing{}) {
		t.Fatalf("Lookup: %v, %v", m, ok)
	}
	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, `"test_nothing" registered twice`) {
			t.Errorf("recovered %q", msg)
		}
	}()
	Register("test_nothing", nothing{})
	t.Error("no panic")
}
