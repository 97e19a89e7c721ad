package schemas_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/schemas"
)

// fieldType returns a struct type with one field V of type t, named "v"
// in JSON, with the given validate and jsonschema tags.
func fieldType(t reflect.Type, tags string) reflect.Type {
	return reflect.StructOf([]reflect.StructField{{Name: "V", Type: t, Tag: reflect.StructTag(`json:"v" ` + tags)}})
}

// property returns the schema of property v, without its description.
func property(t *testing.T, s *schemas.Schema) (map[string]any, string) {
	t.Helper()
	var doc struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	p := doc.Properties["v"]
	desc, _ := p["description"].(string)
	delete(p, "description")
	dropIntRange(p)
	return p, desc
}

// dropIntRange removes, at every depth, the bounds an int or uint field
// has from its Go type (TestDeriveIntegerBounds checks them), so that the
// table shows what the rules add.
func dropIntRange(v any) {
	switch x := v.(type) {
	case map[string]any:
		if f, ok := x["minimum"].(float64); ok && f == math.MinInt64 {
			delete(x, "minimum")
		}
		if f, ok := x["maximum"].(float64); ok && (f == math.MaxInt64 || f == math.MaxUint64) {
			delete(x, "maximum")
		}
		for _, e := range x {
			dropIntRange(e)
		}
	case []any:
		for _, e := range x {
			dropIntRange(e)
		}
	}
}

// receiverAccepts reports whether the receiver's own path (decoding into
// the Go type, then the validate rules) accepts content.
func receiverAccepts(v *validator.Validate, typ reflect.Type, content string) bool {
	ptr := reflect.New(typ)
	if err := json.Unmarshal([]byte(content), ptr.Interface()); err != nil {
		return false
	}
	return v.Struct(ptr.Interface()) == nil
}

