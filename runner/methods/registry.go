// Package methods is the registry of segmentation methods and the narrow environment a method gets. A
// method lives in a folder of its own (runner/methods/rules, rfm, cluster) and registers itself from its
// package's init, under the name of the spec block that selects it (spec.Segmentation.Method); runner
// looks it up here and nowhere else knows method names.
package methods

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// Method is one segmentation method.
type Method interface {
	// Label is how plans, run summaries and the store name the method of seg: rules, rules (multi), rfm,
	// cluster:kmeans...
	Label(seg spec.Segmentation) string
	// ReadsRunVars says the method's rules read the run's vars and as_of by name, so an input column of
	// either name would shadow them.
	ReadsRunVars() bool
	// Check types the method's parameters against its input without data, adding diagnostics at the
	// segmentation's pointer, and returns the result table's columns after the entity and segment.
	Check(env CheckEnv) []sql.Column
	// Run computes the segmentation into the workspace table named after it (env.Name()): the entity
	// column, segment, and the columns Check returned. It fills env.Report() and env.Version() and hands
	// what later runs read back to env.SetModel.
	Run(ctx context.Context, env Env) error
}

var registry = map[string]Method{}

// Register adds a method under the name of its spec block. It panics on a name registered twice: two
// methods cannot be selected by one block. Call it from init (or a test).
func Register(name string, m Method) {
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("segmentation method %q registered twice", name))
	}
	registry[name] = m
}

// RegisterWithBlock adds a method that brings its own spec block (beside the built-in rules:, rfm: and
// cluster:): the block, with its JSON Schema, and the method are registered together under the block's
// name, so a block can never be selectable without the method that runs it. Call it from init (or a
// test).
func RegisterWithBlock(block spec.MethodBlock, m Method) {
	spec.RegisterMethodBlock(block)
	Register(block.Name, m)
}

// Lookup is the method registered under name.
func Lookup(name string) (Method, bool) {
	m, ok := registry[name]
	return m, ok
}

// Names are the registered methods' names, sorted.
func Names() []string { return slices.Sorted(maps.Keys(registry)) }

// TransactionsInput is implemented by a method whose input has a row per event (a purchase), not one per
// entity (clv): the runner counts the input's distinct entities instead of refusing repeated ones, and
// the version's entities are those.
type TransactionsInput interface {
	ReadsTransactions() bool
}

// ReadsTransactions says whether m's input has many rows per entity.
func ReadsTransactions(m Method) bool {
	t, ok := m.(TransactionsInput)
	return ok && t.ReadsTransactions()
}
