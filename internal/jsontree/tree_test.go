package jsontree_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/jsontree"
)

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		``, ` `, `{`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `01`, `1.`, `.5`, `1e`, `-`, `+1`, `"\x"`, `"\u12"`,
		"\"\x01\"", `tru`, `nul`, `[1] 2`, "\"\xff\"", `{"a":1}}`, `NaN`, `Infinity`,
	} {
		_, err := jsontree.Parse([]byte(in))
		require.ErrorIs(t, err, jsontree.ErrSyntax, "%q", in)
		_, err = jsontree.ParseAsWritten([]byte(in))
		require.ErrorIs(t, err, jsontree.ErrSyntax, "%q", in)
	}
	_, err := jsontree.Parse([]byte(strings.Repeat("[", jsontree.MaxDepth+2) + strings.Repeat("]", jsontree.MaxDepth+2)))
	require.ErrorIs(t, err, jsontree.ErrSyntax)
	require.ErrorContains(t, err, "nested too deeply")
}

func TestAppendIndentedRoundTrip(t *testing.T) {
	in := `{"b":[1,2.50,-0,1e3,{},[]],"a":{"x":"caf\u00e9 \u2028 \ud800 \ud83d\ude00 <&> \"q\" \\ \/ \t\n"},"n":null,"t":true,"f":false}`
	v, err := jsontree.Parse([]byte(in))
	require.NoError(t, err)
	out := jsontree.AppendIndented(nil, v)
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
	back, err := jsontree.Parse(out)
	require.NoError(t, err)
	require.True(t, v.Equal(back))
	require.True(t, json.Valid(out))

	require.Equal(t, `{"b":[1,2.50,-0,1e3,{},[]],"a":{"x":"café \u2028 \ud800 😀 <&> \"q\" \\ / \t\n"},"n":null,"t":true,"f":false}`,
		string(jsontree.AppendCompact(nil, v)))
}

func TestDuplicateKeys(t *testing.T) {
	v, err := jsontree.Parse([]byte(`{"a":1,"b":2,"a":3}`))
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, v.Keys)
	require.Equal(t, `{"a": 3, "b": 2}`, string(jsontree.Dumps{}.Append(nil, v)))

	w, err := jsontree.ParseAsWritten([]byte(`{"a":1,"b":2,"a":3}`))
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "a"}, w.Keys)
	require.Equal(t, `{"a":1,"b":2,"a":3}`, string(jsontree.AppendCompact(nil, w)))
}

func TestEditing(t *testing.T) {
	v, err := jsontree.Parse([]byte(`{"a":1,"b":[true,null],"c":"x"}`))
	require.NoError(t, err)
	c := v.Clone()

	s, ok := v.Str("c")
	require.True(t, ok)
	require.Equal(t, "x", s)
	_, ok = v.Str("a")
	require.False(t, ok)
	require.Len(t, v.Get("b").Elements(), 2)
	require.Nil(t, v.Get("a").Elements())
	require.Nil(t, v.Get("zz"))
	require.Nil(t, v.Get("b").Get("a"), "Get on an array")

	v.Set("a", jsontree.NewString("one"))
	v.Set("d", jsontree.NewBool(false))
	v.InsertBefore("b", "r", jsontree.NewNumber("2"))
	v.InsertBefore("", "first", jsontree.NewNull())
	v.InsertBefore("absent", "last", jsontree.NewArray())
	require.Equal(t, "2", v.Del("r").Text)
	require.Nil(t, v.Del("r"))
	require.Equal(t, `{"first":null,"a":"one","b":[true,null],"c":"x","d":false,"last":[]}`, string(jsontree.AppendCompact(nil, v)))

	require.Equal(t, `{"a":1,"b":[true,null],"c":"x"}`, string(jsontree.AppendCompact(nil, c)), "the clone is unchanged")
	require.False(t, c.Equal(v))
	swapped, err := jsontree.Parse([]byte(`{"c":"x","b":[true,null],"a":1.0e0}`))
	require.NoError(t, err)
	require.True(t, c.Equal(swapped), "members by name, numbers by value")
}

func TestNumbersEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		eq   bool
	}{
		{"1", "1.0", true}, {"1.50", "1.5", true}, {"100", "1e2", true}, {"0", "-0.0", true},
		{"0.1", "1e-1", true}, {"1", "2", false}, {"-1", "1", false}, {"1e999999999999", "1", false},
		{"12113.67", "1211367e-2", true}, {"1e999999999999999999999", "1e999999999999999999999", true},
	} {
		require.Equal(t, c.eq, jsontree.NumbersEqual(c.a, c.b), "%s %s", c.a, c.b)
	}
	require.Equal(t, jsontree.Decimal{Neg: true, Digits: "1211367", Exp: 5, OK: true}, jsontree.ParseDecimal("-12113.670"))
	require.Equal(t, jsontree.Decimal{OK: true}, jsontree.ParseDecimal("-0e7"))
}

// FuzzParse: the parser accepts what encoding/json accepts in valid UTF-8
// and nothing else; what every writer prints reads back equal; and the
// compact form of a tree parsed as written decodes, with encoding/json,
// to what the input decodes to.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,2,{"b":null}]}`, `"\ud800\udc00"`, `"\ud800"`, `1e400`, `[]`, `{"a":1,"a":2}`, "\"\xff\"", `[1,]`,
		`{"é":"😀\u2028\b\f\u007f"}`, `-0.0`, `[1e-5, 1e16, 123456789012345680.0]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := jsontree.Parse(data)
		valid := json.Valid(data) && utf8.Valid(data)
		if err == nil && !valid {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if err != nil && valid && !strings.Contains(err.Error(), "nested too deeply") {
			t.Fatalf("refused valid JSON %q: %v", data, err)
		}
		if err != nil {
			return
		}
		for name, out := range map[string][]byte{
			"indented": jsontree.AppendIndented(nil, v),
			"compact":  jsontree.AppendCompact(nil, v),
			"dumps":    jsontree.Dumps{NumbersAsWritten: true}.Append(nil, v),
		} {
			back, err := jsontree.Parse(out)
			if err != nil || !v.Equal(back) {
				t.Fatalf("%s round trip of %q gave %q: %v", name, data, out, err)
			}
		}
		_ = jsontree.Dumps{SortKeys: true}.Append(nil, v)

		w, err := jsontree.ParseAsWritten(data)
		if err != nil {
			t.Fatalf("ParseAsWritten refused what Parse took: %v", err)
		}
		want, err1 := decodeAny(data)
		got, err2 := decodeAny(jsontree.AppendCompact(nil, w))
		if err1 != nil || err2 != nil || !assert.ObjectsAreEqual(want, got) {
			t.Fatalf("compact form of %q decodes to %v, want %v (%v, %v)", data, got, want, err1, err2)
		}
	})
}

func decodeAny(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// FuzzAppendString: AppendString writes what encoding/json writes without
// HTML escaping, for any string without a WTF-8 surrogate (which
// encoding/json would replace byte by byte, and AppendString keeps as
// its escape).
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "é😀", "\b\f\n\r\t\x00\x1f\x7f", "\u2028\u2029", "<&>", "\xff", "a\xc3", `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i := 0; i+1 < len(s); i++ {
			if s[i] == 0xed && s[i+1] >= 0xa0 && s[i+1] <= 0xbf {
				return
			}
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(s))
		require.Equal(t, strings.TrimSuffix(want.String(), "\n"), string(jsontree.AppendString(nil, s)))
	})
}
