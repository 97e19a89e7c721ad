package fastpath

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// fixedSeeds are patterns compileFixed takes (the first ones) or leaves to
// regexp, and strings to match them with: each pattern's own shape, and
// bytes it must refuse (non-ASCII, invalid UTF-8, a rune that folds to
// an ASCII letter, a trailing newline).
var (
	fixedPatterns = []string{
		"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "^[A-Z]{3}$", `^a\.b\d$`, `^\w\s[[:alpha:]]$`, "^$", `\A(x)(?:[a-c]y){2}\z`, "^[a-cx-z_]$",
		"(?i)^ab$", "(?i)^[k]$", "^[é]{2}$", "[0-9]{2}", "^x", "x$", "(?m)^x$", "^[^a]{2}$", "^.$", "^a|b$", "^a?$", "^a+$", "^[a-z]{2,3}$", "^(?s).$",
	}
	fixedStrings = []string{
		"", "2021-11-24", "2021-1-24", "2021-11-245", "2021-11-24\n", "\n2021-11-24", "20211124", "2021-11-2x", "EUR", "eur", "EU", "EURO", "a.b1", "a.b", "axb1",
		"a b", "_\tz", "x", "xy", "xayby", "xaycy", "xdy", "ab", "AB", "k", "K", "\u212a", "é", "éé", "\xff", "\xc3", "a\xff", "12", "x12y", "bc", "\x00\x00", "y", "-", "_",
	}
)

func checkFixed(t *testing.T, expr string, s []byte) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return
	}
	p, ok := compileFixed(expr)
	if !ok {
		return
	}
	require.Equal(t, re.Match(s), p.match(s), "pattern %q on %q", expr, s)
}

// TestFixedPatternMatchesAsRegexp: a pattern compileFixed takes matches
// as regexp does; which ones it takes.
func TestFixedPatternMatchesAsRegexp(t *testing.T) {
	taken := 0
	for _, expr := range fixedPatterns {
		_, ok := compileFixed(expr)
		if ok {
			taken++
		}
		for _, s := range fixedStrings {
			checkFixed(t, expr, []byte(s))
		}
	}
	require.Equal(t, 7, taken, "the first seven patterns are fixed")
	for _, expr := range fixedPatterns[:7] {
		_, ok := compileFixed(expr)
		require.True(t, ok, expr)
	}
}

func FuzzFixedPattern(f *testing.F) {
	for _, expr := range fixedPatterns {
		for _, s := range fixedStrings {
			f.Add(expr, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, expr string, s []byte) { checkFixed(t, expr, s) })
}
