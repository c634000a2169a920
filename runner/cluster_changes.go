package runner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// stageClusterDiffs, when false, leaves every clustering's change log to the store's own diff; the tests
// that compare the two set it.
var stageClusterDiffs = true

// stageClusterDiff writes a clustering's change log stage, the table sql.Store.Diff would otherwise build
// by joining the result with the previous version's memberships, from what the step already has: its read
// joined each entity's previous segment, and it has just given each its new one. That saves the run a
// second join of the million rows: on the benchmark's second version the store's diff took 0.11-0.15 s,
// staging here 0.05 s.
//
// It stages nothing, and leaves the diff to the store, when the rows cannot tell every change: when the
// base version has no model of this clustering to read its segments by, when it gave a segment to an
// entity the input no longer has (an exit no input row shows), or a segment its model does not name. The
// count that proves no entity exited is the base version's own (it published this segmentation, so the
// store's memberships as of it are exactly what it assigned).
func (e *execution) stageClusterDiff(a *sql.Arrow, j *segJob, model, prevModel *storedModel, prevAssigned int64, in *clusterInput,
	labels []int, rowOf func(int) int) error {
	if !stageClusterDiffs || e.base == nil {
		return nil // against no version the store's stage is a view, nothing to save
	}
	if !in.joined {
		// No previous model to read segments by (the base version has no clustering of this name): what
		// the store holds for it, if anything, is for the store's diff to find.
		return nil
	}
	var had int64
	for _, w := range in.was {
		if w == prevOther {
			return nil
		}
		if w != prevNone {
			had++
		}
	}
	if had != prevAssigned {
		return nil // some entity of the previous version is not in the input: it exited
	}
	// Each code before and after, as the index of its name (-1: no segment), so that a row's change is two
	// table lookups: previous ids, and this run's ids, Noise and notClustered.
	names := map[string]int{spec.NoiseSegment: 0}
	index := func(name string) int {
		if i, ok := names[name]; ok {
			return i
		}
		names[name] = len(names)
		return len(names) - 1
	}
	const shift = 3 // codes start at prevOther (-3)
	var before, after []int
	grow := func(t []int, code int) []int {
		for len(t) <= code+shift {
			t = append(t, -1)
		}
		return t
	}
	before = grow(before, prevNoise)
	before[prevNoise+shift] = 0
	if prevModel != nil {
		for id, seg := range prevModel.Segments {
			before = grow(before, id)
			before[id+shift] = index(seg)
		}
	}
	after = grow(after, algorithms.Noise)
	after[algorithms.Noise+shift] = 0
	for id, seg := range model.Segments {
		after = grow(after, id)
		after[id+shift] = index(seg)
	}
	ids := clusterIDs(len(in.was), labels, rowOf)
	changed := make([]bool, len(ids))
	for r, id := range ids {
		w, o, n := int(in.was[r]), -1, -1
		if w+shift < len(before) {
			o = before[w+shift]
		}
		if int(id)+shift < len(after) {
			n = after[int(id)+shift]
		}
		changed[r] = o != n
	}
	wasArrays, idArrays, changedArrays := make([]arrow.Array, len(in.batches)), make([]arrow.Array, len(in.batches)), make([]arrow.Array, len(in.batches))
	offset := 0
	for bi, b := range in.batches {
		rows := int(b.NumRows())
		wasArrays[bi] = int32Array(in.was[offset : offset+rows])
		idArrays[bi] = int32Array(ids[offset : offset+rows])
		changedArrays[bi] = boolArray(changed[offset : offset+rows])
		offset += rows
	}
	defer func() {
		for bi := range in.batches {
			wasArrays[bi].Release()
			idArrays[bi].Release()
			changedArrays[bi].Release()
		}
	}()
	fields := []arrow.Field{{Name: "segrun_was", Type: arrow.PrimitiveTypes.Int32}, {Name: "cluster", Type: arrow.PrimitiveTypes.Int32},
		{Name: "segrun_changed", Type: arrow.FixedWidthTypes.Boolean}}
	reader, err := withColumns(in.batches, 0, fields, [][]arrow.Array{wasArrays, idArrays, changedArrays})
	if err != nil {
		return err
	}
	defer reader.Release()
	var old strings.Builder
	fmt.Fprintf(&old, "CASE segrun_was WHEN %d THEN %s", prevNoise, sql.Literal(spec.NoiseSegment))
	if prevModel != nil {
		for _, id := range sortedIDs(prevModel.IDs) {
			fmt.Fprintf(&old, " WHEN %d THEN %s", id, sql.Literal(prevModel.Segments[id]))
		}
	}
	old.WriteString(" END")
	sel := fmt.Sprintf("%s AS entity, %s AS old, %s AS new", sql.Ident(j.entity), old.String(), clusterSegmentCase(model))
	if err := a.CreateTable(sql.DiffTable(j.name), reader, sel, "segrun_changed"); err != nil {
		return err
	}
	j.version.Staged = true
	e.log.Debug("change log staged", "segmentation", j.name)
	return nil
}
