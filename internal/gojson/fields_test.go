package gojson_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/gojson"
)

type Deep struct {
	Name string
	Deep string `json:"deep"`
}

type Left struct {
	Deep
	Tie   string
	Shade string `json:"shade"`
}

type Right struct {
	Tie   string
	Shade string
	Only  string `json:"only"`
	skip  string
	Minus string `json:"-"`
}

type Doc struct {
	Left
	*Right
	Name string `json:"name,omitempty"`
	Own  int    `json:",omitzero"`
}

// TestFieldsAsEncodingJSON decodes a member named after every candidate
// and checks that the fields encoding/json set are exactly those Fields
// lists, with the names it lists.
func TestFieldsAsEncodingJSON(t *testing.T) {
	fields, dropped := gojson.Fields(reflect.TypeFor[Doc]())
	var names []string
	for _, f := range fields {
		names = append(names, f.Name)
	}
	require.Equal(t, []string{"Name", "deep", "shade", "Shade", "only", "name", "Own"}, names, "index order; names differing in case are different names")
	var lost []string
	for _, f := range dropped {
		lost = append(lost, f.Name)
	}
	slices.Sort(lost)
	require.Equal(t, []string{"Tie", "Tie"}, lost, "a tie at one depth")

	f, ok := gojson.Lookup(fields, "NAME")
	require.True(t, ok, "a case-insensitive match, as encoding/json: the first in index order")
	require.Equal(t, "Name", f.Name)
	f, _ = gojson.Lookup(fields, "name")
	require.True(t, f.OmitEmpty)
	own, _ := gojson.Lookup(fields, "Own")
	require.True(t, own.OmitZero)

	var d Doc
	require.NoError(t, json.Unmarshal([]byte(`{"deep": "d", "shade": "s", "Shade": "S", "only": "o", "name": "n", "Name": "N2", "Tie": "t", "Own": 1}`), &d))
	require.Equal(t, "d", d.Left.Deep.Deep)
	require.Equal(t, "s", d.Left.Shade)
	require.Equal(t, "S", d.Right.Shade)
	require.Equal(t, "", d.Left.Tie+d.Right.Tie, "a tie drops the name")
	require.Equal(t, "o", d.Right.Only)
	require.Equal(t, "n", d.Name)
	require.Equal(t, "N2", d.Left.Deep.Name)
	for _, f := range fields {
		v := reflect.ValueOf(d).FieldByIndex(f.Index)
		require.False(t, v.IsZero(), "%s was set", f.Name)
	}
}

type inner2 struct {
	X string `json:"x"`
	Y string
}

type inner3 struct {
	Y string `json:"Y"`
}

type doc2 struct {
	inner2
	inner3
	X string `json:"x"`
}

// TestFieldsDominance: the shallower field wins, then the tagged one, as
// encoding/json decodes.
func TestFieldsDominance(t *testing.T) {
	fields, dropped := gojson.Fields(reflect.TypeFor[doc2]())
	got := map[string][]int{}
	for _, f := range fields {
		got[f.Name] = f.Index
	}
	require.Equal(t, map[string][]int{"x": {2}, "Y": {1, 0}}, got)
	require.Len(t, dropped, 2) // x (deeper), Y (untagged)
	var d doc2
	require.NoError(t, json.Unmarshal([]byte(`{"x": "1", "Y": "2"}`), &d))
	require.Equal(t, doc2{X: "1", inner3: inner3{Y: "2"}}, d)
}

type quoted struct {
	N  int      `json:"n,string"`
	P  *float64 `json:",omitempty,string"`
	S  []int    `json:"s,string"` // not a kind the option applies to
	B  bool     `json:"b,stringy"`
	QS string   `json:",string"`
}

// TestFieldsQuoted: the string option is reported where encoding/json
// honours it, which it shows by wanting the literal in a string.
func TestFieldsQuoted(t *testing.T) {
	fields, _ := gojson.Fields(reflect.TypeFor[quoted]())
	got := map[string]bool{}
	for _, f := range fields {
		got[f.Name] = f.Quoted
	}
	require.Equal(t, map[string]bool{"n": true, "P": true, "s": false, "b": false, "QS": true}, got)
	var q quoted
	require.NoError(t, json.Unmarshal([]byte(`{"n": "1", "P": "2.5", "s": [3], "b": true, "QS": "\"x\""}`), &q))
	require.Equal(t, 1, q.N)
	require.Equal(t, 2.5, *q.P)
	require.Equal(t, []int{3}, q.S)
	require.Equal(t, "x", q.QS)
	require.Error(t, json.Unmarshal([]byte(`{"n": 1}`), &q))
}
