package examples

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testCustomers keeps the tests at a second or two while leaving enough customers for the realism
// thresholds to be stable.
const testCustomers = 5000

// retailData is a parsed dataset.
type retailData struct {
	customers []customerRow
	orders    []orderRow
}

type customerRow struct {
	id         int64
	signup     time.Time
	country    string
	channel    string
	birthYear  int // 0 when empty
	emailOptIn bool
}

type orderRow struct {
	customerID, orderID int64
	at                  time.Time
	cents               int64
}

// generateForTest generates a dataset into a fresh directory and returns the directory.
func generateForTest(t testing.TB, o RetailOptions) (string, RetailStats) {
	t.Helper()
	dir := t.TempDir()
	stats, err := GenerateRetail(dir, o)
	if err != nil {
		t.Fatalf("GenerateRetail: %v", err)
	}
	return dir, stats
}

// loadRetail parses both files strictly: exact headers, column counts and value formats.
func loadRetail(t *testing.T, dir string) retailData {
	t.Helper()
	var d retailData
	readCSV(t, filepath.Join(dir, CustomersFile), customersHeader, 7, func(line int, f []string) {
		id, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			t.Fatalf("customers.csv line %d: customer_id %q: %v", line, f[0], err)
		}
		signup, err := time.Parse(time.DateOnly, f[1])
		if err != nil {
			t.Fatalf("customers.csv line %d: signup_date: %v", line, err)
		}
		if len(f[2]) != 2 || strings.ToUpper(f[2]) != f[2] {
			t.Fatalf("customers.csv line %d: country %q is not a two-letter code", line, f[2])
		}
		if f[3] != "web" && f[3] != "app" && f[3] != "store" {
			t.Fatalf("customers.csv line %d: channel %q", line, f[3])
		}
		birthYear := 0
		if f[4] != "" {
			if birthYear, err = strconv.Atoi(f[4]); err != nil || birthYear < 1900 || birthYear > 2010 {
				t.Fatalf("customers.csv line %d: birth_year %q", line, f[4])
			}
		}
		if f[5] != "true" && f[5] != "false" {
			t.Fatalf("customers.csv line %d: email_opt_in %q", line, f[5])
		}
		if want := strings.ToLower(strings.TrimSpace(f[6])); want != "customer."+f[0]+"@example.com" {
			t.Fatalf("customers.csv line %d: email %q", line, f[6])
		}
		d.customers = append(d.customers, customerRow{id, signup, f[2], f[3], birthYear, f[5] == "true"})
	})
	readCSV(t, filepath.Join(dir, OrdersFile), ordersHeader, 4, func(line int, f []string) {
		customerID, err1 := strconv.ParseInt(f[0], 10, 64)
		orderID, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("orders.csv line %d: ids %q, %q", line, f[0], f[1])
		}
		at, err := time.Parse(time.DateTime, f[2])
		if err != nil {
			t.Fatalf("orders.csv line %d: ordered_at: %v", line, err)
		}
		d.orders = append(d.orders, orderRow{customerID, orderID, at, parseCents(t, line, f[3])})
	})
	return d
}

// parseCents parses an amount that must be a plain decimal with exactly two fraction digits.
func parseCents(t *testing.T, line int, s string) int64 {
	t.Helper()
	digits := strings.TrimPrefix(s, "-")
	dot := strings.IndexByte(digits, '.')
	if dot < 1 || len(digits)-dot != 3 {
		t.Fatalf("orders.csv line %d: amount %q does not have exactly two decimals", line, s)
	}
	whole, err1 := strconv.ParseUint(digits[:dot], 10, 63)
	frac, err2 := strconv.ParseUint(digits[dot+1:], 10, 63)
	if err1 != nil || err2 != nil || (len(digits[:dot]) > 1 && digits[0] == '0') {
		t.Fatalf("orders.csv line %d: amount %q", line, s)
	}
	cents := int64(whole*100 + frac)
	if s[0] == '-' {
		cents = -cents
	}
	return cents
}

