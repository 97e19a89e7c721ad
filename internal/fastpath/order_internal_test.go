package fastpath

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFieldsInDocumentOrder: a node's fields follow its properties' order
// in the document, through $defs, escaped pointer tokens and items, with
// the names that are only required last; the walk tries them in that
// order, and any order gives the same verdicts.
func TestFieldsInDocumentOrder(t *testing.T) {
	p, err := Compile([]byte(`{
  "type": "object",
  "required": ["zz", "c"],
  "properties": {
    "c": {"type": "string"},
    "a/b": {"type": "object", "properties": {"y": true, "x~": true, "w": true}},
    "b": {"$ref": "#/$defs/item"},
    "a": {"type": "array", "items": {"properties": {"k2": true, "k1": true}}}
  },
  "$defs": {"item": {"properties": {"q": true, "p": {"type": "integer"}, "o": true}}}
}`), nil)
	require.NoError(t, err)
	names := func(n *node) []string {
		var out []string
		for k, f := range n.fields {
			require.Equal(t, k, n.byName[f.name])
			out = append(out, f.name)
		}
		return out
	}
	root := p.root
	require.Equal(t, []string{"c", "a/b", "b", "a", "zz"}, names(root))
	require.Equal(t, []string{"y", "x~", "w"}, names(root.fields[1].schema))
	require.Equal(t, []string{"q", "p", "o"}, names(root.fields[2].schema), "a node that holds only a $ref is its target")
	require.Equal(t, []string{"k2", "k1"}, names(root.fields[3].schema.items))
	for _, c := range []struct {
		content string
		valid   bool
	}{
		{`{"c": "x", "zz": 1}`, true},
		{`{"zz": 1, "c": "x", "a": [{"k1": 1, "k2": 2}], "b": {"o": 1, "p": 2, "q": 3}}`, true},
		{`{"c": "x", "zz": 1, "b": {"p": 2.5}}`, false},
		{`{"c": 1, "zz": 1}`, false},
		{`{"zz": 1}`, false},
		// Keys that start with the name of the field tried first.
		{`{"cc": 1, "zz": 1, "c": "x"}`, true},
		{`{"cc": "x", "zz": 1}`, false},
		{`{"c": "x", "a/bc": 1, "zz": 1}`, true},
		{`{"c": "x", "zz": 1, "b": {"qq": 1, "p": 1}}`, true},
		{`{"c": "x", "zz": 1, "b": {"q": 1, "pp": 2.5}}`, true},
		{`{"c": "x", "zz": 1, "b": {"q": 1, "p": 2.5}}`, false},
	} {
		valid, sure := p.Validate([]byte(c.content))
		require.True(t, sure, c.content)
		require.Equal(t, c.valid, valid, c.content)
		want := Refuses
		if c.valid {
			want = Matches
		}
		require.Equal(t, want, p.Route([]byte(c.content)), c.content)
	}
}

// TestKeyWordsAsKeysRead: comparing the key and its colon with the
// field's words (or its quoted name, short of room) gives the answers of
// reading every key (a copy of the program whose fields have neither),
// for names of 1 to 16 bytes, keys a byte short or long, a colon spaced
// or missing, and the content cut at every byte.
func TestKeyWordsAsKeysRead(t *testing.T) {
	names := []string{"a", "ab", "abcde", "abcdef", "abcdefg", "abcdefgh", "abcdefghijkl", "abcdefghijklm", "abcdefghijklmn", "abcdefghijklmno", "a b"}
	doc := `{"type": "object", "additionalProperties": false, "required": ["a"], "properties": {`
	for k, name := range names {
		if k > 0 {
			doc += ", "
		}
		doc += `"` + name + `": {"type": "integer"}`
	}
	doc += `}}`
	fast, err := Compile([]byte(doc), func(k []byte) bool { return string(k) == "abcdef" })
	require.NoError(t, err)
	slow, err := Compile([]byte(doc), func(k []byte) bool { return string(k) == "abcdef" })
	require.NoError(t, err)
	for k := range slow.root.fields {
		slow.root.fields[k].quoted, slow.root.fields[k].wlen = "", 0
	}
	var contents []string
	for _, name := range names {
		for _, key := range []string{name, name[:len(name)-1], name + "x", "x" + name} {
			for _, sep := range []string{":", " :", ": ", ""} {
				contents = append(contents, `{"a":1,"`+key+`"`+sep+`2}`, `{"`+key+`"`+sep+`2,"a":1}`, `{"a":1,"`+key+`"`+sep+`2,"abcdefghijklmno":3}`)
			}
		}
	}
	all := `{"a":1`
	for _, name := range names[1:] {
		all += `,"` + name + `":2`
	}
	contents = append(contents, all+"}")
	for _, c := range contents {
		for cut := 0; cut <= len(c); cut++ {
			require.Equal(t, slow.Route([]byte(c[:cut])), fast.Route([]byte(c[:cut])), "%s", c[:cut])
		}
		if slow.Route([]byte(c)) == Matches { // prepared content: Validate's too
			v1, s1 := slow.Validate([]byte(c))
			v2, s2 := fast.Validate([]byte(c))
			require.Equal(t, [2]bool{v1, s1}, [2]bool{v2, s2}, "%s", c)
		}
	}
}
