// Package shell writes the commands segrun prints for the user to run (next steps, recovery commands) so
// that they work when pasted into a POSIX shell, whatever the paths and names hold.
package shell

import "strings"

// Quote returns s as one shell word: as it is when it holds only characters no shell treats specially,
// else in single quotes (a single quote inside closes the quotes, is escaped with a backslash, and reopens them).
func Quote(s string) string {
	if s != "" && strings.IndexFunc(s, special) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func special(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("-_./:=,+@%", r)
}
