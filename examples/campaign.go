package examples

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// The flagship demo's simulated campaign, for segrun measure: the win-back email went out on the second
// run's as-of date to winback_email's treatment group, and campaign_orders.csv holds the orders that
// followed, with a known effect. A customer's group is the audience's holdout assignment (the hash of the
// salt and the customer id, docs/audiences.md), which depends on nothing else, so the generator knows it
// without running the pipeline: it draws every customer's outcome by their group, and measure, reading
// only winback_email's members, sees treated and held-out members convert at the rates below.
//
// Around the window it adds orders that must not count: in the 30 days before the send and in the 30
// days after the window, at a rate that does not depend on the group.

// CampaignFile is the campaign's outcome file.
const CampaignFile = "campaign_orders.csv"

// The simulated truth, which measure's result is tested against (examples/campaign_test.go, and
// cli's TestMeasureFlagshipCampaign).
const (
	// CampaignSalt and CampaignHoldoutShare are winback_email's holdout in the flagship spec.
	CampaignSalt         = "retail-2024"
	CampaignHoldoutShare = 0.10
	// CampaignWindowDays is the window orders fall in, from CampaignSent.
	CampaignWindowDays = 30
	// CampaignControlRate and CampaignTreatmentRate are the chances of ordering in the window: the lift
	// is +12 percentage points, +150%.
	CampaignControlRate   = 0.08
	CampaignTreatmentRate = 0.20
	// CampaignOrderMean is the mean of an order's amount (exponential, rounded to cents); a converted
	// customer places one order, or two with probability CampaignSecondOrder.
	CampaignOrderMean   = 60.0
	CampaignSecondOrder = 0.25
	// campaignNoiseRate is the chance of an order in each of the 30-day periods around the window.
	campaignNoiseRate = 0.05
)

// CampaignSent is when the email went out: the flagship demo's second as-of date.
var CampaignSent = time.Date(2024, time.December, 31, 0, 0, 0, 0, time.UTC)

// CampaignStats says what GenerateCampaign wrote.
type CampaignStats struct {
	Rows int
}

// InCampaignControl is the holdout assignment of a customer id: the uniform of SHA-256(salt, 0x00, id)'s
// first 8 bytes below the share (docs/audiences.md, "Holdouts").
func InCampaignControl(id int64) bool {
	h := sha256.Sum256([]byte(CampaignSalt + "\x00" + strconv.FormatInt(id, 10)))
	return float64(binary.BigEndian.Uint64(h[:8]))/math.Exp2(64) < CampaignHoldoutShare
}

// GenerateCampaign writes campaign_orders.csv (customer_id, ordered_at, amount) for customers 1 to
// customers into dir; the same seed writes the same file.
func GenerateCampaign(dir string, customers int, seed uint64) (CampaignStats, error) {
	f, err := createAtomic(dir, CampaignFile)
	if err != nil {
		return CampaignStats{}, err
	}
	r := rand.New(rand.NewPCG(seed, 0x63616d706169676e)) // "campaign"
	window := float64(CampaignWindowDays * 24 * 3600)
	var st CampaignStats
	buf := []byte("customer_id,ordered_at,amount\n")
	order := func(id int64, offset float64) {
		at := CampaignSent.Add(time.Duration(math.Floor(offset)) * time.Second)
		cents := int64(math.Round(r.ExpFloat64()*CampaignOrderMean*100)) + 1
		buf = strconv.AppendInt(buf, id, 10)
		buf = append(buf, ',')
		buf = at.AppendFormat(buf, time.DateTime)
		buf = append(buf, fmt.Sprintf(",%d.%02d\n", cents/100, cents%100)...)
		st.Rows++
	}
	for id := int64(1); id <= int64(customers); id++ {
		rate := CampaignTreatmentRate
		if InCampaignControl(id) {
			rate = CampaignControlRate
		}
		if r.Float64() < campaignNoiseRate { // before the send
			order(id, -(1-r.Float64())*window)
		}
		if r.Float64() < rate {
			order(id, r.Float64()*window)
			if r.Float64() < CampaignSecondOrder {
				order(id, r.Float64()*window)
			}
		}
		if r.Float64() < campaignNoiseRate { // after the window
			order(id, window+r.Float64()*window)
		}
		if len(buf) > writeBufferSize/2 {
			if _, err := f.Write(buf); err != nil {
				f.abort()
				return st, err
			}
			buf = buf[:0]
		}
	}
	if _, err := f.Write(buf); err != nil {
		f.abort()
		return st, err
	}
	return st, f.commit()
}
