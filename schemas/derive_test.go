package schemas_test

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/schemas"
	"github.com/retabhook/retabhook/schemas/internal/schematest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./schemas -update to create it")
	require.Equal(t, string(want), string(got), "%s is out of date: run go test ./schemas -update and review the diff", path)
}

// refs returns every "$ref" of a document, and requireRefsResolve checks
// that each points at a node of the document.
func refs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "$ref" {
				*out = append(*out, s)
			}
			refs(e, out)
		}
	case []any:
		for _, e := range x {
			refs(e, out)
		}
	}
}

func requireRefsResolve(t *testing.T, doc []byte) {
	t.Helper()
	var root any
	require.NoError(t, json.Unmarshal(doc, &root))
	var all []string
	refs(root, &all)
	for _, r := range all {
		require.True(t, strings.HasPrefix(r, "#/$defs/"), "%s: Retab expands only #/$defs/ references", r)
		name := strings.TrimPrefix(r, "#/$defs/")
		require.Regexp(t, `^[A-Za-z0-9_]+$`, name)
		defs, _ := root.(map[string]any)["$defs"].(map[string]any)
		require.Contains(t, defs, name, "%s does not resolve", r)
	}
}

func TestDeriveGolden(t *testing.T) {
	cases := []struct {
		name string
		typ  reflect.Type
		opts []schemas.Option
	}{
		{"invoice.json", reflect.TypeFor[Invoice](), nil},
		{"calendar_event.json", reflect.TypeFor[CalendarEvent](), nil},
		{"tree_node.json", reflect.TypeFor[TreeNode](), nil},
		{"folder.json", reflect.TypeFor[Folder](), nil},
		{"catalog.json", reflect.TypeFor[Catalog](), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := schemas.ForType(c.typ, c.opts...)
			require.NoError(t, err)
			golden(t, c.name, s.JSON())
			requireRefsResolve(t, s.JSON())

			// Deterministic: a second derivation gives the same bytes.
			again, err := schemas.ForType(c.typ, c.opts...)
			require.NoError(t, err)
			require.Equal(t, s.JSON(), again.JSON())
			require.Equal(t, s.ID(), again.ID())

			// The exported document parses back to the same schema.
			parsed, err := schemas.Parse(s.JSON())
			require.NoError(t, err)
			require.Equal(t, s.JSON(), parsed.JSON())
			require.Equal(t, s.ID(), parsed.ID())
		})
	}
}

func TestDeriveKeepsFieldOrder(t *testing.T) {
	type Ordered struct {
		Zeta  string `json:"zeta"`
		Alpha string `json:"alpha"`
		Mu    string `json:"mu"`
		Beta  string `json:"beta"`
	}
	s, err := schemas.For[Ordered]()
	require.NoError(t, err)
	doc := string(s.JSON())
	z, a, m, b := strings.Index(doc, `"zeta"`), strings.Index(doc, `"alpha"`), strings.Index(doc, `"mu"`), strings.Index(doc, `"beta"`)
	require.True(t, z < a && a < m && m < b, "properties are not in field order:\n%s", doc)
	// The required list too.
	require.Contains(t, doc, "\"required\": [\n    \"zeta\",\n    \"alpha\",\n    \"mu\",\n    \"beta\"\n  ]")
}

func validate(t *testing.T, s *schemas.Schema, content string) error {
	t.Helper()
	inst, err := schemas.ParseInstance([]byte(content))
	require.NoError(t, err)
	return s.Validate(inst.Value)
}

