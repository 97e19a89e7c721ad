package schemas_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/schemas"
)

type cmpParty struct {
	Name string  `json:"name"`
	VAT  *string `json:"vat"`
}

type cmpLine struct {
	Qty int `json:"qty" jsonschema:"description=How many"`
}

type cmpDoc struct {
	Number   string    `json:"number"`
	Total    float64   `json:"total"`
	Due      *string   `json:"due"`
	Supplier cmpParty  `json:"supplier"`
	Lines    []cmpLine `json:"lines"`
	Currency string    `json:"currency" jsonschema:"enum=EUR,enum=USD"`
}

const cmpFile = `{
  "type": "object",
  "properties": {
    "number": {"type": "string"},
    "total": {"type": "string"},
    "due": {"type": "string"},
    "note": {"type": "string"},
    "supplier": {"$ref": "#/$defs/P"},
    "lines": {"type": "array", "items": {"$ref": "#/$defs/L"}},
    "currency": {"type": "string", "enum": ["EUR"]}
  },
  "required": ["number", "total", "due", "note", "supplier", "currency"],
  "additionalProperties": false,
  "$defs": {
    "P": {"type": "object", "properties": {"name": {"type": ["string", "null"]}}, "required": ["name"], "additionalProperties": false},
    "L": {"type": "object", "properties": {"qty": {"type": "integer", "description": "Quantity"}}, "additionalProperties": false}
  }
}`

func TestCompare(t *testing.T) {
	file := mustParse(t, cmpFile)
	code, err := schemas.For[cmpDoc]()
	require.NoError(t, err)
	diffs := schemas.Compare(file, code)
	var got []string
	for _, d := range diffs {
		got = append(got, d.Kind+" "+d.String())
	}
	require.Equal(t, []string{
		`type total: the file says string, the struct (cmpDoc.Total) says number: change the field's Go type or the file`,
		`nullable due: the struct (cmpDoc.Due) allows null (a pointer or omitempty), the file does not: add "null" to its type in the file, or make the Go field a plain value`,
		"missing-in-struct note: in the file but not in the struct: add a field with `json:\"note\"` to cmpDoc, or remove it from the file (the router would accept it and drop it when decoding)",
		`nullable supplier.name: the file allows null, the struct (cmpParty.Name) does not: make the field a pointer or add omitempty, or the model's null is refused`,
		`missing-in-file supplier.vat: in the struct (cmpParty.VAT) but not in the file: export the schema again and upload it to Retab, or remove the field from the struct`,
		`required lines: required in the struct (cmpDoc.Lines has no omitempty), optional in the file: add omitempty to its json tag, or add "lines" to the file's required list`,
		`required lines[].qty: required in the struct (cmpLine.Qty has no omitempty), optional in the file: add omitempty to its json tag, or add "qty" to the file's required list`,
		`annotation lines[].qty: description differs: the file has "Quantity", the struct (cmpLine.Qty) has "How many"`,
		`constraint currency: enum differs: the file has ["EUR"], the struct (cmpDoc.Currency) has ["EUR", "USD"]`,
	}, got)
	for _, d := range diffs {
		require.Equal(t, d.Kind != schemas.DiffAnnotation, d.Structural())
	}
	require.Equal(t, schemas.Difference{Path: "total", Kind: schemas.DiffType, File: "string", Struct: "number",
		Message: "the file says string, the struct (cmpDoc.Total) says number: change the field's Go type or the file"}, diffs[0])
	require.False(t, file.Equal(code))
}

func TestCompareSameSchema(t *testing.T) {
	code, err := schemas.For[Invoice]()
	require.NoError(t, err)
	file, err := schemas.Parse(code.JSON())
	require.NoError(t, err)
	require.Empty(t, schemas.Compare(file, code))
	require.True(t, file.Equal(code))
}

// TestCompareNullForms: ["T", "null"], anyOf with null and oneOf with null
// are the same to Compare, and so are a $ref and the schema it points at.
func TestCompareNullForms(t *testing.T) {
	type Inner struct {
		X int `json:"x"`
	}
	type Doc struct {
		A *string `json:"a"`
		B *Inner  `json:"b"`
		C *int    `json:"c" jsonschema:"enum=1,enum=2"`
	}
	code, err := schemas.For[Doc]()
	require.NoError(t, err)
	file := mustParse(t, `{"type":"object","additionalProperties":false,"required":["a","b","c"],"properties":{
		"a": {"anyOf": [{"type": "string"}, {"type": "null"}]},
		"b": {"oneOf": [{"type": "null"}, {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"], "additionalProperties": false}]},
		"c": {"type": "integer", "enum": [1, 2, null]}
	}}`)
	require.Empty(t, schemas.Compare(file, code))
}

func TestCompareRecursive(t *testing.T) {
	code, err := schemas.For[TreeNode]()
	require.NoError(t, err)
	file := mustParse(t, `{"$defs":{"N":{"type":"object","properties":{"label":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/$defs/N"}},"parent":{"anyOf":[{"$ref":"#/$defs/N"},{"type":"null"}]}},"required":["label","children","parent"],"additionalProperties":false}},
		"type":"object","properties":{"label":{"type":"integer"},"children":{"type":"array","items":{"$ref":"#/$defs/N"}},"parent":{"anyOf":[{"$ref":"#/$defs/N"},{"type":"null"}]}},"required":["label","children","parent"],"additionalProperties":false}`)
	var got []string
	for _, d := range schemas.Compare(file, code) {
		got = append(got, d.String())
	}
	require.Equal(t, []string{"label: the file says integer, the struct (TreeNode.Label) says string: change the field's Go type or the file"}, got)
}
