package schemas

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
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
	if s.kind == kindBool {
		return nil
	}
	if ref, ok := s.str("$ref"); ok {
		target, _ := lookupPointer(g.root, ref)
		return g.minimal(target, depth+1)
	}
	if c := s.get("const"); c != nil {
		return plain(c)
	}
	if e := s.get("enum"); e != nil && e.kind == kindArray && len(e.arr) > 0 {
		for _, v := range e.arr {
			if v.kind == kindNull && g.nullFirst {
				return nil
			}
		}
		for _, v := range e.arr {
			if v.kind != kindNull {
				return plain(v)
			}
		}
		return nil
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if alts := s.get(k); alts != nil && alts.kind == kindArray && len(alts.arr) > 0 {
			if g.nullFirst {
				for _, alt := range alts.arr {
					if t, _ := alt.str("type"); t == "null" {
						return nil
					}
				}
			}
			for _, alt := range alts.arr {
				if t, _ := alt.str("type"); t != "null" {
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
		props := s.get("properties")
		for _, name := range s.get("required").arrOrNil() {
			out[name.s] = g.minimal(props.get(name.s), depth+1)
		}
		return out
	case types["array"]:
		n := 0
		if m := s.get("minItems"); m != nil {
			n, _ = strconv.Atoi(m.s)
		}
		out := make([]any, 0, n)
		for range min(n, 16) {
			out = append(out, g.minimal(s.get("items"), depth+1))
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
	_ = json.Unmarshal(writeIndented(nil, v, ""), &out)
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
	if m := s.get("minLength"); m != nil {
		lo, _ = strconv.Atoi(m.s)
	}
	if m := s.get("maxLength"); m != nil {
		hi, _ = strconv.Atoi(m.s)
	}
	fits := func(c string) bool {
		n := len([]rune(c))
		return n >= lo && (hi < 0 || n <= hi)
	}
	p, ok := s.str("pattern")
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
	if m := s.get("minimum"); m != nil && compareNumbers(m.s, lo) > 0 {
		lo = m.s
	}
	if m := s.get("exclusiveMinimum"); m != nil && compareNumbers(m.s, lo) >= 0 {
		n, _ := strconv.ParseFloat(m.s, 64)
		if integer {
			lo = strconv.FormatFloat(float64(int64(n))+1, 'f', -1, 64)
		} else {
			lo = strconv.FormatFloat(n+1, 'g', -1, 64)
		}
	}
	if m := s.get("maximum"); m != nil && compareNumbers(m.s, lo) < 0 {
		lo = m.s
	}
	return json.Number(lo)
}
