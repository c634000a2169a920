package panics

import (
	"strings"
	"sync"
	"testing"
)

func TestCaptureCarriesAGoroutinesPanicToTheWaiter(t *testing.T) {
	var c Capture
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Recover()
			if i == 2 {
				panic("boom")
			}
		}()
	}
	wg.Wait()
	defer func() {
		r := recover()
		if s, ok := r.(string); !ok || !strings.HasPrefix(s, "boom") || !strings.Contains(s, "panics_test.go") {
			t.Errorf("recovered %v", r)
		}
	}()
	c.Repanic()
	t.Error("no panic raised")
}

func TestToError(t *testing.T) {
	err := func() (err error) {
		defer ToError(&err)
		panic("boom")
	}()
	if err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Errorf("err = %v", err)
	}
}
