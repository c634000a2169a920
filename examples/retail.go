package examples

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// RetailOptions configures GenerateRetail. The zero value gives the default dataset.
type RetailOptions struct {
	// Customers is the number of customers; 0 means 20,000.
	Customers int
	// Start and End bound the order history as calendar dates, both inclusive; the time of day is
	// ignored. Zero values mean 2023-01-01 and 2024-12-31.
	Start, End time.Time
	// Seed selects the dataset; 0 means 1 (so 0 and 1 give the same files).
	Seed uint64
	// Workers bounds parallelism; 0 means GOMAXPROCS. It never changes the output.
	Workers int
}

// RetailStats says what GenerateRetail wrote.
type RetailStats struct {
	Customers int `json:"customers"`
	// Orders is the number of rows in orders.csv, refunds included.
	Orders int `json:"orders"`
	// Files are the paths of the files written, customers.csv first.
	Files []string `json:"files"`
}

// Defaults of RetailOptions.
const (
	DefaultRetailCustomers = 20_000
	DefaultRetailSeed      = 1
)

var (
	defaultRetailStart = time.Date(2023, time.January, 1, 0, 0, 0, 0, time.UTC)
	defaultRetailEnd   = time.Date(2025, time.March, 31, 0, 0, 0, 0, time.UTC)
)

// Output file names.
const (
	CustomersFile = "customers.csv"
	OrdersFile    = "orders.csv"
)

// customersPerShard is the unit of parallel work. Shards are fixed by customer id, not by worker, which is
// what makes the output independent of Workers; at about nine orders per customer a shard's orders are
// a few hundred kilobytes, large enough to amortise hand-offs and small enough to keep memory flat.
const customersPerShard = 1024

