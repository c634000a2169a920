// Package pgfail holds the tests of bad input on engine postgres (issue 17): an unreachable server, a
// wrong password, a missing table, wrong types, a missing grant, a feature that fails at run time, a
// connection killed during a feature or between the store's writes, a store held by another writer, the
// server's lock and statement timeouts. Each runs the command line (cli.Run) against a real throwaway
// server and checks the three promises: a message naming the step, table, column or flag and saying what
// was published, the documented exit code (docs/cli.md), and a store byte-for-byte as it was.
package pgfail
