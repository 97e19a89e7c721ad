package schemas

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPythonNumber compares with what Python's json.dumps(json.loads(s))
// prints (generated with CPython 3).
func TestPythonNumber(t *testing.T) {
	cases := []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"1", "1"}, {"-1", "-1"},
		{"1.0", "1.0"}, {"1.50", "1.5"}, {"100", "100"}, {"1e2", "100.0"}, {"1E2", "100.0"},
		{"1e-5", "1e-05"}, {"0.0001", "0.0001"}, {"0.00001", "1e-05"},
		{"1e15", "1000000000000000.0"}, {"1e16", "1e+16"},
		{"123456789012345678", "123456789012345678"}, {"1.5e300", "1.5e+300"},
		{"1e400", "Infinity"}, {"-1e400", "-Infinity"}, {"1e-400", "0.0"},
		{"3.14159265358979323846", "3.141592653589793"}, {"0.1", "0.1"}, {"2.5e-7", "2.5e-07"},
		{"-0.0", "-0.0"}, {"12113.67", "12113.67"},
		{"9007199254740993", "9007199254740993"}, {"9007199254740993.0", "9007199254740992.0"},
		{"5e-324", "5e-324"}, {"1.7976931348623157e308", "1.7976931348623157e+308"},
		{"123e-2", "1.23"}, {"0e10", "0.0"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, pythonNumber(c.in), c.in)
	}
}

// TestPythonString compares with json.dumps(s) (ensure_ascii).
func TestPythonString(t *testing.T) {
	cases := []struct{ in, want string }{
		{`"plain"`, `"plain"`},
		{`"é"`, `"\u00e9"`},
		{`"😀"`, `"\ud83d\ude00"`},
		{`"\u007f"`, `"\u007f"`},
		{`"\u0000\u0001\u001f"`, `"\u0000\u0001\u001f"`},
		{`"tab\there\b\f\n\r"`, `"tab\there\b\f\n\r"`},
		{`"quote\"back\\slash\/"`, `"quote\"back\\slash/"`},
		{`"\u2028"`, `"\u2028"`},
		{`"日本"`, `"\u65e5\u672c"`},
		{`"\ud800"`, `"\ud800"`}, // a lone surrogate survives, as in Python
		{`"\ud83d\ude00"`, `"\ud83d\ude00"`},
		{`"\udc00\ud800"`, `"\udc00\ud800"`},
	}
	for _, c := range cases {
		v, err := parseValue([]byte(c.in))
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, string(appendPython(nil, v)), c.in)
	}
}

func TestPythonKeyOrder(t *testing.T) {
	// Code point order: uppercase before lowercase, "$" first, astral last.
	v, err := parseValue([]byte(`{"b":1,"a":2,"B":3,"$ref":4,"é":5,"😀":6,"\uffff":7}`))
	require.NoError(t, err)
	require.Equal(t, `{"$ref": 4, "B": 3, "a": 2, "b": 1, "\u00e9": 5, "\uffff": 7, "\ud83d\ude00": 6}`, string(appendPython(nil, v)))
}

func TestDuplicateKeysKeepLastValue(t *testing.T) {
	v, err := parseValue([]byte(`{"a":1,"b":2,"a":3}`))
	require.NoError(t, err)
	require.Equal(t, `{"a": 3, "b": 2}`, string(appendPython(nil, v)))
	require.Equal(t, []string{"a", "b"}, v.keys)
}

func TestNumbersEqual(t *testing.T) {
	for _, c := range []struct {
		a, b string
		eq   bool
	}{
		{"1", "1.0", true}, {"1.50", "1.5", true}, {"100", "1e2", true}, {"0", "-0.0", true},
		{"0.1", "1e-1", true}, {"1", "2", false}, {"-1", "1", false}, {"1e999999999999", "1", false},
		{"12113.67", "1211367e-2", true},
	} {
		require.Equal(t, c.eq, numbersEqual(c.a, c.b), "%s %s", c.a, c.b)
	}
}