// TestRulesBecomeKeywords is the table of every supported validate rule:
// the keywords it becomes, and instances that the schema (validated by
// santhosh-tekuri/jsonschema) and the validate rule accept, and refuse,
// alike.
func TestRulesBecomeKeywords(t *testing.T) {
	str, i, u, f := reflect.TypeFor[string](), reflect.TypeFor[int](), reflect.TypeFor[uint8](), reflect.TypeFor[float64]()
	cases := []struct {
		name    string
		typ     reflect.Type
		tag     string
		want    string // the property's keywords (its description aside), as JSON
		clause  string // the description
		accept  []string
		refuse  []string
		codesOK bool // want holds an enum of codes: compared by its instances only
	}{
		// Strings: lengths count runes, as minLength does.
		{"string required", str, `validate:"required"`, `{"type":"string","minLength":1}`, "Not empty.", []string{`"a"`}, []string{`""`, `null`}, false},
		{"string min", str, `validate:"min=2"`, `{"type":"string","minLength":2}`, "At least 2 characters.", []string{`"ab"`, `"éé"`}, []string{`"a"`, `"é"`}, false},
		{"string max", str, `validate:"max=3"`, `{"type":"string","maxLength":3}`, "At most 3 characters.", []string{`""`, `"abc"`, `"ééé"`}, []string{`"abcd"`}, false},
		{"string len", str, `validate:"len=2"`, `{"type":"string","minLength":2,"maxLength":2}`, "Exactly 2 characters.", []string{`"ab"`}, []string{`"a"`, `"abc"`}, false},
		{"string gt", str, `validate:"gt=2"`, `{"type":"string","minLength":3}`, "At least 3 characters.", []string{`"abc"`}, []string{`"ab"`}, false},
		{"string gte", str, `validate:"gte=1"`, `{"type":"string","minLength":1}`, "At least 1 character.", []string{`"a"`}, []string{`""`}, false},
		{"string lt", str, `validate:"lt=3"`, `{"type":"string","maxLength":2}`, "At most 2 characters.", []string{`"ab"`}, []string{`"abc"`}, false},
		{"string lte", str, `validate:"lte=3"`, `{"type":"string","maxLength":3}`, "At most 3 characters.", []string{`"abc"`}, []string{`"abcd"`}, false},
		{"string oneof", str, `validate:"oneof=red green 'dark blue'"`, `{"type":"string","enum":["red","green","dark blue"]}`, "", []string{`"red"`, `"dark blue"`}, []string{`"blue"`, `"Red"`, `""`}, false},
		{"string oneof with an escaped pipe", str, `validate:"oneof=a0x7Cb c"`, `{"type":"string","enum":["a|b","c"]}`, "", []string{`"a|b"`, `"c"`}, []string{`"a0x7Cb"`, `"a"`}, false},
		{"email", str, `validate:"email"`, `{"type":"string","format":"email","pattern":"^.+@[^\\s@]+\\.[^\\s@]+$"}`, "An email address.", []string{`"ada@example.com"`, `"a.b+c@mail.example.org"`}, []string{`"not-an-email"`, `"ada@localhost"`, `""`}, false},
		{"url", str, `validate:"url"`, `{"type":"string","format":"uri","pattern":"^[A-Za-z][A-Za-z0-9+.-]*:"}`, "A URL, starting with its scheme (https://...).", []string{`"https://example.com/x?y=1"`, `"mailto:ada@example.com"`}, []string{`"example.com"`, `"/path"`, `""`}, false},
		{"uri", str, `validate:"uri"`, `{"type":"string","format":"uri-reference","pattern":"^([A-Za-z][A-Za-z0-9+.-]*:|/)"}`, "A URI: a scheme (https:...) or a path starting with /.", []string{`"urn:isbn:0451450523"`, `"/path/to"`}, []string{`"no scheme"`, `"#fragment"`, `""`}, false},
		{"uuid", str, `validate:"uuid"`, `{"type":"string","format":"uuid","pattern":"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"}`, "A UUID (8-4-4-4-12 hexadecimal digits).", []string{`"123e4567-e89b-12d3-a456-426614174000"`, `"123E4567-E89B-12D3-A456-426614174000"`}, []string{`"123e4567"`, `"123e4567-e89b-12d3-a456-42661417400g"`}, false},
		{"datetime date", str, `validate:"datetime=2006-01-02"`, `{"type":"string","format":"date","pattern":"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}`, "Written as YYYY-MM-DD.", []string{`"2024-03-01"`}, []string{`"01/03/2024"`, `"2024-3-1"`}, false},
		{"datetime layout", str, `validate:"datetime=02/01/2006 15:04"`, `{"type":"string","pattern":"^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9]{1,2}:[0-9]{2}$"}`, "Written as DD/MM/YYYY hh:mm.", []string{`"01/03/2024 14:05"`, `"01/03/2024 9:05"`}, []string{`"2024-03-01"`, `"01/03/2024"`}, false},
		{"e164", str, `validate:"e164"`, `{"type":"string","pattern":"^\\+?[1-9][0-9]{7,14}$"}`, "A phone number in E.164 form: + and 8 to 15 digits, no spaces.", []string{`"+14155550100"`, `"33123456789"`}, []string{`"415-555"`, `"+0123456789"`, `"+1 415 555 0100"`}, false},
		{"iso4217", str, `validate:"iso4217"`, ``, "", []string{`"EUR"`, `"USD"`, `"JPY"`}, []string{`"EURO"`, `"eur"`, `"XYZ"`, `""`}, true},
		{"iso3166 alpha2", str, `validate:"iso3166_1_alpha2"`, ``, "", []string{`"FR"`, `"DE"`}, []string{`"FRA"`, `"fr"`, `"QQ"`}, true},
		{"iso3166 alpha3", str, `validate:"iso3166_1_alpha3"`, ``, "", []string{`"FRA"`, `"DEU"`}, []string{`"FR"`, `"fra"`, `"QQQ"`}, true},
		{"bcp47", str, `validate:"bcp47_language_tag"`, `{"type":"string","pattern":"^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*$"}`, "A BCP 47 language tag (en, fr-CA).", []string{`"en"`, `"fr-CA"`, `"zh-Hant-TW"`}, []string{`"not a tag"`, `""`, `"fr--CA"`}, false},

		// Numbers: bounds by the field's kind.
		{"int min", i, `validate:"min=1"`, `{"type":"integer","minimum":1}`, "At least 1.", []string{`1`, `5`}, []string{`0`, `-1`}, false},
		{"int max", i, `validate:"max=10"`, `{"type":"integer","maximum":10}`, "At most 10.", []string{`10`, `-3`}, []string{`11`}, false},
		{"int len", i, `validate:"len=5"`, `{"type":"integer","minimum":5,"maximum":5}`, "Exactly 5.", []string{`5`}, []string{`4`, `6`}, false},
		{"int gt", i, `validate:"gt=0"`, `{"type":"integer","exclusiveMinimum":0}`, "Greater than 0.", []string{`1`}, []string{`0`, `-5`}, false},
		{"int gte", i, `validate:"gte=0"`, `{"type":"integer","minimum":0}`, "At least 0.", []string{`0`, `3`}, []string{`-1`}, false},
		{"int lt", i, `validate:"lt=10"`, `{"type":"integer","exclusiveMaximum":10}`, "Less than 10.", []string{`9`}, []string{`10`}, false},
		{"int lte", i, `validate:"lte=0x10"`, `{"type":"integer","maximum":16}`, "At most 16.", []string{`16`}, []string{`17`}, false},
		{"int oneof", i, `validate:"oneof=1 2 3"`, `{"type":"integer","enum":[1,2,3]}`, "", []string{`2`}, []string{`4`, `0`}, false},
		{"uint gt", u, `validate:"gt=0"`, `{"type":"integer","minimum":0,"exclusiveMinimum":0,"maximum":255}`, "Greater than 0.", []string{`1`, `255`}, []string{`0`}, false},
		{"float gte", f, `validate:"gte=0.5"`, `{"type":"number","minimum":0.5}`, "At least 0.5.", []string{`0.5`, `12.25`}, []string{`0.49`, `-1`}, false},
		{"float lt", f, `validate:"lt=100"`, `{"type":"number","exclusiveMaximum":100}`, "Less than 100.", []string{`99.99`}, []string{`100`, `100.5`}, false},
		{"int required", i, `validate:"required"`, `{"type":"integer"}`, "", []string{`1`}, []string{`null`}, false},

		// Slices: item counts, and dive to the items (two levels).
		{"slice min", reflect.TypeFor[[]string](), `validate:"min=1"`, `{"type":"array","items":{"type":"string"},"minItems":1}`, "At least one entry.", []string{`["a"]`}, []string{`[]`, `null`}, false},
		{"slice max", reflect.TypeFor[[]string](), `validate:"max=2"`, `{"type":"array","items":{"type":"string"},"maxItems":2}`, "At most 2 entries.", []string{`[]`, `["a","b"]`}, []string{`["a","b","c"]`}, false},
		{"slice len", reflect.TypeFor[[]int](), `validate:"len=1"`, `{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":1}`, "Exactly one entry.", []string{`[1]`}, []string{`[]`, `[1,2]`}, false},
		{"slice required", reflect.TypeFor[[]int](), `validate:"required"`, `{"type":"array","items":{"type":"integer"}}`, "", []string{`[]`, `[1]`}, []string{`null`}, false},
		{"slice dive", reflect.TypeFor[[]string](), `validate:"min=1,dive,required,email"`, `{"type":"array","items":{"type":"string","description":"Not empty. An email address.","minLength":1,"format":"email","pattern":"^.+@[^\\s@]+\\.[^\\s@]+$"},"minItems":1}`, "At least one entry.", []string{`["ada@example.com"]`}, []string{`[]`, `[""]`, `["ada@example.com","nope"]`}, false},
		{"slice dive dive", reflect.TypeFor[[][]int](), `validate:"dive,min=1,dive,gt=0"`, `{"type":"array","items":{"type":"array","description":"At least one entry.","items":{"type":"integer","description":"Greater than 0.","exclusiveMinimum":0},"minItems":1}}`, "", []string{`[]`, `[[1,2],[3]]`}, []string{`[[]]`, `[[1],[0]]`}, false},

		// Maps: property counts, dive to the values, keys to the names.
		{"map min", reflect.TypeFor[map[string]int](), `validate:"min=1"`, `{"type":"object","additionalProperties":{"type":"integer"},"minProperties":1}`, "At least 1 key.", []string{`{"a":1}`}, []string{`{}`}, false},
		{"map max", reflect.TypeFor[map[string]int](), `validate:"max=1"`, `{"type":"object","additionalProperties":{"type":"integer"},"maxProperties":1}`, "At most 1 key.", []string{`{}`, `{"a":1}`}, []string{`{"a":1,"b":2}`}, false},
		{"map dive", reflect.TypeFor[map[string]int](), `validate:"dive,gt=0"`, `{"type":"object","additionalProperties":{"type":"integer","description":"Greater than 0.","exclusiveMinimum":0}}`, "", []string{`{"a":1}`}, []string{`{"a":0}`}, false},
		{"map keys", reflect.TypeFor[map[string]string](), `validate:"dive,keys,len=2,endkeys,required"`, `{"type":"object","additionalProperties":{"type":"string","description":"Not empty.","minLength":1},"propertyNames":{"minLength":2,"maxLength":2}}`, "Keys: exactly 2 characters.", []string{`{"ab":"x"}`}, []string{`{"abc":"x"}`, `{"ab":""}`}, false},
		{"map dive dive", reflect.TypeFor[map[string][]int](), `validate:"dive,dive,gte=0"`, `{"type":"object","additionalProperties":{"type":"array","items":{"type":"integer","description":"At least 0.","minimum":0}}}`, "", []string{`{"a":[0,1]}`}, []string{`{"a":[-1]}`}, false},

		// Pointers: a rule makes null fail (the validator fails every
		// rule on nil), unless omitempty comes first.
		{"pointer required", reflect.TypeFor[*string](), `validate:"required"`, `{"type":"string"}`, "", []string{`""`, `"a"`}, []string{`null`}, false},
		{"pointer rule", reflect.TypeFor[*string](), `validate:"email"`, `{"type":"string","format":"email","pattern":"^.+@[^\\s@]+\\.[^\\s@]+$"}`, "An email address.", []string{`"ada@example.com"`}, []string{`null`, `"x"`}, false},
		{"pointer omitempty", reflect.TypeFor[*string](), `validate:"omitempty,email"`, `{"type":["string","null"],"format":"email","pattern":"^.+@[^\\s@]+\\.[^\\s@]+$"}`, "An email address.", []string{`null`, `"ada@example.com"`}, []string{`""`, `"x"`}, false},
		{"pointer int", reflect.TypeFor[*int](), `validate:"omitempty,gt=0"`, `{"type":["integer","null"],"exclusiveMinimum":0}`, "Greater than 0.", []string{`null`, `1`}, []string{`0`}, false},
		{"pointer slice", reflect.TypeFor[*[]string](), `validate:"omitempty,min=1,dive,min=2"`, `{"type":["array","null"],"items":{"type":"string","description":"At least 2 characters.","minLength":2},"minItems":1}`, "At least one entry.", []string{`null`, `["ab"]`}, []string{`[]`, `["a"]`}, false},
		{"slice of pointers", reflect.TypeFor[[]*int](), `validate:"dive,required,gte=1"`, `{"type":"array","items":{"type":"integer","description":"At least 1.","minimum":1}}`, "", []string{`[1]`}, []string{`[0]`, `[null]`}, false},
	}
	v := validator.New(validator.WithRequiredStructEnabled())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			typ := fieldType(c.typ, c.tag)
			s, err := schemas.ForType(typ)
			require.NoError(t, err)
			got, desc := property(t, s)
			if c.codesOK {
				enum, _ := got["enum"].([]any)
				require.Greater(t, len(enum), 100, "an enum of the codes")
				require.Equal(t, "string", got["type"])
			} else {
				want, err := json.Marshal(got)
				require.NoError(t, err)
				require.JSONEq(t, c.want, string(want))
			}
			require.Equal(t, c.clause, desc)
			for _, w := range s.Warnings() {
				require.NotEqual(t, schemas.WarnValidateUntold, w.Code, "%s", w)
			}
			for _, in := range c.accept {
				content := `{"v": ` + in + `}`
				require.NoError(t, validate(t, s, content), "the schema refuses %s", in)
				require.True(t, receiverAccepts(v, typ, content), "the validate rule refuses %s: the test case is wrong", in)
			}
			for _, in := range c.refuse {
				content := `{"v": ` + in + `}`
				require.Error(t, validate(t, s, content), "the schema accepts %s", in)
				require.False(t, receiverAccepts(v, typ, content), "the validate rule accepts %s: the test case is wrong", in)
			}
		})
	}
}

