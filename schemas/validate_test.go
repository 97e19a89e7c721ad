package schemas_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/schemas"
)

func mustParse(t *testing.T, doc string) *schemas.Schema {
	t.Helper()
	s, err := schemas.Parse([]byte(doc))
	require.NoError(t, err)
	return s
}

func violations(t *testing.T, err error) []schemas.Violation {
	t.Helper()
	var ve *schemas.ValidationError
	require.ErrorAs(t, err, &ve)
	return ve.Violations
}

func TestValidateViolations(t *testing.T) {
	s, err := schemas.For[Invoice]()
	require.NoError(t, err)
	content := `{
		"number": "X", "issue_date": "22/01/2024", "due_date": null,
		"supplier": {"name": "ACME", "vat_id": null, "address": {"street": "1 rue", "city": "Paris", "country": "France"}, "phone": "0123"},
		"currency": "JPY", "priority": 4,
		"line_items": [{"description": "Bolt", "quantity": "two", "unit_price": 1.5}],
		"total": "12", "source": "scan", "pages": 0
	}`
	got := violations(t, validate(t, s, content))
	require.Equal(t, []schemas.Violation{
		{Pointer: "/currency", Keyword: "enum", Message: `must be one of "EUR", "USD", "GBP"; got "JPY"`},
		{Pointer: "/issue_date", Keyword: "pattern", Message: `must match the pattern "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"; got "22/01/2024"`},
		{Pointer: "/line_items/0/amount", Keyword: "required", Message: "is required but missing"},
		{Pointer: "/line_items/0/quantity", Keyword: "type", Message: "must be an integer, not a string"},
		{Pointer: "/number", Keyword: "pattern", Message: `must match the pattern "^[A-Z]{2,3}-[0-9]+$"; got "X"`},
		{Pointer: "/pages", Keyword: "minimum", Message: "must be at least 1; got 0"},
		{Pointer: "/priority", Keyword: "enum", Message: "must be one of 1, 2, 3; got 4"},
		{Pointer: "/supplier/address/country", Keyword: "pattern", Message: `must match the pattern "^[A-Z]{2}$"; got "France"`},
		{Pointer: "/supplier/phone", Keyword: "additionalProperties", Message: "is not a property of the schema (additional properties are not allowed)"},
		{Pointer: "/total", Keyword: "type", Message: "must be a number, not a string"},
	}, got)

	var ve *schemas.ValidationError
	require.ErrorAs(t, validate(t, s, content), &ve)
	require.Equal(t, `schemas: 10 violation(s); /currency: must be one of "EUR", "USD", "GBP"; got "JPY"; /issue_date: must match the pattern "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"; got "22/01/2024"; /line_items/0/amount: is required but missing; ...`, ve.Error())
	require.Equal(t, "/: is required but missing", schemas.Violation{Message: "is required but missing"}.String())
}

func TestValidateRootAndEscapedPointers(t *testing.T) {
	s := mustParse(t, `{"type":"object","properties":{"a/b":{"type":"integer"},"c~d":{"type":"string"}},"required":["a/b"],"additionalProperties":false}`)
	require.Equal(t, []schemas.Violation{
		{Pointer: "/a~1b", Keyword: "required", Message: "is required but missing"},
		{Pointer: "/c~0d", Keyword: "type", Message: "must be a string, not a number"},
	}, violations(t, validate(t, s, `{"c~d": 1}`)))
	require.Equal(t, []schemas.Violation{{Pointer: "", Keyword: "type", Message: "must be an object, not an array"}}, violations(t, validate(t, s, `[]`)))
}

// TestValidateIntegerAsFloat: strict mode shows integers as numbers, so a
// model may answer 3.0; ParseInstance reads it as 3.
func TestValidateIntegerAsFloat(t *testing.T) {
	s := mustParse(t, `{"type":"object","properties":{"n":{"type":"integer"},"m":{"type":"integer"}}}`)
	inst, err := schemas.ParseInstance([]byte(`{"n": 3.0, "m": 3e2}`))
	require.NoError(t, err)
	require.NoError(t, s.Validate(inst.Value))
	require.Equal(t, map[string]any{"n": json.Number("3"), "m": json.Number("300")}, inst.Value)
	require.Equal(t, []schemas.Violation{{Pointer: "/n", Keyword: "type", Message: "must be an integer, not a number"}}, violations(t, validate(t, s, `{"n": 3.5}`)))
}