// GenerateRetail writes the synthetic retail dataset described in the package comment into dir (created
// if missing): customers.csv and orders.csv. Equal options give byte-identical files.
func GenerateRetail(dir string, o RetailOptions) (RetailStats, error) {
	o, err := o.withDefaults()
	if err != nil {
		return RetailStats{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return RetailStats{}, err
	}
	g := &retailGenerator{
		opts:    o,
		cal:     newCalendar(o.Start, o.End),
		nShards: (o.Customers + customersPerShard - 1) / customersPerShard,
	}
	g.workers = min(o.Workers, g.nShards)

	// Order ids are dense and handed out in customer order, so each shard must know how many rows come
	// before it. A first pass draws only the customers' plans (a few random numbers each) to count them.
	shardRows := g.countRows()
	firstOrderIDs := make([]int64, g.nShards)
	next := int64(1)
	for s, n := range shardRows {
		firstOrderIDs[s] = next
		next += int64(n)
	}

	customers, err := createAtomic(dir, CustomersFile)
	if err != nil {
		return RetailStats{}, err
	}
	defer customers.abort()
	orders, err := createAtomic(dir, OrdersFile)
	if err != nil {
		return RetailStats{}, err
	}
	defer orders.abort()

	if err := g.write(customers, orders, firstOrderIDs, shardRows); err != nil {
		return RetailStats{}, err
	}
	// orders.csv first: it is the large file and the likelier to fail, and a failure then leaves neither
	// file in place rather than customers without their orders.
	if err := orders.commit(); err != nil {
		return RetailStats{}, err
	}
	if err := customers.commit(); err != nil {
		return RetailStats{}, err
	}
	return RetailStats{
		Customers: o.Customers,
		Orders:    int(next - 1),
		Files:     []string{customers.final, orders.final},
	}, nil
}

func (o RetailOptions) withDefaults() (RetailOptions, error) {
	if o.Customers < 0 {
		return o, fmt.Errorf("examples: customers must not be negative, got %d", o.Customers)
	}
	if o.Customers == 0 {
		o.Customers = DefaultRetailCustomers
	}
	if o.Start.IsZero() {
		o.Start = defaultRetailStart
	}
	if o.End.IsZero() {
		o.End = defaultRetailEnd
	}
	o.Start, o.End = dateOnly(o.Start), dateOnly(o.End)
	if o.End.Before(o.Start) {
		return o, fmt.Errorf("examples: end %s is before start %s", o.End.Format(time.DateOnly), o.Start.Format(time.DateOnly))
	}
	if o.Seed == 0 {
		o.Seed = DefaultRetailSeed
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o, nil
}

// dateOnly is t's calendar date (in t's own location) as midnight UTC, so that day arithmetic never meets
// a daylight-saving shift.
func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

type retailGenerator struct {
	opts    RetailOptions
	cal     *calendar
	nShards int
	workers int
	// failed stops the workers' real work once writing has failed; they still hand in (empty) shards so
	// that the pipeline drains.
	failed atomic.Bool
}

// customerStream is one worker's random generator, re-seeded for every customer.
type customerStream struct {
	pcg *rand.PCG
	r   *rand.Rand
}

func newCustomerStream() customerStream {
	pcg := rand.NewPCG(0, 0)
	return customerStream{pcg: pcg, r: rand.New(pcg)}
}

// reset positions the stream at customer id's own sequence: a customer's rows depend only on the seed
// and their id, never on which worker or shard produced them.
func (s customerStream) reset(seed uint64, id int64) {
	s.pcg.Seed(splitmix64(seed), splitmix64(uint64(id)^splitmix64(seed+0x632be59bd9b4e019)))
}

// splitmix64 scrambles a 64-bit value (Steele, Lea and Flood's SplitMix64 finaliser), so that
// neighbouring seeds and ids give unrelated streams.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// shardCustomers is the range of customer ids in shard s.
func (g *retailGenerator) shardCustomers(s int) (first, end int64) {
	first = int64(s)*customersPerShard + 1
	end = min(first+customersPerShard, int64(g.opts.Customers)+1)
	return first, end
}

// countRows returns the number of orders.csv rows of each shard.
func (g *retailGenerator) countRows() []int {
	rows := make([]int, g.nShards)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range g.workers {
		wg.Go(func() {
			stream := newCustomerStream()
			for s := int(next.Add(1) - 1); s < g.nShards; s = int(next.Add(1) - 1) {
				first, end := g.shardCustomers(s)
				n := 0
				for id := first; id < end; id++ {
					stream.reset(g.opts.Seed, id)
					p := drawPlan(stream.r, g.cal)
					n += p.orders + p.refunds
				}
				rows[s] = n
			}
		})
	}
	wg.Wait()
	return rows
}

// shardOutput is the formatted text of one shard's rows in both files.
type shardOutput struct {
	customers, orders []byte
}

// errRowCount reports a disagreement between the counting and the writing pass, which would make order
// ids collide; it means drawPlan's draws are no longer the first thing on each customer's stream.
var errRowCount = errors.New("examples: internal error: row counts of the two passes differ")

// write generates all shards in parallel and writes them in shard order. At most inFlight shards are
// generated but not yet written, which bounds memory whatever the number of customers.
func (g *retailGenerator) write(customers, orders *atomicFile, firstOrderIDs []int64, shardRows []int) error {
	if _, err := customers.Write([]byte(customersHeader)); err != nil {
		return err
	}
	if _, err := orders.Write([]byte(ordersHeader)); err != nil {
		return err
	}

	inFlight := 2*g.workers + 2
	// tokens counts shards taken but not yet written. A worker takes a token before the next shard
	// number, so shards are taken in order and the shard the writer waits for is always being worked on.
	tokens := make(chan struct{}, inFlight)
	free := make(chan *shardOutput, inFlight)
	ready := make([]chan *shardOutput, g.nShards)
	for s := range ready {
		ready[s] = make(chan *shardOutput, 1)
	}
	var rowCountMismatch atomic.Bool

	var next atomic.Int64
	var wg sync.WaitGroup
	for range g.workers {
		wg.Go(func() {
			stream := newCustomerStream()
			var scratch orderScratch
			for {
				tokens <- struct{}{}
				s := int(next.Add(1) - 1)
				if s >= g.nShards {
					<-tokens
					return
				}
				var out *shardOutput
				select {
				case out = <-free:
				default:
					out = &shardOutput{}
				}
				out.customers, out.orders = out.customers[:0], out.orders[:0]
				if !g.failed.Load() {
					rows := g.generateShard(out, &stream, &scratch, s, firstOrderIDs[s])
					if rows != shardRows[s] {
						rowCountMismatch.Store(true)
						g.failed.Store(true)
					}
				}
				ready[s] <- out
			}
		})
	}

	var writeErr error
	for s := range g.nShards {
		out := <-ready[s]
		if writeErr == nil && !g.failed.Load() {
			if _, err := customers.Write(out.customers); err != nil {
				writeErr = err
			} else if _, err := orders.Write(out.orders); err != nil {
				writeErr = err
			}
			if writeErr != nil {
				g.failed.Store(true)
			}
		}
		select {
		case free <- out:
		default:
		}
		<-tokens
	}
	wg.Wait()
	if rowCountMismatch.Load() {
		return errRowCount
	}
	return writeErr
}

// generateShard formats shard s's customers and orders into out and returns the number of order rows.
func (g *retailGenerator) generateShard(out *shardOutput, stream *customerStream, scratch *orderScratch, s int, orderID int64) int {
	first, end := g.shardCustomers(s)
	rows := 0
	for id := first; id < end; id++ {
		stream.reset(g.opts.Seed, id)
		p := drawPlan(stream.r, g.cal)
		attrs := drawAttributes(stream.r, g.cal, &archetypes[p.kind])
		out.customers = appendCustomerRow(out.customers, g.cal, id, &p, &attrs)
		out.orders = appendCustomerOrders(out.orders, stream.r, g.cal, scratch, id, orderID, &p, &attrs)
		n := p.orders + p.refunds
		orderID += int64(n)
		rows += n
	}
	return rows
}
