package framework

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// ErrTooComplex is answered for extracted content or metadata that nests
// deeper or holds more values than [WithParseLimits] allows.
var ErrTooComplex = &Problem{"too-complex", "Content too deeply nested or too large", http.StatusUnprocessableEntity}

// The defaults of [WithParseLimits].
const (
	DefaultMaxDepth  = 64
	DefaultMaxValues = 100_000
)

// WithParseLimits bounds what the router parses into a tree of Go values:
// the extracted content and the metadata may nest at most maxDepth arrays
// and objects deep and hold at most maxValues values (objects, arrays,
// strings, numbers and literals; keys do not count). Past either, the
// delivery is answered 422 [ErrTooComplex] before anything is parsed. A
// tree costs about 100 bytes per value whatever the value's size ("{}" is
// two bytes), so this bounds parse memory per delivery (about 10 MB at
// the default) where the body limit alone would not (2 MiB of empty
// objects take 75 MB as a tree); failing content then yields at most
// maxValues violations to build before [MaxViolations] cuts them.
// Default: [DefaultMaxDepth] (64) and [DefaultMaxValues] (100,000; an
// invoice of 1,000 lines holds about 6,000).
func WithParseLimits(maxDepth, maxValues int) Option {
	return func(c *config) error {
		if maxDepth <= 0 || maxValues <= 0 {
			return fmt.Errorf("retabhook: WithParseLimits(%d, %d): both must be positive", maxDepth, maxValues)
		}
		c.parse = parseLimits{depth: maxDepth, values: maxValues}
		return nil
	}
}

type parseLimits struct{ depth, values int }

// check measures b (what names it) against the limits.
func (l parseLimits) check(what string, b []byte) error { return l.checkRuns(what, b, nil) }

// checkRuns is check with b's plain runs (nil: none).
func (l parseLimits) checkRuns(what string, b []byte, runs *jsonscan.PlainRuns) error {
	if l.within(b) {
		return nil
	}
	depth, _, over := jsonscan.MeasureRuns(b, l.depth, l.values, runs)
	switch {
	case !over:
		return nil
	case depth > l.depth:
		return fmt.Errorf("%w: %s nests deeper than %d levels (WithParseLimits)", ErrTooComplex, what, l.depth)
	default:
		return fmt.Errorf("%w: %s holds more than %d values (WithParseLimits)", ErrTooComplex, what, l.values)
	}
}

// within reports, without measuring, that b cannot go past the limits: the
// measure counts each value at a byte of its own, so b holds at most
// len(b) values, and it nests at most as deep as b has '{' and '[' bytes
// (inside strings or not). bytes.Count is vectorised, so a typical
// delivery (a few dozen brackets) skips the measure's walk over every
// string; one that might be over is measured, so the answer is the
// measure's.
func (l parseLimits) within(b []byte) bool {
	return len(b) <= l.values && bytes.Count(b, []byte("{"))+bytes.Count(b, []byte("[")) <= l.depth
}