// TestRuleCodesAreTheValidators checks the generated code lists against
// the validator: every string of the codes' shape is in the enum exactly
// when the validator accepts it.
func TestRuleCodesAreTheValidators(t *testing.T) {
	v := validator.New()
	for _, c := range []struct {
		rule string
		n    int
	}{{"iso4217", 3}, {"iso3166_1_alpha2", 2}, {"iso3166_1_alpha3", 3}} {
		s, err := schemas.ForType(fieldType(reflect.TypeFor[string](), `validate:"`+c.rule+`"`))
		require.NoError(t, err)
		got, _ := property(t, s)
		inEnum := map[string]bool{}
		for _, e := range got["enum"].([]any) {
			inEnum[e.(string)] = true
		}
		var walk func(prefix string)
		walk = func(prefix string) {
			if len(prefix) == c.n {
				require.Equal(t, v.Var(prefix, c.rule) == nil, inEnum[prefix], "%s %s: run go generate ./schemas", c.rule, prefix)
				return
			}
			for r := 'A'; r <= 'Z'; r++ {
				walk(prefix + string(r))
			}
		}
		walk("")
	}
}

func TestRulesRequiredAndNull(t *testing.T) {
	type Doc struct {
		Name  string  `json:"name,omitempty" validate:"required"`
		Note  *string `json:"note,omitempty" validate:"omitempty,min=2"`
		Email *string `json:"email,omitempty" validate:"email"`
	}
	s, err := schemas.For[Doc]()
	require.NoError(t, err)
	var doc struct {
		Required []string `json:"required"`
	}
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	// required and a rule on a pointer fail on a missing key: the key is
	// required, in field order; omitempty first leaves it optional.
	require.Equal(t, []string{"name", "email"}, doc.Required)
	require.NoError(t, validate(t, s, `{"name":"a","email":"ada@example.com"}`))
	require.Error(t, validate(t, s, `{"name":null,"email":"ada@example.com"}`))
	require.Error(t, validate(t, s, `{"email":"ada@example.com"}`))
	require.NoError(t, validate(t, s, `{"name":"a","note":null,"email":"ada@example.com"}`))
}

