package schemas

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestParseValueErrors(t *testing.T) {
	for _, in := range []string{
		``, ` `, `{`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `01`, `1.`, `.5`, `1e`, `-`, `+1`, `"\x"`, `"\u12"`,
		"\"\x01\"", `tru`, `nul`, `[1] 2`, "\"\xff\"", `{"a":1}}`, `NaN`,
	} {
		_, err := parseValue([]byte(in))
		require.ErrorIs(t, err, errSyntax, "%q", in)
	}
	_, err := parseValue([]byte(strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2)))
	require.ErrorContains(t, err, "nested too deeply")
}

func TestWriteIndentedRoundTrip(t *testing.T) {
	in := `{"b":[1,2.50,-0,1e3,{},[]],"a":{"x":"caf\u00e9 \u2028 \ud800 \ud83d\ude00 <&> \"q\" \\ \/ \t\n"},"n":null,"t":true,"f":false}`
	v, err := parseValue([]byte(in))
	require.NoError(t, err)
	out := writeIndented(nil, v, "")
	require.Equal(t, `{
  "b": [
    1,
    2.50,
    -0,
    1e3,
    {},
    []
  ],
  "a": {
    "x": "café \u2028 \ud800 😀 <&> \"q\" \\ / \t\n"
  },
  "n": null,
  "t": true,
  "f": false
}`, string(out))
	back, err := parseValue(out)
	require.NoError(t, err)
	require.True(t, v.equal(back))
	require.True(t, json.Valid(out))
}

// FuzzParseValue: the parser accepts what encoding/json accepts (valid
// UTF-8 only) and nothing else, and its indented output reads back equal.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"\ud800\udc00"`, `1e400`, `[]`, `{"a":1,"a":2}`, "\"\xff\"", `[1,]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseValue(data)
		valid := json.Valid(data) && utf8.Valid(data)
		if err == nil && !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if err != nil && valid && !strings.Contains(err.Error(), "nested too deeply") {
			t.Fatalf("refused valid JSON %q: %v", data, err)
		}
		if err != nil {
			return
		}
		out := writeIndented(nil, v, "")
		back, err := parseValue(out)
		if err != nil || !v.equal(back) {
			t.Fatalf("round trip of %q gave %q: %v", data, out, err)
		}
		_ = appendPython(nil, v)
		_ = dataView(v)
	})
}
