package schemas

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/blake2b"
)

// Schema id prefixes, as Retab's dashboard and API show them.
const (
	IDPrefix     = "sch_id_"
	DataIDPrefix = "sch_data_id_"
)

// ID returns the schema's id as Retab computes it: "sch_id_" and the hex
// BLAKE2b digest (8 bytes) of the document serialised as Python's
// json.dumps(schema, sort_keys=True) does. Two schemas have the same id
// exactly when Retab sees them as the same schema, prompts and
// descriptions included.
func (s *Schema) ID() string { return s.id }

// DataID returns the schema's data id: the same hash as [Schema.ID] after
// removing what does not change the shape of the extracted data
// (description, default, title, required, examples, deprecated, readOnly,
// writeOnly and every X-/x- key). Two schemas with the same data id
// extract the same data; a changed prompt changes the id, not the data id.
func (s *Schema) DataID() string { return s.dataID }

// IDs computes the id and data id of any JSON Schema document, as Retab
// does (see [Schema.ID] and [Schema.DataID]). The document need not compile.
func IDs(doc []byte) (id, dataID string, err error) {
	v, err := parseValue(doc)
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	id, dataID = ids(v)
	return id, dataID, nil
}

func ids(v *value) (id, dataID string) {
	return IDPrefix + hash(v), DataIDPrefix + hash(dataView(v))
}

func hash(v *value) string {
	h, _ := blake2b.New(8, nil) // 8 is a valid size: no error
	h.Write(appendPython(nil, v))
	return hex.EncodeToString(h.Sum(nil))
}

// appendPython appends v as Python's json.dumps(v, sort_keys=True) writes
// it with its defaults: separators ", " and ": ", keys sorted by code
// point, every character outside printable ASCII escaped as \uXXXX
// (astral characters as surrogate pairs), numbers as Python prints the
// int or float json.loads made of them.
func appendPython(b []byte, v *value) []byte {
	switch v.kind {
	case kindNull:
		return append(b, "null"...)
	case kindBool:
		if v.b {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case kindNumber:
		return append(b, pythonNumber(v.s)...)
	case kindString:
		return appendPythonString(b, v.s)
	case kindArray:
		b = append(b, '[')
		for i, e := range v.arr {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendPython(b, e)
		}
		return append(b, ']')
	default:
		// WTF-8 byte order is code point order, which is how Python
		// compares str keys.
		order := make([]int, len(v.keys))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(i, j int) int { return strings.Compare(v.keys[i], v.keys[j]) })
		b = append(b, '{')
		for n, i := range order {
			if n > 0 {
				b = append(b, ", "...)
			}
			b = appendPythonString(b, v.keys[i])
			b = append(b, ": "...)
			b = appendPython(b, v.vals[i])
		}
		return append(b, '}')
	}
}

// appendPythonString quotes s as Python's json.dumps does with
// ensure_ascii: everything outside printable ASCII as \uXXXX, astral
// characters as surrogate pairs.
func appendPythonString(b []byte, s string) []byte { return appendQuoted(b, s, true) }

// dataRemoved are the keywords removed for the data id, compared without
// regard to case, as Retab does.
var dataRemoved = []string{"description", "default", "title", "required", "examples", "deprecated", "readonly", "writeonly"}

// dataView returns the copy of a schema that Retab hashes for the data
// id. Retab cleans a schema object by removing, from its own keys: the
// keywords above, every key starting with "x-" (any case), the empty key,
// and every key whose value is an empty object; then it cleans the
// schemas under "properties" and "$defs" (whose keys are names, kept as
// they are), under "items", and in "allOf" and "anyOf". Nothing else is
// descended into: the subschemas of oneOf, not, additionalProperties,
// patternProperties and the like keep every key.
func dataView(v *value) *value {
	if v.kind != kindObject {
		return v
	}
	out := newObject()
	for i, k := range v.keys {
		m := v.vals[i]
		lk := strings.ToLower(k)
		if k == "" || (m.kind == kindObject && len(m.keys) == 0) || slices.Contains(dataRemoved, lk) || strings.HasPrefix(lk, "x-") {
			continue
		}
		switch k {
		case "properties", "$defs":
			if m.kind == kindObject {
				names := newObject()
				for j, name := range m.keys {
					names.set(name, dataView(m.vals[j]))
				}
				m = names
			}
		case "items":
			m = dataView(m)
		case "allOf", "anyOf":
			if m.kind == kindArray {
				arr := newArray()
				for _, e := range m.arr {
					arr.arr = append(arr.arr, dataView(e))
				}
				m = arr
			}
		}
		out.set(k, m)
	}
	return out
}