func TestRulesWithoutSchemaFormAreListed(t *testing.T) {
	type Doc struct {
		Start   int       `json:"start"`
		End     int       `json:"end" validate:"gtfield=Start"`
		Code    string    `json:"code" validate:"omitempty,len=3"`
		Either  string    `json:"either" validate:"email|uuid"`
		When    time.Time `json:"when" validate:"gt"`
		Count   int       `json:"count" validate:"required"`
		Decimal float64   `json:"decimal" validate:"oneof=1 2"`
	}
	s, err := schemas.For[Doc]()
	require.NoError(t, err)
	var untold []string
	for _, w := range s.Warnings() {
		if w.Code == schemas.WarnValidateUntold {
			untold = append(untold, w.Pointer)
			require.Contains(t, w.Message, "the model is not told")
		}
	}
	require.Equal(t, []string{"/properties/end", "/properties/code", "/properties/either", "/properties/when", "/properties/decimal"}, untold)
	var required int
	for _, w := range s.Warnings() {
		if w.Code == schemas.WarnValidateRequired {
			required++
		}
	}
	require.Equal(t, 1, required, "required on a number is the validate-required warning, once")
	// The schema says nothing it cannot keep: code stays a plain string.
	got, _ := propertyNamed(t, s, "code")
	require.Equal(t, map[string]any{"type": "string"}, got)
}

