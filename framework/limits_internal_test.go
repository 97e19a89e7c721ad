package framework

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// TestParseLimitsSkipAgreesWithMeasure checks that skipping the measure
// (parseLimits.within) never changes the answer: within holds only for
// text the measure finds under the limits, and check answers what the
// measure alone answers, at the limits' edges and on random text of JSON's
// structural bytes (brackets inside strings, escapes, unterminated
// strings, more closes than opens).
func TestParseLimitsSkipAgreesWithMeasure(t *testing.T) {
	l := parseLimits{depth: 3, values: 12}
	agree := func(b string) {
		t.Helper()
		_, _, over := jsonscan.Measure([]byte(b), l.depth, l.values)
		if l.within([]byte(b)) {
			require.False(t, over, "within, but the measure is over: %q", b)
		}
		err := l.check("b", []byte(b))
		assert.Equal(t, over, err != nil, "%q", b)
		if over {
			assert.ErrorIs(t, err, ErrTooComplex, "%q", b)
		}
	}
	for _, b := range []string{
		"[[[]]]", "[[[[]]]]", `{"a":{"b":[1]}}`, `{"a":{"b":[{}]}}`,
		`["[[[[","{{{{"]`, `"\"[[[["`, strings.Repeat("1,", 12), strings.Repeat("1,", 13),
		`[1,2,3,4,5,6,7,8,9,10,11]`, `[1,2,3,4,5,6,7,8,9,10,11,12]`, `"[[[[`, `[[[[`,
		`]]]][[[[`, `{"k":"v","k":"v","k":"v","k":"v","k":"v","k":"v","k":"v","k":"v","k":"v","k":"v","k":"v","k":"v"}`,
	} {
		agree(b)
	}
	rng := rand.New(rand.NewPCG(1, 16))
	const alphabet = `{}[]{}[]"",:1 \n`
	for range 20000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		agree(string(b))
	}
}
