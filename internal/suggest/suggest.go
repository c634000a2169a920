// Package suggest finds the name a user most likely meant: the did-you-mean behind every "unknown ..."
// message, in the spec checks, the CLI and the algorithms' parameter checks alike.
package suggest

import "strings"

// Nearest returns the candidate closest to word by edit distance, if it is close enough to be a plausible
// typo (at most a third of the word's length, and at least 1 edit allowed); otherwise "".
func Nearest(word string, candidates []string) string {
	best, bestDist := "", -1
	limit := max(1, len(word)/3)
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := editDistance(lw, strings.ToLower(c))
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: Levenshtein plus adjacent transpositions, the
// commonest typo ("frequnecy").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