func propertyNamed(t *testing.T, s *schemas.Schema, name string) (map[string]any, bool) {
	t.Helper()
	var doc struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	p, ok := doc.Properties[name]
	return p, ok
}

func TestRulesContradictingTags(t *testing.T) {
	for _, c := range []struct {
		name string
		typ  reflect.Type
		tags string
		ok   bool
	}{
		{"same bound", reflect.TypeFor[int](), `jsonschema:"minimum=0" validate:"gte=0"`, true},
		{"same length", reflect.TypeFor[string](), `jsonschema:"minLength=2" validate:"min=2"`, true},
		{"same count", reflect.TypeFor[[]int](), `jsonschema:"minItems=1" validate:"min=1"`, true},
		{"same enum", reflect.TypeFor[string](), `jsonschema:"enum=b,enum=a" validate:"oneof=a b"`, true},
		{"other bound", reflect.TypeFor[int](), `jsonschema:"minimum=5" validate:"gte=0"`, false},
		{"other length", reflect.TypeFor[string](), `jsonschema:"maxLength=3" validate:"max=4"`, false},
		{"other enum", reflect.TypeFor[string](), `jsonschema:"enum=a,enum=b" validate:"oneof=a c"`, false},
		{"other format", reflect.TypeFor[string](), `jsonschema:"format=date" validate:"uuid"`, false},
		{"no value left", reflect.TypeFor[int](), `jsonschema:"maximum=3" validate:"gt=5"`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := schemas.ForType(fieldType(c.typ, c.tags))
			if c.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, schemas.ErrTagConflict)
			require.Contains(t, err.Error(), ".V")
		})
	}
	// A malformed bound is an error too, with the field's name.
	_, err := schemas.ForType(fieldType(reflect.TypeFor[int](), `validate:"min=abc"`))
	require.ErrorIs(t, err, schemas.ErrUnsupportedType)
	require.True(t, strings.Contains(err.Error(), "min=abc"), err.Error())
	require.False(t, errors.Is(err, schemas.ErrTagConflict))
}

