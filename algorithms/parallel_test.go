package algorithms

import (
	"strings"
	"testing"
)

// A panic on one of parallelFor's goroutines comes back on the caller's, where segrun's top level
// recovers it as a bug report; on its own goroutine it would end the process with exit 2 ("usage").
func TestParallelForRaisesAWorkersPanicOnTheCaller(t *testing.T) {
	defer func() {
		if r, _ := recover().(string); !strings.HasPrefix(r, "boom") {
			t.Errorf("recovered %q", r)
		}
	}()
	parallelFor(64, 4, func(_, i int) {
		if i == 33 {
			panic("boom")
		}
	})
	t.Error("no panic")
}
