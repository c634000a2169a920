package cli

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/segrun/segrun/sql/store"
)

// runDeliveries lists the store's deliveries table: every attempt at delivering an audience version to a
// destination, by a run or by segrun deliver, oldest first.
func runDeliveries(ctx context.Context, e *env, args []string) int {
	fs := newFlags("deliveries", "[AUDIENCE] [SPEC]")
	sf := addStoreFlags(fs, true)
	format := formatFlag(fs)
	rest, code, ok := fs.parse(e, args)
	if !ok {
		return code
	}
	names, db, st, code, ok := sf.open(ctx, e, fs, rest, 1, "deliveries takes at most the audience and the spec")
	if !ok {
		return code
	}
	defer db.Close()
	audience := ""
	if len(names) == 1 {
		audience = names[0]
	}
	recs, err := st.Deliveries(ctx, audience, *sf.run)
	if err != nil {
		return e.fail(err)
	}
	switch *format {
	case "json":
		if recs == nil {
			recs = []store.DeliveryRecord{}
		}
		return e.writeJSON(recs)
	case "csv":
		rows := [][]string{{"delivery_id", "audience", "destination", "target", "run_id", "run_key", "mode", "status", "entered", "exited", "members", "batches_confirmed", "via", "started_at", "finished_at", "content_key", "error"}}
		for _, r := range recs {
			rows = append(rows, []string{r.ID, r.Audience, r.Destination, r.Target, strconv.FormatInt(r.Run, 10), r.RunKey, r.Mode, r.Status,
				optInt(r.Entered), optInt(r.Exited), optInt(r.Members), optBatches(r.Batches), r.Via,
				r.Started.Format(time.RFC3339), r.Finished.Format(time.RFC3339), r.ContentKey, r.Error})
		}
		return e.writeCSV(rows)
	}
	if len(recs) == 0 {
		fmt.Fprintf(e.stdout, "store %s records no deliveries%s\n", st.Path, map[bool]string{true: " of " + audience, false: ""}[audience != ""])
		return ExitOK
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tAUDIENCE\tDESTINATION\tMODE\tSTATUS\tSENT\tVIA\tSTARTED (UTC)\tERROR")
	for _, r := range recs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Run, r.Audience, r.Destination, r.Mode, r.Status, deliveryCounts(r), r.Via,
			r.Started.Format("2006-01-02 15:04:05"), dash(r.Error))
	}
	tw.Flush()
	return ExitOK
}

// deliveryCounts says what one attempt sent: "12 members", "3 entered, 1 exited", with the webhook
// batches confirmed; "-" when unknown (a row migrated from the exports table) or nothing was sent.
func deliveryCounts(r store.DeliveryRecord) string {
	var s string
	switch {
	case r.Members != nil:
		s = fmt.Sprintf("%d members", *r.Members)
	case r.Entered != nil && r.Exited != nil:
		s = fmt.Sprintf("%d entered, %d exited", *r.Entered, *r.Exited)
	default:
		s = "-"
	}
	if r.Batches != nil {
		s += fmt.Sprintf(" (%d batches confirmed)", *r.Batches)
	}
	return s
}

func optInt(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}

func optBatches(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}
