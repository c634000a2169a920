package algorithms

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// workersFor resolves a Workers setting: zero or negative means GOMAXPROCS.
func workersFor(w int) int {
	if w <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return w
}

// forChunks calls fn(worker, lo, hi) for consecutive ranges [lo, hi) of at most chunk items covering 0..n-1,
// on up to workers goroutines. Workers pull the next range from a shared counter, so ranges of uneven cost
// (rows of a triangular matrix, dense and sparse regions of a k-d tree) still balance. worker is in
// 0..workers-1 and lets fn use per-worker scratch space without locking.
func forChunks(n, workers, chunk int, fn func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	if chunk < 1 {
		chunk = 1
	}
	workers = workersFor(workers)
	if maxUseful := (n + chunk - 1) / chunk; workers > maxUseful {
		workers = maxUseful
	}
	if workers == 1 {
		for lo := 0; lo < n; lo += chunk {
			fn(0, lo, min(lo+chunk, n))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				fn(w, lo, min(lo+chunk, n))
			}
		}(w)
	}
	wg.Wait()
}
