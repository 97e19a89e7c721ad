package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// whole reports whether b is one JSON value with optional surrounding
// whitespace, according to jsonscan.
func whole(b []byte) bool {
	i := jsonscan.SkipSpace(b, 0)
	end, ok := jsonscan.Skip(b, i)
	return ok && jsonscan.SkipSpace(b, end) == len(b)
}

var seeds = []string{
	`{"a":[1,-2.5e+3,0,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"]}`,
	`  {"a" : { } , "b" : [ ] }  `,
	`"\ud800\u0041"`, `"\udc00"`, `"\ud800"`, `"\ud83d\ude00\ud83d"`,
	"\"\xff\xc3\"", "\"caf\xc3\xa9\"", `"a\'b"`, `"a\x"`, "\"a\tb\"",
	`01`, `-`, `1.`, `1e`, `1e+`, `.5`, `-0.0e-0`, `1E9`,
	`tru`, `nul`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{1:2}`, `[1 2]`, `{}x`, ``, ` `,
	strings.Repeat("[", 1001) + strings.Repeat("]", 1001),
	strings.Repeat("[", 999) + strings.Repeat("]", 999),
	`"` + strings.Repeat("abcdefgh", 40) + `"`, `"` + strings.Repeat("abcdefg\\n", 40) + `"`,
}

func TestSkipAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range seeds {
		b := []byte(s)
		if whole(b) {
			require.True(t, json.Valid(b), "jsonscan accepts what encoding/json refuses: %q", s)
		} else if len(s) < 1000 {
			require.False(t, json.Valid(b), "jsonscan refuses valid JSON: %q", s)
		}
	}
}

func TestUnquote(t *testing.T) {
	for _, s := range seeds {
		checkUnquote(t, []byte(s))
	}
}

func checkUnquote(t *testing.T, b []byte) {
	if len(b) == 0 || b[0] != '"' {
		return
	}
	end, flags, ok := jsonscan.String(b, 0)
	if !ok || end != len(b) {
		return
	}
	var want string
	require.NoError(t, json.Unmarshal(b, &want), "%q", b)
	require.Equal(t, want, string(jsonscan.Unquote(nil, b)), "%q", b)
	if jsonscan.Plain(b, flags) {
		require.Equal(t, want, string(b[1:len(b)-1]))
	}
}

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		in      string
		end     int
		integer bool
		ok      bool
	}{
		{"12,", 2, true, true}, {"-0]", 2, true, true}, {"1.5}", 3, false, true},
		{"1e5", 3, false, true}, {"01", 1, true, true}, {"-", 0, false, false}, {"1.e1", 0, false, false},
	} {
		end, integer, ok := jsonscan.Number([]byte(tc.in), 0)
		require.Equal(t, tc.ok, ok, tc.in)
		if ok {
			require.Equal(t, tc.end, end, tc.in)
			require.Equal(t, tc.integer, integer, tc.in)
		}
	}
}

func FuzzSkip(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if whole(b) {
			require.True(t, json.Valid(b), "jsonscan accepts what encoding/json refuses: %q", b)
		} else if json.Valid(b) {
			// Only nesting deeper than MaxDepth may be refused.
			require.Greater(t, strings.Count(string(b), "[")+strings.Count(string(b), "{"), jsonscan.MaxDepth-1, "%q", b)
		}
		checkUnquote(t, b)
	})
}

// checkSkipNested is the property of Skip on objects and arrays (its
// loop, skipNested): from every '{' and '[' of b, Skip ends where
// encoding/json's Decoder ends that value, and refuses it exactly when the
// Decoder does, but for nesting deeper than MaxDepth.
func checkSkipNested(t *testing.T, b []byte) {
	t.Helper()
	for i := range b {
		if b[i] != '{' && b[i] != '[' {
			continue
		}
		end, ok := jsonscan.Skip(b, i)
		dec := json.NewDecoder(bytes.NewReader(b[i:]))
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if !ok {
			if err == nil {
				require.Greater(t, bytes.Count(raw, []byte("["))+bytes.Count(raw, []byte("{")), jsonscan.MaxDepth-1,
					"Skip refuses what encoding/json reads: %q at %d", b, i)
			}
			continue
		}
		require.NoError(t, err, "Skip accepts what encoding/json refuses: %q at %d", b, i)
		require.Equal(t, int64(end-i), dec.InputOffset(), "%q at %d", b, i)
	}
}

// TestSkipNestedAgreesWithEncodingJSON: containers of every kind of value,
// empty, nested, with whitespace everywhere JSON allows it, and broken at
// each place a container can be.
func TestSkipNestedAgreesWithEncodingJSON(t *testing.T) {
	values := []string{`1`, `-2.5e+3`, `"s"`, `"e\"s\\"`, `true`, `false`, `null`, `{}`, `[]`, `{ }`, `[ ]`,
		`{"a":1}`, `[1,2]`, `{"a":{"b":[{"c":null}]}}`, `[[[]],[{}]]`}
	broken := []string{`[1,]`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{1:2}`, `[1 2]`, `{"a":1 "b":2}`, `[`, `{`, `{"a"`, `{"a":`,
		`[1`, `{"a":1`, `[}`, `{]`, `{"a":1]`, `[1}`, `{"a\x":1}`, `[tru]`, `[nul]`, `[-]`, `{,}`, `[,]`, `{"a":1,,"b":2}`}
	for _, v := range values {
		for _, w := range values {
			checkSkipNested(t, []byte(`[`+v+`,`+w+`]`))
			checkSkipNested(t, []byte("{ \"k\" :\t"+v+" ,\n\"l\":"+w+"\r}"))
			checkSkipNested(t, []byte(`{"k":[`+v+`],"l":{"m":`+w+`}}tail`))
		}
	}
	for _, s := range slices.Concat(seeds, broken) {
		checkSkipNested(t, []byte(s))
		checkSkipNested(t, []byte(`{"x":`+s+`}`))
	}
	for _, n := range []int{63, 64, 65, 127, 128, jsonscan.MaxDepth - 1, jsonscan.MaxDepth, jsonscan.MaxDepth + 1} {
		for _, open := range []string{"[", `{"a":`, `[{"a":`} {
			var sb strings.Builder
			for range n {
				sb.WriteString(open)
			}
			sb.WriteString("1")
			for range n {
				if open == "[" {
					sb.WriteString("]")
				} else if open == `{"a":` {
					sb.WriteString("}")
				} else {
					sb.WriteString("}]")
				}
			}
			b := []byte(sb.String())
			end, ok := jsonscan.Skip(b, 0)
			depth := n
			if open == `[{"a":` {
				depth = 2 * n
			}
			require.Equal(t, depth <= jsonscan.MaxDepth, ok, "depth %d", depth)
			if ok {
				require.Equal(t, len(b), end)
			}
		}
	}
}

