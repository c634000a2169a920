package cli

import (
	"errors"
	"fmt"
)

// checkStoreSchema checks the schema of --store postgres:SCHEMA before anything connects: an empty one
// or one longer than PostgreSQL's 63-byte identifiers (which it would truncate, so two stores could meet
// in one schema) is a usage error (exit 2) naming the flag, not a failed run.
func checkStoreSchema(schema string) error {
	switch {
	case schema == "":
		return errors.New("give the schema: postgres:SCHEMA")
	case len(schema) > 63:
		return fmt.Errorf("schema %q is longer than PostgreSQL's 63 bytes", schema)
	}
	return nil
}