func TestDeriveNullability(t *testing.T) {
	type Inner struct {
		X int `json:"x"`
	}
	type Doc struct {
		Plain     string  `json:"plain"`
		Pointer   *string `json:"pointer"`
		Omit      string  `json:"omit,omitempty"`
		Zero      int     `json:"zero,omitzero"`
		Object    *Inner  `json:"object"`
		Enum      *string `json:"enum" jsonschema:"enum=a,enum=b"`
		Tagged    string  `json:"tagged" jsonschema:"nullable"`
		Slice     []int   `json:"slice"`
		SlicePtr  *[]int  `json:"slice_ptr"`
		Interface any     `json:"interface"`
	}
	s, err := schemas.For[Doc]()
	require.NoError(t, err)
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	}
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	compact := func(name string) string {
		var v any
		require.NoError(t, json.Unmarshal(doc.Properties[name], &v))
		b, _ := json.Marshal(v)
		return string(b)
	}
	require.JSONEq(t, `{"type":"string"}`, compact("plain"))
	require.JSONEq(t, `{"type":["string","null"]}`, compact("pointer"))
	require.JSONEq(t, `{"type":["string","null"]}`, compact("omit"))
	require.JSONEq(t, `{"type":["integer","null"],"minimum":-9223372036854775808,"maximum":9223372036854775807}`, compact("zero"))
	require.JSONEq(t, `{"anyOf":[{"$ref":"#/$defs/Inner"},{"type":"null"}]}`, compact("object"))
	require.JSONEq(t, `{"type":["string","null"],"enum":["a","b",null]}`, compact("enum"))
	require.JSONEq(t, `{"type":["string","null"]}`, compact("tagged"))
	require.JSONEq(t, `{"type":"array","items":{"type":"integer","minimum":-9223372036854775808,"maximum":9223372036854775807}}`, compact("slice"))
	require.JSONEq(t, `{"type":["array","null"],"items":{"type":"integer","minimum":-9223372036854775808,"maximum":9223372036854775807}}`, compact("slice_ptr"))
	require.JSONEq(t, `{}`, compact("interface"))
	// Pointers without omitempty stay required (present, possibly null),
	// as in Retab's samples; omitempty and omitzero make a field optional.
	require.Equal(t, []string{"plain", "pointer", "object", "enum", "tagged", "slice", "slice_ptr", "interface"}, doc.Required)

	all := `{"plain":"p","pointer":null,"object":null,"enum":null,"tagged":null,"slice":[],"slice_ptr":null,"interface":null}`
	require.NoError(t, validate(t, s, all))
	require.NoError(t, validate(t, s, `{"plain":"p","pointer":"x","omit":null,"zero":null,"object":{"x":1},"enum":"a","tagged":"t","slice":[1],"slice_ptr":[2],"interface":{"any":1}}`))

	var ve *schemas.ValidationError
	err = validate(t, s, strings.Replace(all, `"plain":"p"`, `"plain":null`, 1))
	require.ErrorAs(t, err, &ve)
	require.Equal(t, []schemas.Violation{{Pointer: "/plain", Keyword: "type", Message: "must be a string, not null"}}, ve.Violations)

	err = validate(t, s, strings.Replace(all, `"object":null`, `"object":{"x":"one"}`, 1))
	require.ErrorAs(t, err, &ve)
	// The null branch of the anyOf is not reported: only the real problem.
	require.Equal(t, []schemas.Violation{{Pointer: "/object/x", Keyword: "type", Message: "must be an integer, not a string"}}, ve.Violations)
}

func TestDeriveRecursive(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[TreeNode](), reflect.TypeFor[Folder]()} {
		s, err := schemas.ForType(typ)
		require.NoError(t, err)
		requireRefsResolve(t, s.JSON())
	}
	s, err := schemas.For[TreeNode]()
	require.NoError(t, err)
	deep := `{"label":"a","parent":null,"children":[{"label":"b","parent":null,"children":[{"label":"c","parent":{"label":"b","parent":null,"children":[]},"children":[]}]}]}`
	require.NoError(t, validate(t, s, deep))
	var ve *schemas.ValidationError
	require.ErrorAs(t, validate(t, s, strings.Replace(deep, `"label":"c"`, `"label":3`, 1)), &ve)
	require.Equal(t, "/children/0/children/0/label", ve.Violations[0].Pointer)
}

