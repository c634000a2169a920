// Package panics carries a panic out of the goroutine it happened on. Go ends the whole process (exit 2,
// which segrun documents as a usage error) on a panic no deferred recover catches, and a recover only
// catches panics of its own goroutine: so every goroutine segrun starts either re-raises its panic on the
// goroutine that waits for it, up to cli.Run's recover (a bug report, exit 3), or turns it into an error.
package panics

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// Capture holds the first panic of a group of goroutines. Each does `defer c.Recover()`; the goroutine
// that waits for them calls Repanic once they have all finished.
type Capture struct {
	once sync.Once
	msg  string
}

// Recover records a panic in progress; deferred by each goroutine (recover works only when called by the
// deferred function itself, which this is).
func (c *Capture) Recover() {
	if r := recover(); r != nil {
		c.once.Do(func() { c.msg = Describe(r) })
	}
}

// Repanic raises the recorded panic, if any, on the calling goroutine.
func (c *Capture) Repanic() {
	if c.msg != "" {
		panic(c.msg)
	}
}

// Describe is a recovered panic's value and the stack of the goroutine it happened on.
func Describe(r any) string {
	return fmt.Sprintf("%v\n\nthe stack of the goroutine that panicked:\n%s", r, debug.Stack())
}

// ToError turns a recovered panic into an error, for goroutines that report errors: `defer
// panics.ToError(&err)`.
func ToError(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error (a bug in segrun): panic: %s", Describe(r))
	}
}