func FuzzSkipNested(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"parsed":{"a":[1,{"b":"c\"d"}],"e":null},"usage":{"t":[true,false,-0.5e3]}}`))
	f.Fuzz(func(t *testing.T, b []byte) { checkSkipNested(t, b) })
}

func TestIntegerForm(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"3.0", "3"}, {"3.000", "3"}, {"30e-1", "3"}, {"3e0", "3"}, {"-2.50e1", "-25"},
		{"-0.0", "-0"}, {"0.0", "0"}, {"0e-999999999999999999999", "0"}, {"-0e5", "-0"},
		{"9007199254740993.0", "9007199254740993"}, {"1.5e3", "1500"}, {"0.0030e3", "3"},
		{"1e19", "10000000000000000000"}, {"123456789012345678901234567890.0", "123456789012345678901234567890"},
		{"2.9999999999999999", ""}, {"1e-400", ""}, {"3.5", ""}, {"3", ""}, {"-0", ""},
		{"1e30", ""}, {"1e999999999999999999999", ""}, {"5e-1", ""}, {"100e-2", "1"}, {"10E-1", "1"},
	} {
		got, ok := jsonscan.IntegerForm(nil, []byte(c.in))
		if string(got) != c.want || ok != (c.want != "") {
			t.Errorf("IntegerForm(%s) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

// TestLongStringsAgreeWithEncodingJSON puts one byte or escape of each
// kind at every position of strings long enough for String's long-run
// search (bytes.IndexByte and the 32-byte blocks), and checks the end,
// the verdict and the flags against encoding/json.
func TestLongStringsAgreeWithEncodingJSON(t *testing.T) {
	inserts := []string{`\"`, `\\`, `\n`, `\u00e9`, "\x01", "\x1f", "\x7f", "é", "\xff", `"`, `\`, `\q`}
	for _, n := range []int{64, 70, 97, 130, 300} {
		for _, ins := range inserts {
			for at := 0; at <= n; at++ {
				inner := strings.Repeat("A", at) + ins + strings.Repeat("b", n-at)
				for _, tail := range []string{`"`, `",1`, ``} {
					b := []byte(`"` + inner + tail)
					end, flags, ok := jsonscan.String(b, 0)
					// The same with the plain runs noted as a reader would,
					// in chunks of 32 to 40 bytes.
					var runs jsonscan.PlainRuns
					for at, k := 0, 0; at < len(b); k++ {
						next := min(len(b), at+32+k%9)
						runs.Note(b[at:next], at)
						at = next
					}
					e2, f2, ok2 := jsonscan.StringRuns(b, 0, &runs)
					require.Equal(t, []any{end, flags, ok}, []any{e2, f2, ok2}, "%q with plain runs", b)
					d1, v1, o1 := jsonscan.Measure(b, 10, 10)
					d2, v2, o2 := jsonscan.MeasureRuns(b, 10, 10, &runs)
					require.Equal(t, []any{d1, v1, o1}, []any{d2, v2, o2}, "%q measured with plain runs", b)
					if !ok {
						require.False(t, json.Valid(b[:min(len(b), len(inner)+2)]) && strings.Count(inner, `"`) == 0 && tail != "",
							"refused a valid string: %q", b)
						continue
					}
					var v string
					require.NoError(t, json.Unmarshal(b[:end], &v), "accepted %q", b[:end])
					require.Equal(t, strings.Contains(string(b[:end]), `\`), flags&jsonscan.Escaped != 0, "%q", b[:end])
					require.Equal(t, strings.ContainsFunc(string(b[:end]), func(r rune) bool { return r >= 0x80 }), flags&jsonscan.NonASCII != 0, "%q", b[:end])
					if !strings.Contains(ins, `"`) || ins == `\"` {
						require.Equal(t, len(inner)+2, end, "%q", b)
					}
				}
			}
		}
	}
}

