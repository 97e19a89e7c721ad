package schemas

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/retabhook/retabhook/internal/jsontree"
)

// CommonInstance looks for an extracted object that both a and b accept,
// so that routing by schema match could not tell the two apart: typically
// a schema whose properties are all optional accepts {}, and then every
// delivery that another schema accepts matches it too. It tries the
// smallest instance of each schema (only required properties, null
// wherever null is allowed, the lowest counts and bounds), and returns
// the first that both validate, as JSON. A false answer does not prove
// that the schemas are exclusive; a true one is a real instance.
func CommonInstance(a, b *Schema) ([]byte, bool) {
	for _, s := range []*Schema{a, b} {
		for _, nullFirst := range []bool{true, false} {
			g := instanceGen{root: s.tree, nullFirst: nullFirst}
			v := g.minimal(s.tree, 0)
			if v == nil {
				continue
			}
			if a.Validate(deepCopy(v)) == nil && b.Validate(deepCopy(v)) == nil {
				out, err := json.Marshal(v)
				return out, err == nil
			}
		}
	}
	return nil, false
}

// instanceGen builds the smallest instance of a schema node.
type instanceGen struct {
	root      *value
	nullFirst bool // answer null wherever a node allows it
}

func (g instanceGen) minimal(s *value, depth int) any {
	if s == nil || depth > 32 {
		return nil
	}
	if s.Kind == jsontree.Bool {
		return nil
	}
	if ref, ok := s.Str("$ref"); ok {
		target, _ := lookupPointer(g.root, ref)
		return g.minimal(target, depth+1)
	}
	if c := s.Get("const"); c != nil {
		return plain(c)
	}
	if e := s.Get("enum"); e != nil && e.Kind == jsontree.Array && len(e.Elems) > 0 {
		for _, v := range e.Elems {
			if v.Kind == jsontree.Null && g.nullFirst {
				return nil
			}
		}
		for _, v := range e.Elems {
			if v.Kind != jsontree.Null {
				return plain(v)
			}
		}
		return nil
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if alts := s.Get(k); alts != nil && alts.Kind == jsontree.Array && len(alts.Elems) > 0 {
			if g.nullFirst {
				for _, alt := range alts.Elems {
					if t, _ := alt.Str("type"); t == "null" {
						return nil
					}
				}
			}
			for _, alt := range alts.Elems {
				if t, _ := alt.Str("type"); t != "null" {
					return g.minimal(alt, depth+1)
				}
			}
		}
	}
	types := typeSet(s)
	if types["null"] && g.nullFirst {
		return nil
	}
	switch {
	case types["object"]:
		out := map[string]any{}
		props := s.Get("properties")
		for _, name := range s.Get("required").Elements() {
			out[name.Text] = g.minimal(props.Get(name.Text), depth+1)
		}
		return out
	case types["array"]:
		n := 0
		if m := s.Get("minItems"); m != nil {
			n, _ = strconv.Atoi(m.Text)
		}
		out := make([]any, 0, n)
		for range min(n, 16) {
			out = append(out, g.minimal(s.Get("items"), depth+1))
		}
		return out
	case types["string"]:
		return minimalString(s)
	case types["integer"], types["number"]:
		return minimalNumber(s, types["integer"])
	case types["boolean"]:
		return false
	}
	return nil
}

// plain converts a schema value (an enum or const member) to an instance.
func plain(v *value) any {
	var out any
	_ = json.Unmarshal(jsontree.AppendIndented(nil, v), &out)
	if n, ok := out.(float64); ok {
		return json.Number(strconv.FormatFloat(n, 'g', -1, 64))
	}
	return out
}

// stringSamples are tried, in order, for a string schema with a pattern.
var stringSamples = []string{"", "a", "2024-01-01", "2024-01-01T00:00:00Z", "2024-01-01T00:00", "ada@example.com",
	"https://example.com", "00000000-0000-0000-0000-000000000000", "+12345678901", "en", "AAA", "AA", "0"}

func minimalString(s *value) any {
	lo, hi := 0, -1
	if m := s.Get("minLength"); m != nil {
		lo, _ = strconv.Atoi(m.Text)
	}
	if m := s.Get("maxLength"); m != nil {
		hi, _ = strconv.Atoi(m.Text)
	}
	fits := func(c string) bool {
		n := len([]rune(c))
		return n >= lo && (hi < 0 || n <= hi)
	}
	p, ok := s.Str("pattern")
	if !ok {
		return strings.Repeat("a", lo)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil
	}
	for _, c := range stringSamples {
		if fits(c) && re.MatchString(c) {
			return c
		}
	}
	return nil
}

func minimalNumber(s *value, integer bool) any {
	lo := "0"
	if m := s.Get("minimum"); m != nil && compareNumbers(m.Text, lo) > 0 {
		lo = m.Text
	}
	if m := s.Get("exclusiveMinimum"); m != nil && compareNumbers(m.Text, lo) >= 0 {
		n, _ := strconv.ParseFloat(m.Text, 64)
		if integer {
			lo = strconv.FormatFloat(float64(int64(n))+1, 'f', -1, 64)
		} else {
			lo = strconv.FormatFloat(n+1, 'g', -1, 64)
		}
	}
	if m := s.Get("maximum"); m != nil && compareNumbers(m.Text, lo) < 0 {
		lo = m.Text
	}
	return json.Number(lo)
}
