package algorithms

import (
	"math/rand/v2"
	"slices"
	"sort"
)

// genome is a candidate in the search's encoding: a use bit and a transform choice (0 none, i:
// Transforms[i-1]) per feature, a scale, a method and k.
type genome struct {
	use       []bool
	transform []int
	scale     int
	method    int
	k         int
}

// randomGenome draws a genome uniformly per gene, then repairs it.
func (sr *searcher) randomGenome(rng *rand.Rand) genome {
	n := len(sr.s.Features)
	g := genome{use: make([]bool, n), transform: make([]int, n)}
	for i := range g.use {
		g.use[i] = rng.IntN(2) == 1
		g.transform[i] = sr.randomTransform(rng, i)
	}
	g.scale = rng.IntN(len(sr.s.Scales))
	g.method = rng.IntN(len(sr.s.Methods))
	g.k = sr.s.KMin + rng.IntN(sr.s.KMax-sr.s.KMin+1)
	sr.repair(&g, rng)
	return g
}

func (sr *searcher) randomTransform(rng *rand.Rand, i int) int {
	if sr.text[i] || len(sr.s.Transforms) == 0 {
		return 0
	}
	return rng.IntN(len(sr.s.Transforms) + 1)
}

// repair switches on random unused features until the genome uses MinFeatures.
func (sr *searcher) repair(g *genome, rng *rand.Rand) {
	used := 0
	for _, u := range g.use {
		if u {
			used++
		}
	}
	for used < sr.s.MinFeatures {
		i := rng.IntN(len(g.use))
		if !g.use[i] {
			g.use[i] = true
			used++
		}
	}
}

// crossover is uniform: each gene from either parent with equal probability.
func (sr *searcher) crossover(a, b genome, rng *rand.Rand) genome {
	n := len(a.use)
	c := genome{use: make([]bool, n), transform: make([]int, n)}
	for i := 0; i < n; i++ {
		p := a
		if rng.IntN(2) == 1 {
			p = b
		}
		c.use[i], c.transform[i] = p.use[i], p.transform[i]
	}
	pick := func(x, y int) int {
		if rng.IntN(2) == 1 {
			return y
		}
		return x
	}
	c.scale, c.method, c.k = pick(a.scale, b.scale), pick(a.method, b.method), pick(a.k, b.k)
	return c
}

// mutate changes each gene with probability 1/genes: flips a feature, redraws a transform, scale or
// method, or moves k by one step.
func (sr *searcher) mutate(g *genome, rng *rand.Rand) {
	n := len(g.use)
	genes := 2*n + 3
	p := 2 / float64(genes)
	for i := 0; i < n; i++ {
		if rng.Float64() < p {
			g.use[i] = !g.use[i]
		}
		if rng.Float64() < p {
			g.transform[i] = sr.randomTransform(rng, i)
		}
	}
	if rng.Float64() < p {
		g.scale = rng.IntN(len(sr.s.Scales))
	}
	if rng.Float64() < p {
		g.method = rng.IntN(len(sr.s.Methods))
	}
	if rng.Float64() < p {
		if rng.IntN(2) == 0 {
			g.k = max(sr.s.KMin, g.k-1)
		} else {
			g.k = min(sr.s.KMax, g.k+1)
		}
	}
}

// duplicateRetries bounds the extra mutations of a child that repeats a candidate already seen.
const duplicateRetries = 4

// tournamentSize is how many candidates compete to be a parent.
const tournamentSize = 3

// forceMutate changes one gene, chosen uniformly.
func (sr *searcher) forceMutate(g *genome, rng *rand.Rand) {
	n := len(g.use)
	switch i := rng.IntN(2*n + 3); {
	case i < n:
		g.use[i] = !g.use[i]
	case i < 2*n:
		g.transform[i-n] = sr.randomTransform(rng, i-n)
	case i == 2*n:
		g.scale = rng.IntN(len(sr.s.Scales))
	case i == 2*n+1:
		g.method = rng.IntN(len(sr.s.Methods))
	default:
		g.k = sr.s.KMin + rng.IntN(sr.s.KMax-sr.s.KMin+1)
	}
}

