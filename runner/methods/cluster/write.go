package cluster

import (
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/segrun/segrun/algorithms"
	"github.com/segrun/segrun/runner/methods"
	"github.com/segrun/segrun/spec"
	"github.com/segrun/segrun/sql"
)

// notClustered is the cluster id of an input row left out of the clustering (impute: drop).
const notClustered = -2

// clusterIDs gives each of n input rows its cluster id: labels[i] for the row prepared row i came from,
// notClustered for rows left out.
func clusterIDs(n int, labels []int, rowOf func(int) int) []int32 {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = notClustered
	}
	for i, l := range labels {
		ids[rowOf(i)] = int32(l)
	}
	return ids
}

// clusterSegmentCase is the SQL expression turning the column cluster (an id, or Noise) into the segment.
func clusterSegmentCase(model *storedModel) string {
	codes, names := []int{algorithms.Noise}, []string{spec.NoiseSegment}
	for _, id := range sortedIDs(model.IDs) {
		codes, names = append(codes, id), append(names, model.Segments[id])
	}
	return methods.SegmentCase("cluster", codes, names)
}

func sortedIDs(ids []int) []int {
	out := append([]int(nil), ids...)
	sort.Ints(out)
	return out
}

// writeClusters writes the result table: entity, segment, cluster id and, for a method with a likelihood (gmm), the membership
// probability. Noise rows get the segment noise; rows dropped by impute: drop get none.
func writeClusters(a *sql.Arrow, j *job, model *storedModel, in *clusterInput, ids []int32, labels []int, prob []float64, rowOf func(int) int) error {
	n := len(ids)
	f, err := algorithms.FitterFor(j.seg.Cluster.Method)
	if err != nil {
		return err
	}
	withProbability := f.Likelihood
	var probs []float64
	if withProbability {
		probs = make([]float64, n)
		for i := range labels {
			if prob != nil {
				probs[rowOf(i)] = prob[i]
			}
		}
	}
	// One array per input batch, over the slices above: nothing is copied into Arrow builders.
	idArrays, probArrays := make([]arrow.Array, len(in.batches)), make([]arrow.Array, len(in.batches))
	offset := 0
	for bi, b := range in.batches {
		rows := int(b.NumRows())
		idArrays[bi] = methods.Int32Array(ids[offset : offset+rows])
		if withProbability {
			probArrays[bi] = methods.Float64Array(probs[offset : offset+rows])
		}
		offset += rows
	}
	defer func() {
		for i := range idArrays {
			idArrays[i].Release()
			if withProbability {
				probArrays[i].Release()
			}
		}
	}()
	fields := []arrow.Field{{Name: "cluster", Type: arrow.PrimitiveTypes.Int32}}
	cols := [][]arrow.Array{idArrays}
	if withProbability {
		fields = append(fields, arrow.Field{Name: "probability", Type: arrow.PrimitiveTypes.Float64})
		cols = append(cols, probArrays)
	}
	reader, err := methods.WithColumns(in.batches, 0, fields, cols)
	if err != nil {
		return err
	}
	defer reader.Release()
	sel := fmt.Sprintf("%s, %s AS segment, nullif(cluster, -1) AS cluster", sql.Ident(j.entity), clusterSegmentCase(model))
	if withProbability {
		sel += ", probability"
	}
	return a.CreateTable(j.name, reader, sel, "cluster >= -1")
}
