package algorithms

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/segrun/segrun/internal/panics"
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

// effectiveWorkers turns a Workers setting into a goroutine count: 0 (or less) means GOMAXPROCS.
func effectiveWorkers(workers int) int {
	if workers <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return workers
}

// parallelFor calls fn(worker, i) for every i in [0, count) on up to workers goroutines (0: GOMAXPROCS).
// Goroutines take the next i from a shared counter, so items of uneven cost still balance; worker is in
// [0, workers) and lets fn keep per-goroutine scratch space without locking. Callers that reduce must store
// results per item and merge them in item order, so the outcome never depends on scheduling.
func parallelFor(count, workers int, fn func(worker, i int)) {
	workers = min(effectiveWorkers(workers), count)
	if workers <= 1 {
		for i := 0; i < count; i++ {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var p panics.Capture
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer p.Recover()
			for {
				i := int(next.Add(1)) - 1
				if i >= count {
					return
				}
				fn(w, i)
			}
		}()
	}
	wg.Wait()
	p.Repanic() // on the caller's goroutine, where it can be recovered
}

// forEachChunk calls fn(worker, chunk) for every chunk of rc.
func forEachChunk(workers int, rc rowChunks, fn func(worker, chunk int)) {
	parallelFor(rc.count, workers, fn)
}

// forChunks calls fn(worker, lo, hi) for consecutive ranges [lo, hi) of at most chunk items covering
// 0..n-1; small chunks suit work of uneven cost (rows of a triangular matrix, regions of a k-d tree).
func forChunks(n, workers, chunk int, fn func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	chunk = max(chunk, 1)
	parallelFor((n+chunk-1)/chunk, workers, func(w, c int) {
		lo := c * chunk
		fn(w, lo, min(lo+chunk, n))
	})
}