// Described has doc comments in every form, for TestDescriptionsForAModel.
type Described struct {
	Number string   `json:"number"`
	Lines  []string `json:"lines"`
	Due    string   `json:"due"`
	Note   string   `json:"note" jsonschema:"description=Number is kept as written"`
	Party  Party2   `json:"party"`
	Sums   []int    `json:"sums" validate:"min=1"`
	Short  string   `json:"short"`
}

// Party2 is a type whose comment starts with its name.
type Party2 struct {
	Name string `json:"name"`
}

func TestDescriptionsForAModel(t *testing.T) {
	pkg := reflect.TypeFor[Described]().PkgPath()
	docs := schemas.Comments{Package: pkg, Text: map[string]string{
		"Described":        "Described are documents with comments.",
		"Described.Number": "Number is the invoice number as printed.",
		"Described.Lines":  "Lines lists the billed lines.",
		"Described.Due":    "The due date, when printed. Due is not first here.",
		"Described.Note":   "Never used: the tag's description wins.",
		"Described.Sums":   "Sums is the subtotals",
		"Described.Short":  "Short",
		"Party2":           "Party2 is a company on an invoice.",
		"Party2.Name":      "Names are not the identifier: Name is left alone.",
	}}
	s, err := schemas.For[Described](schemas.WithComments(docs))
	require.NoError(t, err)
	var doc struct {
		Description string                    `json:"description"`
		Properties  map[string]map[string]any `json:"properties"`
		Defs        map[string]map[string]any `json:"$defs"`
	}
	require.NoError(t, json.Unmarshal(s.JSON(), &doc))
	require.Equal(t, "Documents with comments.", doc.Description)
	for name, want := range map[string]string{
		"number": "The invoice number as printed.",
		"lines":  "Lists the billed lines.",
		"due":    "The due date, when printed. Due is not first here.",
		"note":   "Number is kept as written",
		"sums":   "The subtotals. At least one entry.",
		"short":  "Short",
	} {
		require.Equal(t, want, doc.Properties[name]["description"], name)
	}
	require.Equal(t, "A company on an invoice.", doc.Defs["Party2"]["description"])
	props := doc.Defs["Party2"]["properties"].(map[string]any)
	require.Equal(t, "Names are not the identifier: Name is left alone.", props["name"].(map[string]any)["description"])
}

