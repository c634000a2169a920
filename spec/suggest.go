package spec

import (
	"fmt"

	"github.com/segrun/segrun/internal/suggest"
)

// Nearest returns the candidate a user most likely meant by word, or "" (see package suggest).
func Nearest(word string, candidates []string) string { return suggest.Nearest(word, candidates) }

// didYouMean formats a suggestion suffix for a message, or "" when there is none.
func didYouMean(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", s)
}
