package schemas_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// TestPrepareFindsEveryRepeatedKey puts a repeated key at every pair of
// positions of objects of 1 to 40 members (below and past the size where
// keys are compared pairwise, with one of the two spelled with an
// escape), inside an object whose own keys are the same names, and checks
// the repeat is found at its pointer, and that no other object is
// reported.
func TestPrepareFindsEveryRepeatedKey(t *testing.T) {
	for n := 1; n <= 40; n++ {
		keys := make([]string, n)
		for k := range keys {
			keys[k] = fmt.Sprintf("k%d", k)
		}
		obj := func(keys []string) string {
			var sb strings.Builder
			sb.WriteByte('{')
			for k, key := range keys {
				if k > 0 {
					sb.WriteByte(',')
				}
				fmt.Fprintf(&sb, `%q:%d`, key, k)
			}
			sb.WriteByte('}')
			return sb.String()
		}
		// The outer object has the same names as the inner one: keys of
		// different objects are not repeats.
		outer := func(inner string) string {
			return `{"k0":1,"k1":{"x":` + inner + `},"inner":` + inner + `,"k2":[` + inner + `]}`
		}
		_, _, err := schemas.Prepare([]byte(outer(obj(keys))))
		require.NoError(t, err, "n=%d", n)
		for a := 0; a < n; a++ {
			for b := a + 1; b < n; b++ {
				rep := append([]string(nil), keys...)
				rep[b] = keys[a]
				doc := outer(obj(rep))
				// The same with the second spelled \u006b...
				esc := strings.Replace(doc, fmt.Sprintf(`%q:%d`, keys[a], b), fmt.Sprintf(`"\u006b%s":%d`, keys[a][1:], b), 1)
				for _, d := range []string{doc, esc} {
					_, _, err := schemas.Prepare([]byte(d))
					var rk *schemas.RepeatedKeyError
					require.True(t, errors.As(err, &rk), "n=%d a=%d b=%d: %v", n, a, b, err)
					require.Equal(t, "/k1/x/"+keys[a], rk.Pointer, "n=%d a=%d b=%d", n, a, b)
				}
			}
		}
	}
}

// TestPrepareTypicalAllocatesNothing: content with nothing to rewrite is
// checked without an allocation (it is returned as is).
func TestPrepareTypicalAllocatesNothing(t *testing.T) {
	content := fixtures.InvoiceContent(fixtures.TypicalLines)
	allocs := testing.AllocsPerRun(100, func() {
		clean, _, err := schemas.Prepare(content)
		if err != nil || &clean[0] != &content[0] {
			t.Fatal("rewritten", err)
		}
	})
	require.Zero(t, allocs)
}

// TestPrepareLooksAtEveryIntegralNumber: the numbers skipped without
// jsonscan.IntegerForm (a fraction with a digit that is not 0, no
// exponent) are kept as written, and every other form is rewritten
// exactly when it is integral.
func TestPrepareLooksAtEveryIntegralNumber(t *testing.T) {
	for num, want := range map[string]string{
		"12.5": "12.5", "12.50": "12.50", "0.01": "0.01", "-3.10": "-3.10", "1.000001": "1.000001",
		"3.0": "3", "3.000": "3", "-0.0": "-0", "12.5e1": "125", "12.5E+1": "125", "1.25e-1": "1.25e-1",
		"30e-1": "3", "1.5e0": "1.5e0", "100.0e-2": "1", "7": "7", "2.9999999999999999": "2.9999999999999999",
	} {
		clean, _, err := schemas.Prepare([]byte(`{"a":[` + num + `]}`))
		require.NoError(t, err, num)
		require.Equal(t, `{"a":[`+want+`]}`, string(clean), num)
	}
}
