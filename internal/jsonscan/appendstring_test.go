package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// checkAppendString is AppendString's property: its verdict and end are
// String's, and its value encoding/json's, for the string at every offset
// of b (what follows a string's end, inside b, must not change it).
func checkAppendString(t *testing.T, b []byte) {
	t.Helper()
	for i := range b {
		if b[i] != '"' {
			continue
		}
		end, flags, ok := jsonscan.String(b, i)
		checkString(t, b, i, end, flags, ok)
		prefix := []byte("pre")
		got, gotEnd, gotOK := jsonscan.AppendString(prefix, b, i)
		require.Equal(t, ok, gotOK, "%q at %d", b, i)
		if !ok {
			continue
		}
		require.Equal(t, end, gotEnd, "%q at %d", b, i)
		var want string
		require.NoError(t, json.Unmarshal(b[i:end], &want), "%q at %d", b, i)
		require.Equal(t, "pre"+want, string(got), "%q at %d", b, i)
	}
}

// checkString is String's property (its short-string answer and its
// scan): from b[i], encoding/json's Decoder reads a string exactly when
// String accepts one, ending where String says, and String's flags say
// what the token holds.
func checkString(t *testing.T, b []byte, i, end int, flags jsonscan.StringFlags, ok bool) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b[i:]))
	var v string
	err := dec.Decode(&v)
	if !ok {
		require.Error(t, err, "String refuses what encoding/json reads: %q at %d", b, i)
		return
	}
	require.NoError(t, err, "String accepts what encoding/json refuses: %q at %d", b, i)
	require.Equal(t, int64(end-i), dec.InputOffset(), "%q at %d", b, i)
	tok := b[i:end]
	require.Equal(t, bytes.IndexByte(tok, '\\') >= 0, flags&jsonscan.Escaped != 0, "%q", tok)
	require.Equal(t, bytes.ContainsFunc(tok, func(r rune) bool { return r >= 0x80 }), flags&jsonscan.NonASCII != 0, "%q", tok)
}

// TestAppendStringAgreesWithEncodingJSON puts each kind of byte and
// escape at every position of strings of the lengths around the word
// loop's edges, with every kind of ending.
func TestAppendStringAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range seeds {
		checkAppendString(t, []byte(s))
	}
	inserts := []string{`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u00e9`, `\u0000`, `\ud83d\ude00`, `\ud800`, `\udc00`,
		`\ud800\u0041`, `\ud83d\ud83d\ude00`, `\ud800\`, `\ud800\u`, `\ud800\u12`, `\ud800\uzzzz`, `\u12`, `\uzzzz`, `\U0041`,
		"\x00", "\x01", "\x1f", "\x7f", "é", "\xe2\x82\xac", "\xe2\x82", "\xff", "\xed\xa0\x80", "\xf0\x9f\x98", `"`, `\`, `\q`}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 40} {
		for _, ins := range inserts {
			for at := 0; at <= n; at++ {
				inner := strings.Repeat("A", at) + ins + strings.Repeat("b", n-at)
				for _, tail := range []string{`"`, `",1`, `"\u0041"`, "\"\xe2", ``, `\`} {
					checkAppendString(t, []byte(`"`+inner+tail))
				}
			}
		}
	}
}

// TestAppendStringAllocations: with room enough in dst, the value is
// appended without an allocation.
func TestAppendStringAllocations(t *testing.T) {
	tok := []byte(`"{\"number\":\"INV-1\",\"address\":\"9291 Proin Road\\nLake Charles\"}"`)
	dst := make([]byte, 0, len(tok))
	require.Zero(t, testing.AllocsPerRun(100, func() { jsonscan.AppendString(dst[:0], tok, 0) }))
}

func FuzzAppendString(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`"\ud83d\ude00 caf\u00e9 \"q\" \\ \/ \b\f\n\r\t \xff"`))
	f.Fuzz(func(t *testing.T, b []byte) { checkAppendString(t, b) })
}