func TestDeriveDefNames(t *testing.T) {
	s, err := schemas.For[Catalog]()
	require.NoError(t, err)
	var doc struct {
		Defs map[string]any `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	names := make([]string, 0, len(doc.Defs))
	for n := range doc.Defs {
		names = append(names, n)
	}
	// Two types named Item, from two packages: qualified by package. Two
	// instantiations of Page: named after their type arguments.
	require.ElementsMatch(t, []string{"Page_schemas_test_Item", "Page_schematest_Item", "schemas_test_Item", "schematest_Item"}, names)
	requireRefsResolve(t, s.JSON())
	require.NoError(t, validate(t, s, `{"mine":{"items":[{"name":"n"}],"next":null},"theirs":{"items":[{"sku":"s"}],"next":"2"},"local":{"name":"l"},"other":{"sku":"o"},"pairs":[{"key":"k","value":null}]}`))
	var ve *schemas.ValidationError
	require.ErrorAs(t, validate(t, s, `{"mine":{"items":[{"sku":"n"}],"next":null},"theirs":{"items":[],"next":null},"local":{"name":"l"},"other":{"sku":"o"},"pairs":[]}`), &ve)
	require.Equal(t, []schemas.Violation{
		{Pointer: "/mine/items/0/name", Keyword: "required", Message: "is required but missing"},
		{Pointer: "/mine/items/0/sku", Keyword: "additionalProperties", Message: "is not a property of the schema (additional properties are not allowed)"},
	}, ve.Violations)
}

func TestDeriveGenericNameWithoutCollision(t *testing.T) {
	type Only struct {
		Page schematest.Page[schematest.Item] `json:"page"`
	}
	s, err := schemas.For[Only]()
	require.NoError(t, err)
	require.Contains(t, string(s.JSON()), `"$ref": "#/$defs/Page_Item"`)
	requireRefsResolve(t, s.JSON())
}

func TestDeriveCommasInTags(t *testing.T) {
	type Doc struct {
		Desc    string   `json:"desc" jsonschema:"description=Total, tax included, in euros"`
		Code    string   `json:"code" jsonschema:"pattern=^[A-Z]{2,3}$,description=Two or three letters"`
		Escaped string   `json:"escaped" jsonschema:"title=a\\, b"`
		Codes   []string `json:"codes" jsonschema:"pattern=^[0-9]{1,4}$"`
		Enum    string   `json:"enum" jsonschema:"enum=a,b,enum=c"`
		Min     int      `json:"min" jsonschema:"minimum=1,description=At least one, really"`
	}
	s, err := schemas.For[Doc]()
	require.NoError(t, err)
	var doc struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	require.Equal(t, "Total, tax included, in euros", doc.Properties["desc"]["description"])
	require.Equal(t, "^[A-Z]{2,3}$", doc.Properties["code"]["pattern"])
	require.Equal(t, "Two or three letters", doc.Properties["code"]["description"])
	require.Equal(t, "a, b", doc.Properties["escaped"]["title"])
	require.Equal(t, "^[0-9]{1,4}$", doc.Properties["codes"]["items"].(map[string]any)["pattern"])
	require.Equal(t, []any{"a,b", "c"}, doc.Properties["enum"]["enum"])
	require.Equal(t, "At least one, really", doc.Properties["min"]["description"])
	require.EqualValues(t, 1, doc.Properties["min"]["minimum"])
	require.NoError(t, validate(t, s, `{"desc":"d","code":"ABC","escaped":"e","codes":["1234"],"enum":"a,b","min":1}`))
	var ve *schemas.ValidationError
	require.ErrorAs(t, validate(t, s, `{"desc":"d","code":"ABCD","escaped":"e","codes":["12345"],"enum":"a","min":1}`), &ve)
	require.Len(t, ve.Violations, 3)

	// A comma the rules cannot place is an error, not a silent cut.
	type Bad struct {
		N float64 `json:"n" jsonschema:"minimum=1,5"`
	}
	_, err = schemas.For[Bad]()
	require.ErrorIs(t, err, schemas.ErrUnsupportedType)
	require.ErrorContains(t, err, "Bad.N")
	require.ErrorContains(t, err, "minimum=1,5")
}

func TestDeriveRetabTags(t *testing.T) {
	type Line struct {
		Amount float64 `json:"amount"`
	}
	type Doc struct {
		Total float64  `json:"total" retab:"prompt=Amount due, tax included,reasoning=Add the lines, then the tax,quote"`
		Lines []Line   `json:"lines" retab:"item-reasoning=Check each line, one by one"`
		Ptrs  *[]*Line `json:"ptrs" retab:"item-reasoning=Same"`
	}
	s, err := schemas.For[Doc](schemas.WithSystemPrompt("System, with a comma"), schemas.WithReasoningPrompt("Root reasoning"))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	props := doc["properties"].(map[string]any)
	total := props["total"].(map[string]any)
	require.Equal(t, "Amount due, tax included", total["X-FieldPrompt"])
	require.Equal(t, "Add the lines, then the tax", total["X-ReasoningPrompt"])
	require.Equal(t, true, total["X-SourceQuote"])
	items := props["lines"].(map[string]any)["items"].(map[string]any)
	require.Equal(t, map[string]any{"$ref": "#/$defs/Line", "X-ReasoningPrompt": "Check each line, one by one"}, items)
	ptrs := props["ptrs"].(map[string]any)
	require.Equal(t, "Same", ptrs["items"].(map[string]any)["X-ReasoningPrompt"])
	require.Equal(t, "System, with a comma", doc["X-SystemPrompt"])
	require.Equal(t, "Root reasoning", doc["X-ReasoningPrompt"])
}

type promptedParty struct {
	Name string `json:"name"`
}

func (promptedParty) RetabPrompts() schemas.Prompts {
	return schemas.Prompts{System: "ignored below the root", Reasoning: "Who is this party?"}
}

func TestDerivePrompterOnNestedType(t *testing.T) {
	type Doc struct {
		Seller promptedParty `json:"seller"`
	}
	s, err := schemas.For[Doc]()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	def := doc["$defs"].(map[string]any)["promptedParty"].(map[string]any)
	require.Equal(t, "Who is this party?", def["X-ReasoningPrompt"])
	require.NotContains(t, def, "X-SystemPrompt")
	require.NotContains(t, doc, "X-SystemPrompt")

	// At the root, both apply; options win over the method.
	root, err := schemas.For[promptedParty](schemas.WithReasoningPrompt("Override"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(root.JSON(), &doc))
	require.Equal(t, "ignored below the root", doc["X-SystemPrompt"])
	require.Equal(t, "Override", doc["X-ReasoningPrompt"])
}

func TestDeriveRetabTagErrors(t *testing.T) {
	type Inner struct {
		X string `json:"x"`
	}
	cases := []struct {
		name string
		typ  reflect.Type
		want string
	}{
		{"unknown item", reflect.TypeFor[struct {
			A string `json:"a" retab:"reasonning=typo"`
		}](), `unknown item "reasonning"`},
		{"not an item", reflect.TypeFor[struct {
			A string `json:"a" retab:"just text"`
		}](), `"just text" is not an item`},
		{"empty value", reflect.TypeFor[struct {
			A string `json:"a" retab:"prompt="`
		}](), "prompt has an empty value"},
		{"quote on an object", reflect.TypeFor[struct {
			A Inner `json:"a" retab:"quote"`
		}](), "put quote on its fields"},
		{"item-reasoning on a string", reflect.TypeFor[struct {
			A string `json:"a" retab:"item-reasoning=x"`
		}](), "needs a slice or an array"},
		{"item-reasoning on strings", reflect.TypeFor[struct {
			A []string `json:"a" retab:"item-reasoning=x"`
		}](), "needs items that are objects"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := schemas.ForType(c.typ)
			require.ErrorIs(t, err, schemas.ErrUnsupportedType)
			require.ErrorContains(t, err, c.want)
			require.ErrorContains(t, err, ".A")
		})
	}
}

type marshalsItself struct{ cents int64 }

func (m marshalsItself) MarshalJSON() ([]byte, error) { return json.Marshal(m.cents) }

type textual struct{ v string }

func (x textual) MarshalText() ([]byte, error) { return []byte(x.v), nil }

// TestDeriveIntegerBounds: an integer field carries its Go type's range,
// so an overflow is a schema violation at its pointer; a tighter bound
// from a tag stays.
func TestDeriveIntegerBounds(t *testing.T) {
	type Doc struct {
		I8    int8             `json:"i8"`
		U     uint             `json:"u"`
		U16   *uint16          `json:"u16"`
		I32s  []int32          `json:"i32s"`
		Min   int8             `json:"min" jsonschema:"minimum=3,maximum=1000"`
		ByKey map[string]uint8 `json:"by_key"`
	}
	s, err := schemas.For[Doc]()
	require.NoError(t, err)
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	for name, w := range map[string]string{
		"i8":     `{"type":"integer","minimum":-128,"maximum":127}`,
		"u":      `{"type":"integer","minimum":0,"maximum":18446744073709551615}`,
		"u16":    `{"type":["integer","null"],"minimum":0,"maximum":65535}`,
		"i32s":   `{"type":"array","items":{"type":"integer","minimum":-2147483648,"maximum":2147483647}}`,
		"min":    `{"type":"integer","minimum":3,"maximum":127}`,
		"by_key": `{"type":"object","additionalProperties":{"type":"integer","minimum":0,"maximum":255}}`,
	} {
		require.JSONEq(t, w, string(doc.Properties[name]), name)
	}
	require.Contains(t, string(s.JSON()), `"maximum": 18446744073709551615`, "written exactly")
	for content, ptr := range map[string]string{`{"i8": 128, "u": 0, "u16": null, "i32s": [], "min": 3, "by_key": {}}`: "/i8",
		`{"i8": 1, "u": -1, "u16": null, "i32s": [], "min": 3, "by_key": {}}`:             "/u",
		`{"i8": 1, "u": 1, "u16": null, "i32s": [1, 2147483648], "min": 3, "by_key": {}}`: "/i32s/1",
		`{"i8": 1, "u": 1, "u16": null, "i32s": [], "min": 3, "by_key": {"a~b": 256}}`:    "/by_key/a~0b",
	} {
		vs := violations(t, validate(t, s, content))
		require.Len(t, vs, 1, content)
		require.Equal(t, ptr, vs[0].Pointer, content)
	}
}

func TestDeriveTypes(t *testing.T) {
	type Doc struct {
		Date   schemas.Date          `json:"date"`
		Amount schemas.Amount        `json:"amount"`
		Time   time.Time             `json:"time"`
		Number json.Number           `json:"number"`
		Raw    json.RawMessage       `json:"raw"`
		Bytes  []byte                `json:"bytes"`
		Map    map[string]int        `json:"map"`
		IntMap map[int]string        `json:"int_map"`
		Text   textual               `json:"text"`
		Custom marshalsItself        `json:"custom"`
		Array  [2]float64            `json:"array"`
		Str    int                   `json:"str,string"`
		Nested map[string][]LineItem `json:"nested"`
	}
	s, err := schemas.For[Doc](schemas.WithTypeSchema(marshalsItself{}, `{"type": "integer", "description": "Cents", "X-FieldPrompt": "In cents"}`))
	require.NoError(t, err)
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	want := map[string]string{
		"date":    `{"type":"string","format":"date","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}`,
		"amount":  `{"type":"number"}`,
		"time":    `{"type":"string","format":"date-time","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$"}`,
		"number":  `{"type":"number"}`,
		"raw":     `{}`,
		"bytes":   `{"type":"string","contentEncoding":"base64"}`,
		"map":     `{"type":"object","additionalProperties":{"type":"integer","minimum":-9223372036854775808,"maximum":9223372036854775807}}`,
		"int_map": `{"type":"object","patternProperties":{"^[0-9]+$":{"type":"string"}},"additionalProperties":false}`,
		"text":    `{"type":"string"}`,
		"custom":  `{"type":"integer","description":"Cents","X-FieldPrompt":"In cents"}`,
		"array":   `{"type":"array","items":{"type":"number"},"minItems":2,"maxItems":2}`,
		"str":     `{"type":"string"}`,
		"nested":  `{"type":"object","additionalProperties":{"type":"array","items":{"$ref":"#/$defs/LineItem"}}}`,
	}
	for name, w := range want {
		require.JSONEq(t, w, string(doc.Properties[name]), name)
	}
	require.Len(t, doc.Properties, len(want))
}

func TestDeriveUnsupported(t *testing.T) {
	cases := []struct {
		typ  reflect.Type
		want string
	}{
		{nil, "nil type"},
		{reflect.TypeFor[string](), "is a string, want a struct"},
		{reflect.TypeFor[[]Invoice](), "is a slice, want a struct"},
		{reflect.TypeFor[struct {
			C chan int `json:"c"`
		}](), "chan int has no JSON form"},
		{reflect.TypeFor[struct {
			F func() `json:"f"`
		}](), "has no JSON form"},
		{reflect.TypeFor[struct {
			C []complex128 `json:"c"`
		}](), "complex128 has no JSON form"},
		{reflect.TypeFor[struct {
			M marshalsItself `json:"m"`
		}](), "implements json.Marshaler"},
	}
	for _, c := range cases {
		_, err := schemas.ForType(c.typ)
		require.ErrorIs(t, err, schemas.ErrUnsupportedType, "%v", c.typ)
		require.ErrorContains(t, err, c.want)
	}
	// Ignored fields are not looked at.
	_, err := schemas.For[struct {
		C chan int `json:"-"`
		f func()
		N string `json:"n"`
	}]()
	require.NoError(t, err)

	_, err = schemas.For[Invoice](schemas.WithTypeSchema(nil, `{}`))
	require.ErrorIs(t, err, schemas.ErrUnsupportedType)
	_, err = schemas.For[Invoice](schemas.WithTypeSchema(marshalsItself{}, `[1]`))
	require.ErrorIs(t, err, schemas.ErrInvalidSchema)
}

func TestDeriveComments(t *testing.T) {
	pkg := reflect.TypeFor[Invoice]().PkgPath()
	docs := schemas.Comments{Package: pkg, Text: map[string]string{
		"CalendarEvent":      "CalendarEvent is the document of Retab's quick start.",
		"CalendarEvent.Name": "The event's name, as printed.",
		"CalendarEvent.Date": "Never used: the tag's description wins.",
	}}
	other := schemas.Comments{Package: "example.com/other", Text: map[string]string{"CalendarEvent": "wrong package"}}
	s, err := schemas.For[CalendarEvent](schemas.WithComments(other, docs), schemas.WithTitle("Calendar event"))
	require.NoError(t, err)
	var doc struct {
		Title       string                    `json:"title"`
		Description string                    `json:"description"`
		Properties  map[string]map[string]any `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	require.Equal(t, "Calendar event", doc.Title)
	require.Equal(t, "The document of Retab's quick start.", doc.Description)
	require.Equal(t, "Name of the event", doc.Properties["name"]["description"])
	require.Equal(t, "Date of the event (YYYY-MM-DD)", doc.Properties["date"]["description"])

	type Undescribed struct {
		Name string `json:"name"`
	}
	s, err = schemas.For[Undescribed](schemas.WithComments(schemas.Comments{Package: pkg, Text: map[string]string{"Undescribed.Name": "From the comment"}}))
	require.NoError(t, err)
	require.Contains(t, string(s.JSON()), `"description": "From the comment"`)
}

func TestDeriveWarnings(t *testing.T) {
	s, err := schemas.For[Invoice]()
	require.NoError(t, err)
	codes := map[string][]string{}
	for _, w := range s.Warnings() {
		codes[w.Code] = append(codes[w.Code], w.Pointer)
		require.NotEmpty(t, w.Message)
	}
	require.Equal(t, []string{"/properties/priority", "/properties/pages", "/$defs/LineItem/properties/quantity"}, codes[schemas.WarnStrictInteger])
	require.Equal(t, []string{"/properties/priority"}, codes[schemas.WarnStrictEnum])
	require.Empty(t, codes[schemas.WarnStrictFormat]) // dates and times have a pattern, shown to the model
	require.Equal(t, []string{"/properties/extra"}, codes[schemas.WarnStrictMap])
	require.Empty(t, codes[schemas.WarnValidateDive]) // line_items has dive
	require.Empty(t, codes[schemas.WarnStrictRequired])

	type Traps struct {
		Count int                  `json:"count" validate:"required"`
		Paid  bool                 `json:"paid" validate:"required"`
		Name  string               `json:"name" validate:"required"`
		Lines []LineItem           `json:"lines" validate:"min=1"`
		ByID  map[string]*LineItem `json:"by_id"`
	}
	s, err = schemas.For[Traps]()
	require.NoError(t, err)
	var got []string
	for _, w := range s.Warnings() {
		if strings.HasPrefix(w.Code, "validate-") {
			got = append(got, w.Code+" "+w.Pointer)
		}
	}
	require.Equal(t, []string{
		"validate-required /properties/count",
		"validate-required /properties/paid",
		"validate-dive /properties/lines",
		"validate-dive /properties/by_id",
	}, got)
}

func TestDeriveErrorsWrap(t *testing.T) {
	_, err := schemas.For[struct {
		C chan int `json:"c"`
	}]()
	require.True(t, errors.Is(err, schemas.ErrUnsupportedType))
}

type embA struct {
	ID   string `json:"id" jsonschema:"description=from A"`
	Name string `jsonschema:"description=A name"`
	X    int
}

type embB struct {
	Name string `jsonschema:"description=B name"`
	X    int
}

type embInner struct {
	Label string `json:"Label" jsonschema:"description=the tagged loser" retab:"quote"`
	Depth string `json:"depth"`
}

type embOuter struct {
	embA
	embB
	embInner
	ID    string `json:"id" jsonschema:"description=outer id"`
	Label string `jsonschema:"minLength=2"`
}

// TestDeriveFollowsEncodingJSONShadowing: the properties are the fields
// encoding/json decodes: the shallower field wins (id, Label), a tie at one
// depth drops the name (Name, X), and a losing field's tags do not leak.
func TestDeriveFollowsEncodingJSONShadowing(t *testing.T) {
	s, err := schemas.For[embOuter]()
	require.NoError(t, err)
	var doc struct {
		Properties map[string]map[string]any `json:"properties"`
		Required   []string                  `json:"required"`
	}
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	require.Equal(t, map[string]map[string]any{
		"id":    {"type": "string", "description": "outer id"},
		"Label": {"type": "string", "minLength": float64(2)},
		"depth": {"type": "string"},
	}, doc.Properties)
	require.ElementsMatch(t, []string{"id", "Label", "depth"}, doc.Required)

	// What encoding/json does with the same names.
	var v embOuter
	require.NoError(t, json.Unmarshal([]byte(`{"id": "o", "Label": "l", "Name": "n", "X": 1, "depth": "d"}`), &v))
	require.Equal(t, "o", v.ID)
	require.Equal(t, "l", v.Label)
	require.Empty(t, v.embA.Name+v.embB.Name+v.embA.ID)
	require.Zero(t, v.embA.X+v.embB.X)
	require.Equal(t, "d", v.Depth)
}

func TestDeriveRefusesWhatCannotWork(t *testing.T) {
	type withInterface struct {
		S fmt.Stringer `json:"s"`
	}
	type badMinimum struct {
		N int `json:"n" jsonschema:"minimum=abc"`
	}
	type badCount struct {
		S string `json:"s" jsonschema:"maxLength=-1"`
	}
	type badEnum struct {
		N int `json:"n" jsonschema:"enum=1,enum=two"`
	}
	for _, c := range []struct {
		typ  reflect.Type
		want string
	}{
		{reflect.TypeFor[withInterface](), "withInterface.S"},
		{reflect.TypeFor[badMinimum](), "badMinimum.N: jsonschema tag: minimum=abc is not a number"},
		{reflect.TypeFor[badCount](), "badCount.S: jsonschema tag: maxLength=-1 is not a count"},
		{reflect.TypeFor[badEnum](), "badEnum.N: jsonschema tag: enum=two is not an integer"},
	} {
		_, err := schemas.ForType(c.typ)
		require.ErrorIs(t, err, schemas.ErrUnsupportedType, c.typ.String())
		require.ErrorContains(t, err, c.want)
	}
}
