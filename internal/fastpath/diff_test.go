package fastpath_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fastpath"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// The differential tests run the fast path and the full path (ParseInstance,
// Validate, json.Marshal of the cleaned value, json.Unmarshal into the type)
// on the same generated content and require the same answers whenever the
// fast path answers.

// CalendarEvent is the quick start's type (examples/invoice).
type CalendarEvent struct {
	Name string `json:"name" jsonschema:"description=Name of the event" validate:"required"`
	Date string `json:"date" jsonschema:"description=Date of the event (YYYY-MM-DD)" validate:"datetime=2006-01-02"`
}

// Keywords exercises every keyword the fast path compiles.
const keywordsSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["id", "kind", "tags", "score"],
  "properties": {
    "id": {"type": "integer", "minimum": 1, "exclusiveMaximum": 9007199254740993},
    "kind": {"enum": ["a", "b", null, true, 2]},
    "fixed": {"const": "x"},
    "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 4, "pattern": "^[a-zé]+$"}, "minItems": 1, "maxItems": 3},
    "score": {"type": ["number", "null"], "minimum": -1.5, "maximum": 100, "exclusiveMinimum": -2},
    "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    "both": {"allOf": [{"type": "number"}, {"not": {"const": 0}}]},
    "node": {"$ref": "#/$defs/node"},
    "free": true,
    "never": false,
    "meta": {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1, "maxProperties": 2}
  },
  "additionalProperties": {"type": ["string", "number", "boolean", "null", "object", "array"]},
  "$defs": {
    "node": {"type": "object", "properties": {"v": {"type": "integer"}, "next": {"anyOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]}}, "required": ["v"], "additionalProperties": false}
  }
}`

const keywordsSeed = `{"id": 3, "kind": "a", "fixed": "x", "tags": ["ab", "é"], "score": 2.5, "either": "s", "both": 4,
 "node": {"v": 1, "next": {"v": 2, "next": null}}, "free": {"any": [1, "thing"]}, "meta": {"k": "v"}, "extra": "ok"}`

type subject struct {
	name   string
	schema *schemas.Schema
	seeds  []string
	typ    reflect.Type // nil: no Go type
}

func subjects(t testing.TB) []subject {
	t.Helper()
	mustParse := func(doc []byte) *schemas.Schema {
		s, err := schemas.Parse(doc)
		require.NoError(t, err)
		return s
	}
	inv, err := schemas.For[fixtures.Invoice]()
	require.NoError(t, err)
	ev, err := schemas.For[CalendarEvent]()
	require.NoError(t, err)
	var qs struct {
		JSONSchema json.RawMessage `json:"json_schema"`
	}
	require.NoError(t, json.Unmarshal(fixtures.Read(fixtures.QuickstartSchemaResp), &qs))
	var qc struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	require.NoError(t, json.Unmarshal(fixtures.Read(fixtures.QuickstartCompletion), &qc))
	return []subject{
		{"Invoice", inv, []string{string(fixtures.InvoiceContent(3)), string(fixtures.InvoiceContent(fixtures.TypicalLines))}, reflect.TypeFor[fixtures.Invoice]()},
		{"CalendarEvent", ev, []string{fixtures.SeedContent}, reflect.TypeFor[CalendarEvent]()},
		{"invoice_schema", mustParse(fixtures.Read(fixtures.InvoiceSchema)), nil, nil},
		{"reasoning", mustParse(fixtures.Read(fixtures.Reasoning)), nil, nil},
		{"booking", mustParse(fixtures.Read(fixtures.BookingSchema)), nil, nil},
		{"quickstart", mustParse(qs.JSONSchema), []string{qc.Choices[0].Message.Content}, nil},
		{"keywords", mustParse([]byte(keywordsSchema)), []string{keywordsSeed}, nil},
	}
}

func TestCompileSupportsTheSamples(t *testing.T) {
	for _, s := range subjects(t) {
		_, err := fastpath.Compile(s.schema.JSON())
		require.NoError(t, err, s.name)
	}
}

func TestCompileRefuses(t *testing.T) {
	for _, doc := range []string{
		`{"$schema": "http://json-schema.org/draft-07/schema#"}`,
		`{"multipleOf": 2}`,
		`{"properties": {"a": {"$id": "x"}}}`,
		`{"patternProperties": {"^a": true}}`,
		`{"uniqueItems": true}`,
		`{"enum": [{"a": 1}]}`,
		`{"$ref": "other.json"}`,
		`{"allOf": [{"$ref": "#"}]}`,
		`{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"anyOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}`,
		`{"unknownKeyword": 1}`,
	} {
		_, err := fastpath.Compile([]byte(doc))
		require.ErrorIs(t, err, fastpath.ErrUnsupported, doc)
	}
}

// outcome is what the full path decides for some content.
type outcome struct {
	parseErr bool
	inst     *schemas.Instance
	valid    bool
	decoded  any   // the decoded Go value, when valid and typed
	decErr   error // json.Unmarshal's error into the type
}

func fullPath(s subject, content []byte) outcome {
	inst, err := schemas.ParseInstance(content)
	if err != nil {
		return outcome{parseErr: true}
	}
	// ParseInstance's value is modified by nobody after this point, but
	// Validate and Marshal must see it as the router would.
	o := outcome{inst: inst, valid: s.schema.Validate(inst.Value) == nil}
	if o.valid && s.typ != nil {
		clean, err := json.Marshal(inst.Value)
		if err != nil {
			o.decErr = err
			return o
		}
		v := reflect.New(s.typ)
		o.decErr = json.Unmarshal(clean, v.Interface())
		o.decoded = v.Elem().Interface()
	}
	return o
}

// stats counts how often the fast path answered, to make sure the test
// exercises it.
type stats struct{ total, prepared, sure, valid, invalid int }

func checkOne(t *testing.T, s subject, prog *fastpath.Program, content []byte, st *stats) {
	t.Helper()
	st.total++
	want := fullPath(s, content)
	clean, anns, ok := fastpath.Prepare(content)
	if !ok {
		return
	}
	st.prepared++
	require.False(t, want.parseErr, "Prepare accepted content ParseInstance refuses: %s", content)
	if len(want.inst.Annotations) == 0 {
		require.Empty(t, anns, "%s", content)
	} else {
		require.Equal(t, want.inst.Annotations, anns, "%s", content)
	}
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.UseNumber()
	var got any
	require.NoError(t, dec.Decode(&got), "%s", clean)
	require.Equal(t, want.inst.Value, got, "prepared content differs: %s -> %s", content, clean)

	valid, sure := prog.Validate(clean)
	if !sure {
		return
	}
	st.sure++
	if want.valid {
		st.valid++
	} else {
		st.invalid++
	}
	require.Equal(t, want.valid, valid, "verdicts differ on %s (prepared %s)", content, clean)
	if valid && s.typ != nil {
		require.True(t, fastpath.Decodable(s.typ))
		v := reflect.New(s.typ)
		err := json.Unmarshal(clean, v.Interface())
		require.Equal(t, want.decErr == nil, err == nil, "decode errors differ on %s: %v / %v", content, want.decErr, err)
		if err == nil {
			require.Equal(t, want.decoded, v.Elem().Interface(), "decoded values differ on %s", content)
		}
	}
}

func TestDifferential(t *testing.T) {
	for _, s := range subjects(t) {
		t.Run(s.name, func(t *testing.T) {
			prog, err := fastpath.Compile(s.schema.JSON())
			require.NoError(t, err)
			var raw any
			dec := json.NewDecoder(bytes.NewReader(s.schema.JSON()))
			dec.UseNumber()
			require.NoError(t, dec.Decode(&raw))
			seeds := s.seeds
			for k := range 3 {
				g := &gen{rng: rand.New(rand.NewPCG(uint64(k), 1)), root: raw}
				b, err := json.Marshal(g.instance(raw, 0))
				require.NoError(t, err)
				seeds = append(seeds, string(b))
			}
			var st stats
			for k, seed := range seeds {
				checkOne(t, s, prog, []byte(seed), &st)
				for _, m := range fixtures.Mutants([]byte(seed), 600, uint64(k)) {
					checkOne(t, s, prog, m, &st)
				}
			}
			t.Logf("%s: %d instances, %d prepared, %d decided by the fast path (%d valid, %d invalid)", s.name, st.total, st.prepared, st.sure, st.valid, st.invalid)
			require.Greater(t, st.sure, st.total/2, "the fast path must decide most instances")
			require.Greater(t, st.valid, st.total/20, "the generator must produce valid instances")
			require.Greater(t, st.invalid, st.total/20, "the generator must produce invalid instances")
		})
	}
}

func FuzzDifferential(f *testing.F) {
	ss := subjects(f)
	for _, s := range ss {
		for _, seed := range s.seeds {
			f.Add([]byte(seed))
		}
	}
	f.Add([]byte(`{"number": "1", "reasoning___number": "x", "line_items": [{"quantity": 3.0, "source___quantity": 1}]}`))
	f.Add([]byte(`{"a": 1, "A": 2}`))
	f.Add([]byte(`{"a": 1e400, "b": -0.0, "c": 1E2, "d": "\ud800"}`))
	progs := make([]*fastpath.Program, len(ss))
	for i, s := range ss {
		var err error
		progs[i], err = fastpath.Compile(s.schema.JSON())
		require.NoError(f, err)
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		var st stats
		for i, s := range ss {
			checkOne(t, s, progs[i], content, &st)
		}
	})
}

