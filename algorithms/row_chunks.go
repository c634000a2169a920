package algorithms

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Row chunking for parallel passes over X.
//
// Parallel reductions (cluster sums, inertia, log-likelihood) must give bit-identical results whatever the
// number of workers, so the split of rows into chunks depends only on the number of rows: each chunk reduces
// its rows in order into its own slot, and the slots are merged in chunk order afterwards. Workers only decide
// who computes which chunk, never what is added to what.
const (
	// minChunkRows keeps chunks large enough that per-chunk bookkeeping is negligible.
	minChunkRows = 4096
	// maxRowChunks bounds the per-chunk partial sums kept in memory (maxRowChunks × k × d floats).
	maxRowChunks = 64
)

// rowChunks is a fixed partition of n rows into contiguous chunks.
type rowChunks struct {
	n, size, count int
}

// newRowChunks splits n rows into at most maxRowChunks chunks of at least minChunkRows rows (except a smaller
// last one, or a single chunk when n is small).
func newRowChunks(n int) rowChunks {
	size := max(minChunkRows, (n+maxRowChunks-1)/maxRowChunks)
	count := (n + size - 1) / size
	return rowChunks{n: n, size: size, count: count}
}

// bounds returns chunk c's rows [lo, hi).
func (rc rowChunks) bounds(c int) (lo, hi int) {
	lo = c * rc.size
	return lo, min(lo+rc.size, rc.n)
}

// effectiveWorkers turns ClusterSpec.Workers into a goroutine count: 0 (or less) means GOMAXPROCS.
func effectiveWorkers(workers int) int {
	if workers <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return workers
}

// forEachChunk calls fn(worker, chunk) for every chunk, spreading chunks over at most workers goroutines.
// worker is in [0, workers) and identifies per-goroutine scratch buffers; results must be stored per chunk.
func forEachChunk(workers int, rc rowChunks, fn func(worker, chunk int)) {
	workers = min(workers, rc.count)
	if workers <= 1 {
		for c := 0; c < rc.count; c++ {
			fn(0, c)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1)) - 1
				if c >= rc.count {
					return
				}
				fn(w, c)
			}
		}()
	}
	wg.Wait()
}
