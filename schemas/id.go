package schemas

import (
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/blake2b"

	"github.com/retabhook/retabhook/internal/jsontree"
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
	v, err := jsontree.Parse(doc)
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

// appendPython appends v as Retab serialises a schema it hashes:
// Python's json.dumps(v, sort_keys=True).
func appendPython(b []byte, v *value) []byte { return jsontree.Dumps{SortKeys: true}.Append(b, v) }

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
	if v.Kind != jsontree.Object {
		return v
	}
	out := jsontree.NewObject()
	for i, k := range v.Keys {
		m := v.Vals[i]
		lk := strings.ToLower(k)
		if k == "" || (m.Kind == jsontree.Object && len(m.Keys) == 0) || slices.Contains(dataRemoved, lk) || strings.HasPrefix(lk, "x-") {
			continue
		}
		switch k {
		case "properties", "$defs":
			if m.Kind == jsontree.Object {
				names := jsontree.NewObject()
				for j, name := range m.Keys {
					names.Set(name, dataView(m.Vals[j]))
				}
				m = names
			}
		case "items":
			m = dataView(m)
		case "allOf", "anyOf":
			if m.Kind == jsontree.Array {
				arr := jsontree.NewArray()
				for _, e := range m.Elems {
					arr.Elems = append(arr.Elems, dataView(e))
				}
				m = arr
			}
		}
		out.Set(k, m)
	}
	return out
}
