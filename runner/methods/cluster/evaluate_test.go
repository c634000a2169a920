package cluster

import (
	"strings"
	"testing"
)

func TestConcurrentlyRaisesPanicsWithTheirStacks(t *testing.T) {
	ran := false
	defer func() {
		r := recover()
		msg, _ := r.(string)
		if !strings.Contains(msg, "boom") || !strings.Contains(msg, "second") || !strings.Contains(msg, "goroutine") {
			t.Errorf("recovered %v, want both panics with a stack", r)
		}
		if !ran {
			t.Error("a panic stopped the other functions")
		}
	}()
	concurrently(func() { panic("boom") }, func() { ran = true }, func() { panic("second") })
	t.Fatal("no panic")
}