func readCSV(t *testing.T, path, header string, columns int, row func(line int, fields []string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<16)
	if !sc.Scan() || sc.Text()+"\n" != header {
		t.Fatalf("%s: header %q, want %q", path, sc.Text(), strings.TrimSuffix(header, "\n"))
	}
	line := 1
	for sc.Scan() {
		line++
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != columns {
			t.Fatalf("%s line %d: %d columns, want %d: %q", path, line, len(fields), columns, sc.Text())
		}
		row(line, fields)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestRetailIsDeterministicWhateverTheWorkers(t *testing.T) {
	// More customers than one shard, and not a multiple of it, so that shard boundaries and the last
	// partial shard are exercised.
	o := RetailOptions{Customers: 3*customersPerShard + 77, Seed: 7}
	var want [2][]byte
	for i, workers := range []int{1, 4, 4} {
		o.Workers = workers
		dir, _ := generateForTest(t, o)
		for f, name := range []string{CustomersFile, OrdersFile} {
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				want[f] = got
			} else if !bytes.Equal(got, want[f]) {
				t.Errorf("%s differs between Workers=1 and run %d with Workers=%d", name, i, workers)
			}
		}
	}

	o.Seed = 8
	dir, _ := generateForTest(t, o)
	other, err := os.ReadFile(filepath.Join(dir, OrdersFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, want[1]) {
		t.Error("seeds 7 and 8 gave the same orders.csv")
	}
}

func TestRetailShape(t *testing.T) {
	o := RetailOptions{Customers: testCustomers}
	dir, stats := generateForTest(t, o)
	d := loadRetail(t, dir)

	if stats.Customers != testCustomers || len(d.customers) != testCustomers {
		t.Fatalf("stats say %d customers, file has %d, want %d", stats.Customers, len(d.customers), testCustomers)
	}
	if stats.Orders != len(d.orders) {
		t.Fatalf("stats say %d orders, file has %d", stats.Orders, len(d.orders))
	}
	wantFiles := []string{filepath.Join(dir, CustomersFile), filepath.Join(dir, OrdersFile)}
	if strings.Join(stats.Files, " ") != strings.Join(wantFiles, " ") {
		t.Errorf("stats.Files = %v, want %v", stats.Files, wantFiles)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("dir holds %d entries, want just the two files (no temporary leftovers)", len(entries))
	}

	signup := make(map[int64]time.Time, len(d.customers))
	for _, c := range d.customers {
		if c.id < 1 || c.id > testCustomers {
			t.Fatalf("customer_id %d outside 1..%d", c.id, testCustomers)
		}
		if _, dup := signup[c.id]; dup {
			t.Fatalf("customer_id %d appears twice", c.id)
		}
		signup[c.id] = c.signup
	}

	windowStart := defaultRetailStart
	windowEnd := defaultRetailEnd.AddDate(0, 0, 1)
	orderIDs := make(map[int64]bool, len(d.orders))
	firstOrder := make(map[int64]time.Time)
	for _, r := range d.orders {
		if orderIDs[r.orderID] {
			t.Fatalf("order_id %d appears twice", r.orderID)
		}
		orderIDs[r.orderID] = true
		s, ok := signup[r.customerID]
		if !ok {
			t.Fatalf("order %d belongs to unknown customer %d", r.orderID, r.customerID)
		}
		if r.at.Before(windowStart) || !r.at.Before(windowEnd) {
			t.Fatalf("order %d at %v is outside the window", r.orderID, r.at)
		}
		if r.cents == 0 {
			t.Fatalf("order %d has a zero amount", r.orderID)
		}
		if r.at.Before(s) {
			t.Fatalf("order %d at %v is before customer %d signed up on %v", r.orderID, r.at, r.customerID, s)
		}
		if f, seen := firstOrder[r.customerID]; !seen || r.at.Before(f) {
			firstOrder[r.customerID] = r.at
		}
	}
	if len(firstOrder) != testCustomers {
		t.Errorf("%d customers have orders, want all %d", len(firstOrder), testCustomers)
	}
}

// TestRetailFailureLeavesNoFiles makes the final rename fail (a directory is in the way of orders.csv) and
// checks that nothing is left behind: no customers.csv without its orders, and no temporary files.
func TestRetailFailureLeavesNoFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, OrdersFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := GenerateRetail(dir, RetailOptions{Customers: 100}); err == nil {
		t.Fatal("GenerateRetail succeeded although orders.csv could not be created")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != OrdersFile {
			t.Errorf("failed generation left %s behind", e.Name())
		}
	}
}

func TestRetailRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]RetailOptions{
		"negative customers": {Customers: -1},
		"end before start":   {Start: defaultRetailEnd, End: defaultRetailStart},
	} {
		if _, err := GenerateRetail(t.TempDir(), o); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestRetailRefundsFollowTheirOrders checks that every refund is no larger than, and no earlier than, some
// order of the same customer.
func TestRetailRefundsFollowTheirOrders(t *testing.T) {
	dir, _ := generateForTest(t, RetailOptions{Customers: testCustomers})
	d := loadRetail(t, dir)
	byCustomer := make(map[int64][]orderRow)
	for _, r := range d.orders {
		byCustomer[r.customerID] = append(byCustomer[r.customerID], r)
	}
	for id, rows := range byCustomer {
		for _, refund := range rows {
			if refund.cents > 0 {
				continue
			}
			matched := false
			for _, o := range rows {
				if o.cents > 0 && o.cents >= -refund.cents && !o.at.After(refund.at) && o.orderID < refund.orderID {
					matched = true
					break
				}
			}
			if !matched {
				t.Fatalf("customer %d: refund %d of %d cents at %v has no earlier order it could refund", id, refund.orderID, -refund.cents, refund.at)
			}
		}
	}
}

func TestRetailRealism(t *testing.T) {
	dir, _ := generateForTest(t, RetailOptions{Customers: testCustomers})
	d := loadRetail(t, dir)
	n := float64(len(d.customers))

	var orders, refunds, holidayOrders, weekendOrders int
	for _, r := range d.orders {
		if r.cents < 0 {
			refunds++
			continue
		}
		orders++
		if r.at.Month() >= time.November {
			holidayOrders++
		}
		if wd := r.at.Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekendOrders++
		}
	}

	perCustomer := float64(len(d.orders)) / n
	t.Logf("rows per customer %.2f (orders %.2f, refunds %.3f)", perCustomer, float64(orders)/n, float64(refunds)/n)
	if perCustomer < 8 || perCustomer > 10 {
		t.Errorf("%.2f orders per customer, want 8..10", perCustomer)
	}

	refundShare := float64(refunds) / float64(len(d.orders))
	t.Logf("refund share %.2f%%", 100*refundShare)
	if refundShare < 0.01 || refundShare > 0.03 {
		t.Errorf("refunds are %.2f%% of rows, want 1..3%%", 100*refundShare)
	}

	// Two full years: November and December are 61 of 365 days.
	calendarShare := 61.0 / 365
	holidayShare := float64(holidayOrders) / float64(orders)
	t.Logf("Nov+Dec share of orders %.1f%% (calendar %.1f%%)", 100*holidayShare, 100*calendarShare)
	if holidayShare < 1.25*calendarShare {
		t.Errorf("November and December hold %.1f%% of orders, want well above their calendar share %.1f%%", 100*holidayShare, 100*calendarShare)
	}
	weekendShare := float64(weekendOrders) / float64(orders)
	t.Logf("weekend share of orders %.1f%% (calendar %.1f%%)", 100*weekendShare, 100*2.0/7)
	if weekendShare < 1.1*2/7 {
		t.Errorf("weekends hold %.1f%% of orders, want above their calendar share", 100*weekendShare)
	}

	// Lifecycle: between the as-of dates 2024-09-30 and 2024-12-31 customers must move. Some come (back):
	// they ordered in the last quarter but not in the 90 days before 2024-09-30. Others go: active in
	// those 90 days, silent in the last quarter.
	asOf := time.Date(2024, time.September, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1) // end of the day
	lastQuarter := asOf
	lookback := asOf.AddDate(0, 0, -90)
	activeBefore := make(map[int64]bool)
	activeAfter := make(map[int64]bool)
	for _, r := range d.orders {
		if r.cents < 0 {
			continue
		}
		switch {
		case !r.at.Before(lookback) && r.at.Before(asOf):
			activeBefore[r.customerID] = true
		case !r.at.Before(lastQuarter):
			activeAfter[r.customerID] = true
		}
	}
	came, went := 0, 0
	for id := range activeAfter {
		if !activeBefore[id] {
			came++
		}
	}
	for id := range activeBefore {
		if !activeAfter[id] {
			went++
		}
	}
	t.Logf("active in the 90 days to 2024-09-30: %.1f%%, in the last quarter: %.1f%%; came (back) %.1f%%, went quiet %.1f%%",
		100*float64(len(activeBefore))/n, 100*float64(len(activeAfter))/n, 100*float64(came)/n, 100*float64(went)/n)
	if float64(came)/n < 0.08 {
		t.Errorf("only %.1f%% of customers ordered in the last quarter after 90 quiet days, want at least 8%%", 100*float64(came)/n)
	}
	if float64(went)/n < 0.05 {
		t.Errorf("only %.1f%% of customers went quiet in the last quarter, want at least 5%%", 100*float64(went)/n)
	}
}