// gen builds an instance that follows a schema document (mostly valid:
// the first alternatives, every property).
type gen struct {
	rng  *rand.Rand
	root any
}

func (g *gen) instance(s any, depth int) any {
	m, ok := s.(map[string]any)
	if !ok || depth > 8 {
		return nil
	}
	if ref, ok := m["$ref"].(string); ok {
		target := g.root
		for _, tok := range strings.Split(strings.TrimPrefix(ref, "#"), "/")[1:] {
			target = target.(map[string]any)[tok]
		}
		return g.instance(target, depth+1)
	}
	if alts, ok := m["anyOf"].([]any); ok {
		return g.instance(alts[g.rng.IntN(len(alts))], depth+1)
	}
	if e, ok := m["enum"].([]any); ok {
		return e[g.rng.IntN(len(e))]
	}
	typ := m["type"]
	if arr, ok := typ.([]any); ok {
		typ = arr[g.rng.IntN(len(arr))]
	}
	switch typ {
	case "object":
		props, _ := m["properties"].(map[string]any)
		out := map[string]any{}
		for k, p := range props {
			out[k] = g.instance(p, depth+1)
		}
		return out
	case "array":
		out := []any{}
		for range g.rng.IntN(4) {
			out = append(out, g.instance(m["items"], depth+1))
		}
		return out
	case "string":
		return fmt.Sprintf("text %d", g.rng.IntN(100))
	case "integer":
		return json.Number(strconv.Itoa(g.rng.IntN(50)))
	case "number":
		return json.Number(strconv.FormatFloat(float64(g.rng.IntN(10000))/100, 'f', -1, 64))
	case "boolean":
		return g.rng.IntN(2) == 0
	}
	return nil
}
