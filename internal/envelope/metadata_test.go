package envelope

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkMetadata is the property of Metadata: when it decodes raw,
// json.Unmarshal into a map[string]any decodes it without error to the
// same value.
func checkMetadata(t *testing.T, raw []byte) (ok bool) {
	t.Helper()
	got, ok := Metadata(raw)
	var want map[string]any
	err := json.Unmarshal(raw, &want)
	if !ok {
		return false
	}
	require.NoError(t, err, "Metadata accepted what encoding/json refuses: %q", raw)
	require.Equal(t, want, got, "%q", raw)
	require.NotNil(t, got)
	return true
}

var metadataCases = []struct {
	raw  string
	sure bool // Metadata decodes it itself
}{
	{`{}`, true},
	{` { } `, true},
	{`{"automation":"invoices","source":"bench"}`, true},
	{`{"a":1,"b":-2.5e3,"c":true,"d":false,"e":null,"f":[],"g":{},"h":[1,"x",[null],{"y":{}}]}`, true},
	{`{"a":1,"a":"second"}`, true},
	{`{"a":{"x":1},"a":{"y":2}}`, true},
	{`{"\u00e9t\u00e9":"caf\u00e9 \ud83d\ude00 \ud800 \/ \" \\ \n\t"}`, true},
	{"{\"k\":\"\xff\xfe invalid \xc3\"}", true},
	{`{"A":1,"a":2}`, true},
	{`{"n":0,"m":-0,"big":123456789012345678901234567890}`, true},
	{`{"x":1e400}`, false},
	{`{"x":-1e400}`, false},
	{`[]`, false},
	{`"s"`, false},
	{`null`, false},
	{`{"a":1,}`, false},
	{`{"a":1} x`, false},
	{`{"a":tru}`, false},
	{`{"a":nul}`, false},
	{`{"a":01}`, false},
	{`{"a":"\x"}`, false},
	{"{\"a\":\"\x01\"}", false},
	{`{"a"`, false},
	{`{`, false},
	{``, false},
}

func TestMetadataMatchesEncodingJSON(t *testing.T) {
	for _, c := range metadataCases {
		t.Run(c.raw, func(t *testing.T) {
			require.Equal(t, c.sure, checkMetadata(t, []byte(c.raw)))
		})
	}
	deep := make([]byte, 0, 4100)
	deep = append(deep, `{"a":`...)
	for range 2000 {
		deep = append(deep, '[')
	}
	for range 2000 {
		deep = append(deep, ']')
	}
	deep = append(deep, '}')
	require.False(t, checkMetadata(t, deep), "nests past jsonscan.MaxDepth: encoding/json decides")
}

// TestMetadataSharesOneString: the strings of a decoded metadata object
// are parts of one allocation, and do not change when raw does.
func TestMetadataSharesOneString(t *testing.T) {
	raw := []byte(`{"automation":"invoices","source":"bench","n":[1,"two"]}`)
	allocs := testing.AllocsPerRun(100, func() { Metadata(raw) })
	std := testing.AllocsPerRun(100, func() {
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
	})
	// The map (and its table), the text, the array (and its growth), the
	// boxing of the values: 10, where encoding/json makes 22.
	t.Logf("allocations: %v, encoding/json %v", allocs, std)
	require.LessOrEqual(t, allocs, 10.0)
	require.Less(t, allocs, std)
	m, ok := Metadata(raw)
	require.True(t, ok)
	for i := range raw {
		raw[i] = 'x'
	}
	require.Equal(t, map[string]any{"automation": "invoices", "source": "bench", "n": []any{1.0, "two"}}, m)
}

func FuzzMetadata(f *testing.F) {
	for _, c := range metadataCases {
		f.Add([]byte(c.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkMetadata(t, raw) })
}
