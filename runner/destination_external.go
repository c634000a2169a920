package runner

import (
	"fmt"
	"regexp"
	"time"

	"github.com/segrun/segrun/internal/destinations"
	"github.com/segrun/segrun/spec"
)

// Destinations beside files: a PostgreSQL table (postgres:) and a webhook (webhook:), delivered by
// internal/destinations from the published version in the store (DeliverVersion). They write the entity
// and its group only, so they stage nothing, and they are recorded in the store's exports table under
// their label in place of a path.

// externalDestination is the destination applying deliveries to d, nil for a file.
func externalDestination(dn string, d spec.Destination) destinations.Destination {
	switch {
	case d.Postgres != nil:
		return &destinations.Postgres{Name: dn, Config: destinations.PostgresConfig{
			DSNEnv: d.Postgres.DSNEnv, Table: d.Postgres.Table, Exits: d.Postgres.Exits}}
	case d.Webhook != nil:
		return &destinations.Webhook{Name: dn, Config: destinations.WebhookConfig{
			URLEnv: d.Webhook.URLEnv, Batch: d.Webhook.Batch, MaxAttempts: d.Webhook.MaxAttempts, Timeout: d.Webhook.Timeout}}
	}
	return nil
}

// ExternalDestination is externalDestination for segrun deliver.
func ExternalDestination(dn string, d spec.Destination) destinations.Destination {
	return externalDestination(dn, d)
}

// destinationLabel names where d delivers, in summaries and the store's exports table: its file, or
// postgres:TABLE, or webhook:$URL_ENV (the variable, never its value).
func destinationLabel(d spec.Destination) string {
	switch {
	case d.Postgres != nil:
		return "postgres:" + d.Postgres.Table
	case d.Webhook != nil:
		return "webhook:$" + d.Webhook.URLEnv
	}
	return d.Path
}

// envName and tableName are the shapes of an environment variable's name and of [schema.]table (an
// identifier PostgreSQL takes unquoted, in any case: segrun quotes it).
var (
	envName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	tableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)
)

// destinationKind is file, postgres or webhook.
func destinationKind(d spec.Destination) string {
	switch {
	case d.Postgres != nil:
		return "postgres"
	case d.Webhook != nil:
		return "webhook"
	}
	return "file"
}

// typeExternalDestination checks what a table or webhook cannot do: it writes the entity and group
// only, and the entity in clear, which a personal entity must say with pii: clear.
func (c *validator) typeExternalDestination(audience, dn string, d spec.Destination) {
	if d.Postgres == nil && d.Webhook == nil {
		return
	}
	dpath := spec.Pointer("destinations", dn)
	if len(d.Columns) > 0 {
		c.errorAt(dpath+"/columns", "destination.columns",
			fmt.Sprintf("destination %s of audience %s: a %s destination writes the entity and its group only; remove columns:", dn, audience, destinationKind(d)), "")
	}
	bad := func(at, msg string) {
		c.errorAt(dpath+at, "destination.invalid", fmt.Sprintf("destination %s: %s", dn, msg), "")
	}
	if p := d.Postgres; p != nil {
		if p.DSNEnv != "" && !envName.MatchString(p.DSNEnv) { // empty: the schema says it is missing
			bad("/postgres/dsn_env", fmt.Sprintf("dsn_env %q is not an environment variable's name (letters, digits and _)", p.DSNEnv))
		}
		if p.Table != "" && !tableName.MatchString(p.Table) {
			bad("/postgres/table", fmt.Sprintf("table %q is not [schema.]table (letters, digits and _ in each)", p.Table))
		}
	}
	if w := d.Webhook; w != nil {
		if w.URLEnv != "" && !envName.MatchString(w.URLEnv) {
			bad("/webhook/url_env", fmt.Sprintf("url_env %q is not an environment variable's name (letters, digits and _)", w.URLEnv))
		}
		if t, err := time.ParseDuration(w.Timeout); w.Timeout != "" && (err != nil || t <= 0) {
			bad("/webhook/timeout", fmt.Sprintf("timeout %q is not a positive duration such as 30s or 1m", w.Timeout))
		}
	}
	if c.v.EntityPII != "" && d.PII != spec.PIIClear {
		c.errorAt(dpath, "destination.pii",
			fmt.Sprintf("destination %s of audience %s sends the entity %s, which is personal (%s), as it is: say pii: clear to send it", dn, audience, c.s.Entity, c.v.EntityPII), "")
	}
}