// GeneticSearch evolves Population candidates over Generations: the two best survive unchanged
// (elitism), the rest are children of parents chosen by tournaments of three, by uniform crossover and
// mutation, a child that repeats a candidate already seen mutated again; the best candidate is then
// polished by hill climbing over its single-gene neighbours. Every random draw comes from one generator seeded by Seed, in a fixed order, and candidates
// are evaluated deterministically (each fit single-threaded, its seed the spec's), so the same inputs and
// seed give the same result whatever the number of workers.
func GeneticSearch(f *Frame, s SearchSpec) (*SearchResult, error) {
	sr, err := newSearcher(f, s)
	if err != nil {
		return nil, err
	}
	s = sr.s
	rng := newSeededRand(s.Seed ^ 0x6e6e7469)
	pop := make([]genome, s.Population)
	for i := range pop {
		pop[i] = sr.randomGenome(rng)
	}
	var gens []GenerationScore
	var best *ScoredCandidate
	var bestGenome genome
	for gen := 0; gen < s.Generations; gen++ {
		cands := make([]Candidate, len(pop))
		for i, g := range pop {
			cands[i] = sr.candidate(g)
		}
		scored := sr.evaluateAll(cands)
		idx := make([]int, len(pop))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return s.better(scored[idx[a]], scored[idx[b]]) })
		top := scored[idx[0]]
		if best == nil || s.better(top, *best) {
			best, bestGenome = &top, pop[idx[0]]
		}
		gens = append(gens, GenerationScore{Generation: gen + 1, Best: best.Objective, PopulationBest: top.Objective, Evaluations: len(sr.cache)})
		if gen == s.Generations-1 {
			break
		}
		tournament := func() genome {
			w := rng.IntN(len(pop))
			for t := 1; t < tournamentSize; t++ {
				if c := rng.IntN(len(pop)); s.better(scored[c], scored[w]) {
					w = c
				}
			}
			return pop[w]
		}
		next := make([]genome, 0, len(pop))
		inNext := map[string]bool{}
		for _, i := range idx[:min(2, len(idx))] {
			next = append(next, pop[i])
			inNext[sr.candidate(pop[i]).Key()] = true
		}
		for len(next) < len(pop) {
			child := sr.crossover(tournament(), tournament(), rng)
			sr.mutate(&child, rng)
			sr.repair(&child, rng)
			// A child already evaluated or already in the next population teaches nothing: mutate it again
			// (a few times at most), which keeps the population diverse and spends the evaluations on
			// candidates not seen yet.
			for try := 0; try < duplicateRetries; try++ {
				key := sr.candidate(child).Key()
				_, seen := sr.cache[key]
				if !seen && !inNext[key] {
					break
				}
				sr.forceMutate(&child, rng)
				sr.repair(&child, rng)
			}
			inNext[sr.candidate(child).Key()] = true
			next = append(next, child)
		}
		pop = next
	}
	sr.polish(bestGenome)
	res := sr.result("genetic")
	res.Generations = gens
	return res, nil
}

// polish climbs from the best genome to its best single-gene neighbour (a feature added or removed, a
// transform, scale or method changed, k one up or down) while that improves, so that the search ends on
// a local optimum rather than near one.
func (sr *searcher) polish(g genome) {
	for {
		var neighbours []genome
		clone := func() genome {
			return genome{use: slices.Clone(g.use), transform: slices.Clone(g.transform), scale: g.scale, method: g.method, k: g.k}
		}
		used := 0
		for _, u := range g.use {
			if u {
				used++
			}
		}
		for i := range g.use {
			if !g.use[i] || used > sr.s.MinFeatures {
				n := clone()
				n.use[i] = !n.use[i]
				neighbours = append(neighbours, n)
			}
			if g.use[i] && !sr.text[i] {
				for t := 0; t <= len(sr.s.Transforms); t++ {
					if t != g.transform[i] {
						n := clone()
						n.transform[i] = t
						neighbours = append(neighbours, n)
					}
				}
			}
		}
		for sc := range sr.s.Scales {
			if sc != g.scale {
				n := clone()
				n.scale = sc
				neighbours = append(neighbours, n)
			}
		}
		for m := range sr.s.Methods {
			if m != g.method {
				n := clone()
				n.method = m
				neighbours = append(neighbours, n)
			}
		}
		for _, k := range []int{g.k - 1, g.k + 1} {
			if k >= sr.s.KMin && k <= sr.s.KMax {
				n := clone()
				n.k = k
				neighbours = append(neighbours, n)
			}
		}
		cands := make([]Candidate, len(neighbours)+1)
		cands[0] = sr.candidate(g)
		for i, n := range neighbours {
			cands[i+1] = sr.candidate(n)
		}
		scored := sr.evaluateAll(cands)
		bestAt := 0
		for i := 1; i < len(scored); i++ {
			if sr.s.better(scored[i], scored[bestAt]) {
				bestAt = i
			}
		}
		if bestAt == 0 {
			return
		}
		g = neighbours[bestAt-1]
	}
}