func TestRetabKeysNoLongerDocumented(t *testing.T) {
	type Doc struct {
		Number string `json:"number" retab:"quote,prompt=The number at the top"`
		Total  string `json:"total" retab:"reasoning=Add the lines"`
	}
	s, err := schemas.For[Doc]()
	require.NoError(t, err)
	byCode := map[string]schemas.Warning{}
	for _, w := range s.Warnings() {
		byCode[w.Code] = w
	}
	require.Equal(t, "/properties/number", byCode[schemas.WarnRetabSourceQuote].Pointer)
	require.Contains(t, byCode[schemas.WarnRetabSourceQuote].Message, "2026-03-09")
	require.Contains(t, byCode[schemas.WarnRetabSourceQuote].Message, "GET /v1/extractions/{id}/sources")
	require.Equal(t, "/properties/number", byCode[schemas.WarnRetabFieldPrompt].Pointer)
	require.Contains(t, byCode[schemas.WarnRetabFieldPrompt].Message, "2025-05-11")
	// X-ReasoningPrompt is documented: no such warning.
	for _, w := range s.Warnings() {
		require.NotEqual(t, "/properties/total", w.Pointer, "%s", w)
	}
}

// Rules whose keywords Retab's strict mode drops (minLength, maxLength,
// format) are stated in words, in the description and in X-FieldPrompt,
// so the strict-mode warnings for them are not given; the same keyword
// from a jsonschema tag alone still is.
func TestStrictDroppedRulesAreStatedInWords(t *testing.T) {
	type Doc struct {
		Code  string `json:"code" jsonschema:"description=The product code" validate:"min=2,max=5"`
		Email string `json:"email" validate:"email" retab:"prompt=The buyer's address"`
		Tag   string `json:"tag" jsonschema:"minLength=2"`
	}
	s, err := schemas.For[Doc]()
	require.NoError(t, err)
	code, _ := propertyNamed(t, s, "code")
	require.Equal(t, "The product code. At least 2 characters. At most 5 characters.", code["description"])
	email, _ := propertyNamed(t, s, "email")
	require.Equal(t, "An email address.", email["description"])
	require.Equal(t, "The buyer's address. An email address.", email["X-FieldPrompt"])
	var length []string
	for _, w := range s.Warnings() {
		require.NotEqual(t, schemas.WarnStrictFormat, w.Code, "%s", w)
		if w.Code == schemas.WarnStrictLength {
			length = append(length, w.Pointer)
		}
	}
	require.Equal(t, []string{"/properties/tag"}, length)
	again, err := schemas.For[Doc]()
	require.NoError(t, err)
	require.Equal(t, s.JSON(), again.JSON(), "the words are the same every time")
}