// TestArchetypeMix checks the drawn customer mix against the configured shares.
func TestArchetypeMix(t *testing.T) {
	cal := newCalendar(defaultRetailStart, defaultRetailEnd)
	stream := newCustomerStream()
	var count [archetypeCount]int
	var orders [archetypeCount]int
	const customers = 50_000
	for id := int64(1); id <= customers; id++ {
		stream.reset(DefaultRetailSeed, id)
		p := drawPlan(stream.r, cal)
		count[p.kind]++
		orders[p.kind] += p.orders
	}
	for k, a := range archetypes {
		share := float64(count[k]) / customers
		t.Logf("%-16s share %5.1f%% (want %4.1f%%), %5.1f orders each", a.name, 100*share, 100*a.share, float64(orders[k])/float64(max(1, count[k])))
		if share < a.share-0.01 || share > a.share+0.01 {
			t.Errorf("%s: share %.3f, want %.3f±0.01", a.name, share, a.share)
		}
	}
}

// BenchmarkGenerateRetail measures generation of 100k customers (about 900k order rows) with all cores.
func BenchmarkGenerateRetail(b *testing.B) {
	dir := b.TempDir()
	var stats RetailStats
	for b.Loop() {
		var err error
		if stats, err = GenerateRetail(dir, RetailOptions{Customers: 100_000}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(stats.Orders)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
