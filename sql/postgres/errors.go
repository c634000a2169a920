package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/segrun/segrun/sql"
)

// classOf maps a SQLSTATE to segrun's error classes, which decide the exit code. The machine's (the
// server's) problems are the environment's: connection exceptions (08), insufficient resources (53, of
// which 53200 is out of memory), operator intervention (57: a cancelled query, a server shutting down),
// system errors (58: the server's disk), invalid authorization (28), a missing grant (42501) and internal
// errors (XX). Everything else (syntax, an unknown table or column, a wrong type, a division by zero) is
// the statement's or its data's: the spec is to fix.
func classOf(sqlstate string) sql.ErrorClass {
	switch {
	case sqlstate == "53200":
		return sql.OutOfMemory
	case sqlstate == "42501" || waitedOnOthers[sqlstate]:
		return sql.EnvironmentError
	case len(sqlstate) >= 2:
		switch sqlstate[:2] {
		case "08", "53", "57", "58", "28", "XX":
			return sql.EnvironmentError
		}
	}
	return sql.StatementError
}

// waitedOnOthers are the SQLSTATEs of a statement that failed because of what other sessions were doing,
// not because of the statement: a lock another session holds past lock_timeout (55P03), an object in use
// (55006), a serialization failure or a deadlock (40001, 40P01), and a read-only transaction (25006: the
// connection string reaches a standby). Run again, or fix the deployment; the spec is fine.
var waitedOnOthers = map[string]bool{"55P03": true, "55006": true, "40001": true, "40P01": true, "25006": true}

// Kinds name the SQLSTATE classes the way DuckDB's error kinds read in segrun's messages.
var kinds = map[string]string{
	"08": "Connection", "22": "Data", "23": "Constraint", "28": "Authorization", "42": "Syntax or access rule",
	"53": "Insufficient resources", "57": "Operator intervention", "58": "System", "XX": "Internal",
	"55": "Object state", "40": "Transaction rollback", "25": "Transaction state", "3D": "Database",
}

// mapError turns an error of a statement (query, its text) into a *sql.Error classified by SQLSTATE and
// located in query (PostgreSQL gives a 1-based character position). A failure to reach the server (a
// refused connection, a DNS failure, a dropped connection) is the environment's. nil stays nil, and
// context cancellation passes through unchanged (the caller stopped; nobody's fault to report).
func mapError(err error, query string) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	var se *sql.Error
	if errors.As(err, &se) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		line, col := 0, 0
		if pe.Position > 0 && query != "" {
			line, col = charPosition(query, int(pe.Position))
		}
		kind := kinds[pe.Code[:2]]
		if pe.Code == "42501" {
			kind = "Permission" // not a syntax error: a grant the role lacks
		}
		if kind == "" {
			kind = "PostgreSQL"
		}
		msg := pe.Message
		if pe.Detail != "" {
			msg += " (" + pe.Detail + ")"
		}
		if pe.Hint != "" {
			msg += "; hint: " + pe.Hint
		}
		msg += " [SQLSTATE " + pe.Code + "]"
		class := classOf(pe.Code)
		var ce *pgconn.ConnectError
		if errors.As(err, &ce) {
			// Refused while connecting (a database that does not exist, 3D000, say): the connection
			// string's, whatever the code.
			class = sql.EnvironmentError
		}
		return sql.NewEngineError(kind, msg, line, col, class, err)
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || isConnectionLoss(err) {
		return sql.NewEngineError("Connection", redact(err.Error()), 0, 0, sql.EnvironmentError, err)
	}
	return err
}

// isConnectionLoss recognises pgx's errors for a connection that broke under a statement.
func isConnectionLoss(err error) bool {
	s := err.Error()
	return strings.Contains(s, "conn closed") || strings.Contains(s, "unexpected EOF") || strings.Contains(s, "broken pipe") ||
		strings.Contains(s, "connection reset")
}

// redact keeps a password out of a message that quotes a connection string: pgx's connect errors name the
// host and user, never the password, but a DSN pasted into a message must not leak one either.
func redact(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if at := strings.Index(s[i:], "@"); at >= 0 {
			if colon := strings.Index(s[i+3:i+at], ":"); colon >= 0 {
				return s[:i+3+colon] + ":xxxxx" + s[i+at:]
			}
		}
	}
	return s
}

// charPosition converts PostgreSQL's 1-based character position in text to a 1-based line and column.
func charPosition(text string, pos int) (line, col int) {
	off := 0
	for n := 1; n < pos && off < len(text); n++ {
		_, size := utf8.DecodeRuneInString(text[off:])
		off += size
	}
	return sql.OffsetPosition(text, off)
}

// errUnsupported is a Workspace method the PostgreSQL engine does not have, with what to do instead.
func errUnsupported(method, instead string) error {
	return fmt.Errorf("the PostgreSQL engine has no %s: %s", method, instead)
}