// TestValidateEnumAsString: strict mode shows enum values to the model as
// Python's str() of each, so a numeric enum may come back as "3".
func TestValidateEnumAsString(t *testing.T) {
	s := mustParse(t, `{"type":"object","properties":{
		"level": {"type": "integer", "enum": [1, 2, 3]},
		"rate": {"type": ["number", "null"], "enum": [0.5, 1.5, null]},
		"flag": {"type": "boolean", "enum": [true, false]},
		"name": {"type": "string", "enum": ["3", "x"]},
		"lines": {"type": "array", "items": {"type": "object", "properties": {"q": {"enum": [10, 20]}}}}
	}}`)
	cases := []struct {
		in, want string
	}{
		{`{"level": "3"}`, `{"level": 3}`},
		{`{"level": 3}`, `{"level": 3}`},
		{`{"rate": "1.5"}`, `{"rate": 1.5}`},
		{`{"rate": "None"}`, `{"rate": null}`},
		{`{"flag": "True"}`, `{"flag": true}`},
		{`{"flag": "false"}`, `{"flag": false}`},
		{`{"name": "3"}`, `{"name": "3"}`},
		{`{"lines": [{"q": "20"}, {"q": 10}, {"q": "10"}]}`, `{"lines": [{"q": 20}, {"q": 10}, {"q": 10}]}`},
		{`{"level": "2", "rate": "0.5", "flag": "False"}`, `{"level": 2, "rate": 0.5, "flag": false}`},
	}
	for _, c := range cases {
		inst, err := schemas.ParseInstance([]byte(c.in))
		require.NoError(t, err)
		before := fmt.Sprint(inst.Value)
		require.NoError(t, s.Validate(inst.Value), c.in)
		got, err := s.Accept(inst.Clean, inst.Value)
		require.NoError(t, err)
		require.Equal(t, c.want, string(got), "the strings are replaced in the bytes, nothing else changes")
		require.Equal(t, before, fmt.Sprint(inst.Value), "Validate and Accept never modify the value")
	}

	// A string that stands for no value of the enum fails, and the value
	// is left as it came, even where another string could be read.
	inst, err := schemas.ParseInstance([]byte(`{"level": "4", "flag": "True"}`))
	require.NoError(t, err)
	require.Equal(t, []schemas.Violation{
		{Pointer: "/level", Keyword: "type", Message: "must be an integer, not a string"},
	}, violations(t, s.Validate(inst.Value)))
	require.Equal(t, "True", inst.Value.(map[string]any)["flag"])
	for _, in := range []string{`{"level": "03"}`, `{"level": " 3"}`, `{"level": "3.0.0"}`, `{"flag": "TRUE"}`, `{"rate": "none"}`} {
		inst, err := schemas.ParseInstance([]byte(in))
		require.NoError(t, err)
		require.Error(t, s.Validate(inst.Value), in)
	}
}

func TestValidateEnumLeniencyOnDerivedSchema(t *testing.T) {
	type Doc struct {
		Priority int  `json:"priority" jsonschema:"enum=1,enum=2,enum=3"`
		Level    *int `json:"level" jsonschema:"enum=10,enum=20"`
	}
	s, err := schemas.For[Doc]()
	require.NoError(t, err)
	inst, err := schemas.ParseInstance([]byte(`{"priority": "2", "level": "None"}`))
	require.NoError(t, err)
	b, err := s.Accept(inst.Clean, inst.Value)
	require.NoError(t, err)
	require.Equal(t, `{"priority": 2, "level": null}`, string(b))
	var d Doc
	require.NoError(t, json.Unmarshal(b, &d))
	require.Equal(t, Doc{Priority: 2}, d)
}

func TestValidateEnumAsStringUnderAnID(t *testing.T) {
	s := mustParse(t, `{"$id": "https://example.com/doc.json", "type": "object", "properties": {"n": {"$ref": "#/$defs/N"}},
		"$defs": {"N": {"type": "integer", "enum": [1, 2]}}}`)
	inst, err := schemas.ParseInstance([]byte(`{"n": "2"}`))
	require.NoError(t, err)
	b, err := s.Accept(inst.Clean, inst.Value)
	require.NoError(t, err)
	require.Equal(t, `{"n": 2}`, string(b))
}

func TestValidateTime(t *testing.T) {
	type Doc struct {
		At time.Time `json:"at"`
	}
	s, err := schemas.For[Doc]()
	require.NoError(t, err)
	require.NoError(t, validate(t, s, `{"at": "2024-03-15T10:00:00Z"}`))
	require.NoError(t, validate(t, s, `{"at": "2024-03-15T10:00:00.123+01:00"}`))
	require.Equal(t, "pattern", violations(t, validate(t, s, `{"at": "2024-03-15 10:00"}`))[0].Keyword)
}

func TestValidateAcceptsGoValues(t *testing.T) {
	s := mustParse(t, `{"type":"object","properties":{"n":{"type":"integer"},"e":{"enum":[1,2]}}}`)
	require.NoError(t, s.Validate(map[string]any{"n": float64(3), "e": float64(2)}))
	require.Error(t, s.Validate(map[string]any{"n": 3.5}))
}

func TestValidateAnnotationsSetAside(t *testing.T) {
	s, err := schemas.For[Folder]()
	require.NoError(t, err)
	content := `{"reasoning___root": "r", "name": "n", "source___name": "N", "root": {"label": "l", "parent": null,
		"children": [{"reasoning___item": "i", "label": "c", "parent": null, "children": [], "quote___label": "C"}]}}`
	inst, err := schemas.ParseInstance([]byte(content))
	require.NoError(t, err)
	require.NoError(t, s.Validate(inst.Value))
	require.Equal(t, []schemas.Annotation{
		{Prefix: schemas.ReasoningPrefix, Pointer: "", Field: "root", Value: "r"},
		{Prefix: schemas.SourcePrefix, Pointer: "", Field: "name", Value: "N"},
		{Prefix: schemas.QuotePrefix, Pointer: "/root/children/0", Field: "label", Value: "C"},
		{Prefix: schemas.ReasoningPrefix, Pointer: "/root/children/0", Field: "item", Value: "i"},
	}, inst.Annotations)
	v, ok := inst.Annotation(schemas.QuotePrefix, "/root/children/0/label")
	require.True(t, ok)
	require.Equal(t, "C", v)
	v, ok = inst.Annotation(schemas.ReasoningPrefix, "/root/children/0")
	require.True(t, ok)
	require.Equal(t, "i", v)
	_, ok = inst.Annotation(schemas.ReasoningPrefix, "/name")
	require.False(t, ok)
}

func TestParseInstanceRefusesBadJSON(t *testing.T) {
	for _, in := range []string{``, `{`, `{} {}`, `{"a":1} x`, `nul`} {
		_, err := schemas.ParseInstance([]byte(in))
		require.ErrorIs(t, err, schemas.ErrInvalidJSON, in)
	}
	_, err := schemas.ParseInstance([]byte(strings.Repeat("[", 20000) + strings.Repeat("]", 20000)))
	require.ErrorIs(t, err, schemas.ErrInvalidJSON)
}