func TestPathAndLocate(t *testing.T) {
	doc := []byte(` {"a": [1, {"b\u002fc": "x", "d": [true]}], "e": {}} `)
	for _, c := range []struct {
		at   string // a unique substring; its first byte is the offset
		path []string
	}{
		{`"a"`, []string{"a"}},
		{`1,`, []string{"a", "0"}},
		{`"x"`, []string{"a", "1", "b/c"}},
		{`"b\u`, []string{"a", "1", "b/c"}},
		{`true`, []string{"a", "1", "d", "0"}},
		{`{}`, []string{"e"}},
	} {
		off := strings.Index(string(doc), c.at)
		require.Equal(t, c.path, jsonscan.Path(doc, off), c.at)
		start, end, ok := jsonscan.Locate(doc, c.path)
		require.True(t, ok, c.at)
		want, _ := jsonscan.Skip(doc, start)
		require.Equal(t, want, end)
	}
	start, end, ok := jsonscan.Locate(doc, []string{"a", "1", "b/c"})
	require.True(t, ok)
	require.Equal(t, `"x"`, string(doc[start:end]))
	_, _, ok = jsonscan.Locate(doc, []string{"a", "2"})
	require.False(t, ok)
	require.Empty(t, jsonscan.Path(doc, 0), "the whitespace before the root")
}
