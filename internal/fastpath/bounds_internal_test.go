package fastpath

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIntegersAgainstBounds: an integer token is judged by the integers
// its node's bounds allow (intRange) exactly as by the comparisons with
// each bound (numberOK's way for any other token), for bounds that are
// fractions, integers, zero, huge or past int64, and integers around them.
func TestIntegersAgainstBounds(t *testing.T) {
	xs := []int64{-999999999999999999, -99999999999999999, 999999999999999999, 99999999999999999, 9007199254740993, -9007199254740993}
	for x := int64(-25); x <= 25; x++ {
		xs = append(xs, x)
	}
	for _, bounds := range []string{
		`"minimum": -9223372036854775808, "exclusiveMinimum": 0, "maximum": 9223372036854775807`,
		`"minimum": 1.5, "exclusiveMaximum": 10`,
		`"exclusiveMinimum": 1.5, "maximum": 10.5`,
		`"exclusiveMinimum": -2, "exclusiveMaximum": 2`,
		`"minimum": -2.5, "maximum": -2.5`,
		`"minimum": 3, "maximum": 2`,
		`"minimum": 0`,
		`"maximum": 0.0e0`,
		`"exclusiveMaximum": -0.5`,
		`"minimum": 99999999999999999999`,
		`"maximum": -99999999999999999999`,
		`"minimum": -1e40, "maximum": 1e40`,
		`"exclusiveMinimum": 9007199254740992, "maximum": 9007199254740993`,
		`"minimum": 99999999999999998.5, "exclusiveMaximum": 999999999999999999`,
		`"minimum": -999999999999999999, "maximum": -99999999999999999.5`,
	} {
		p, err := Compile([]byte(`{`+bounds+`}`), nil)
		require.NoError(t, err, bounds)
		toks := []string{"-0"}
		for _, x := range xs {
			toks = append(toks, strconv.FormatInt(x, 10))
		}
		for _, tok := range toks {
			valid, sure := numberOK(p.root, []byte(tok), true)
			want, wantSure := numberOK(p.root, []byte(tok), false)
			require.True(t, sure && wantSure)
			require.Equal(t, want, valid, "%s: %s", bounds, tok)
		}
	}
}
