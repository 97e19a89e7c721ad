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
    "kind": {"enum": ["a", "b", "c"]},
    "fixed": {"const": "x"},
    "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 4, "pattern": "^[a-zé]+$"}, "minItems": 1, "maxItems": 3},
    "score": {"type": ["number", "null"], "minimum": -1.5, "maximum": 100, "exclusiveMinimum": -2},
    "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    "both": {"allOf": [{"type": "number"}, {"not": {"maximum": 0}}]},
    "pos": {"type": "number", "exclusiveMinimum": 0, "maximum": 0.5},
    "nonneg": {"minimum": 0, "exclusiveMaximum": 0.0e0},
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

// lenientSchema has enums with values that are not strings: strings may
// stand for them, so the fast path leaves those and every invalid content
// to the full validator.
const lenientSchema = `{
  "type": "object",
  "required": ["kind"],
  "properties": {
    "kind": {"enum": ["a", "b", null, true, 2]},
    "n": {"type": "integer", "enum": [1, 2, 3]},
    "flag": {"type": ["boolean", "null"], "enum": [true, false, null]},
    "rest": {"type": "array", "items": {"type": ["integer", "string"]}}
  },
  "additionalProperties": false
}`

// enumSchema has string enums looked up in a set: values spelled with
// escapes, non-ASCII, empty, and the same text as a key.
const enumSchema = `{
  "type": "object",
  "required": ["code"],
  "properties": {
    "code": {"type": "string", "enum": ["EUR", "USD", "caf\u00e9", "a\"b", "", "code"]},
    "codes": {"type": "array", "items": {"enum": ["x", "y\\z", "\ud83d\ude00"]}}
  },
  "additionalProperties": false
}`

const keywordsSeed = `{"id": 3, "kind": "a", "fixed": "x", "tags": ["ab", "é"], "score": 2.5, "either": "s", "both": 4, "pos": 0.25,
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
		{"keywords", mustParse([]byte(keywordsSchema)), []string{keywordsSeed, `{"id": 3, "kind": "a", "tags": ["ab"], "score": 0, "pos": 1e-400, "nonneg": -0.0}`}, nil},
		{"enum", mustParse([]byte(enumSchema)), []string{`{"code": "EUR", "codes": ["x", "y\\z", "\ud83d\ude00"]}`, `{"code": "caf\u00e9"}`, `{"code": "café", "codes": []}`,
			`{"code": "a\"b"}`, `{"code": ""}`, `{"code": "\u0045UR"}`, `{"code": "EURO"}`, `{"code": "code"}`, `{"code": "eur"}`}, nil},
		{"lenient", mustParse([]byte(lenientSchema)), []string{`{"kind": "a", "n": 2, "flag": "True", "rest": [1, "x"]}`}, nil},
	}
}

func TestCompileSupportsTheSamples(t *testing.T) {
	for _, s := range subjects(t) {
		_, err := fastpath.Compile(s.schema.JSON(), schemas.IsAnnotationKey)
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
		_, err := fastpath.Compile([]byte(doc), schemas.IsAnnotationKey)
		require.ErrorIs(t, err, fastpath.ErrUnsupported, doc)
	}
}

// stats counts how often the fast path answered, to make sure the test
// exercises it.
type stats struct{ total, prepared, sure, valid, invalid, accepted, refused int }

// checkOne compares the fast path's verdict on prepared content with the
// full validator's (schemas.Schema.Validate on the decoded value).
func checkOne(t *testing.T, s subject, prog *fastpath.Program, content []byte, st *stats) {
	t.Helper()
	st.total++
	answer := prog.Route(content)
	accepted := prog.Route(content) == fastpath.Matches
	require.Equal(t, answer == fastpath.Matches, accepted, "%s", content)
	if answer == fastpath.Refuses {
		// Refuses: once Prepare accepts the content, the fast path and the
		// full validator refuse what it returns.
		st.refused++
		if inst, err := schemas.ParseInstance(content); err == nil {
			valid, sure := prog.Validate(inst.Clean)
			require.True(t, sure && !valid, "Route refused content Validate does not: %s (prepared %s)", content, inst.Clean)
			require.Error(t, s.schema.Validate(inst.Value), "Route refused content the full validator accepts: %s", content)
		}
	}
	if accepted {
		// Matches: Prepare keeps the content as it is, and both validators
		// find it valid.
		st.accepted++
		clean, anns, err := schemas.Prepare(content)
		require.NoError(t, err, "Route matched content Prepare refuses: %s", content)
		require.Empty(t, anns, "%s", content)
		require.True(t, len(clean) == len(content) && &clean[0] == &content[0], "Route matched content Prepare rewrites: %s", content)
		valid, sure := prog.Validate(content)
		require.True(t, valid && sure, "Route matched content Validate does not: %s", content)
	}
	inst, err := schemas.ParseInstance(content)
	if err != nil {
		require.False(t, accepted)
		return
	}
	if accepted {
		require.NoError(t, s.schema.Validate(inst.Value), "Route matched content the full validator refuses: %s", content)
	}
	st.prepared++
	want := s.schema.Validate(inst.Value) == nil
	valid, sure := prog.Validate(inst.Clean)
	if !sure {
		return
	}
	st.sure++
	if want {
		st.valid++
	} else {
		st.invalid++
	}
	require.Equal(t, want, valid, "verdicts differ on %s (prepared %s)", content, inst.Clean)
}

func TestDifferential(t *testing.T) {
	for _, s := range subjects(t) {
		t.Run(s.name, func(t *testing.T) {
			prog, err := fastpath.Compile(s.schema.JSON(), schemas.IsAnnotationKey)
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
			t.Logf("%s: %d instances, %d prepared, %d decided by the fast path (%d valid, %d invalid), %d accepted and %d refused unprepared", s.name, st.total, st.prepared, st.sure, st.valid, st.invalid, st.accepted, st.refused)
			if s.name == "lenient" {
				require.Positive(t, st.valid, "the fast path decides valid content without strings at the enums")
				require.Zero(t, st.invalid, "the fast path leaves invalid content to the full validator")
				return
			}
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
		progs[i], err = fastpath.Compile(s.schema.JSON(), schemas.IsAnnotationKey)
		require.NoError(f, err)
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		var st stats
		checkAll(t, ss, progs, content, &st)
	})
}

// checkAll is checkOne for every program on the same content, and checks
// Route's claim across programs: when one answers NotAsIs, none Matches.
func checkAll(t *testing.T, ss []subject, progs []*fastpath.Program, content []byte, st *stats) {
	t.Helper()
	notAsIs, matches := "", ""
	for i, s := range ss {
		checkOne(t, s, progs[i], content, st)
		switch progs[i].Route(content) {
		case fastpath.NotAsIs:
			notAsIs = s.name
		case fastpath.Matches:
			matches = s.name
		}
	}
	require.False(t, notAsIs != "" && matches != "", "%s answers NotAsIs and %s Matches on %s", notAsIs, matches, content)
}

// TestRouteAcrossPrograms runs every program on every subject's contents
// (seeds, generated instances and their mutants), as routing between
// several types does: each answer of Route holds (checkOne), and NotAsIs
// from one excludes Matches from another.
func TestRouteAcrossPrograms(t *testing.T) {
	ss := subjects(t)
	progs := make([]*fastpath.Program, len(ss))
	var contents [][]byte
	for i, s := range ss {
		var err error
		progs[i], err = fastpath.Compile(s.schema.JSON(), schemas.IsAnnotationKey)
		require.NoError(t, err)
		for k, seed := range s.seeds {
			contents = append(contents, []byte(seed))
			contents = append(contents, fixtures.Mutants([]byte(seed), 150, uint64(100*i+k))...)
		}
	}
	var st stats
	for _, c := range contents {
		checkAll(t, ss, progs, c, &st)
	}
	t.Logf("%d answers: %d matches, %d refusals", st.total, st.accepted, st.refused)
	require.Positive(t, st.accepted)
	require.Greater(t, st.refused, st.total/4)
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
		if m["format"] == "date" { // validate:"datetime=2006-01-02" writes a pattern too
			return fmt.Sprintf("2024-01-%02d", 1+g.rng.IntN(28))
		}
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

// TestRouteMatchesOnlyWhatPrepareKeeps: Route matches the typical invoice
// as it is, without an allocation, and leaves to Prepare and Validate
// every content Prepare would refuse or rewrite, and what it does not
// take as is.
func TestRouteMatchesOnlyWhatPrepareKeeps(t *testing.T) {
	inv, err := schemas.For[fixtures.Invoice]()
	require.NoError(t, err)
	prog, err := fastpath.Compile(inv.JSON(), schemas.IsAnnotationKey)
	require.NoError(t, err)
	typical := fixtures.InvoiceContent(fixtures.TypicalLines)
	require.True(t, prog.Route(typical) == fastpath.Matches)
	require.Zero(t, testing.AllocsPerRun(100, func() { prog.Route(typical) }))
	kw, err := fastpath.Compile(mustSchema(t, keywordsSchema).JSON(), schemas.IsAnnotationKey)
	require.NoError(t, err)
	ok := `{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "free": {"any": [1, "thing", {"x": null}]}}`
	require.True(t, kw.Route([]byte(ok)) == fastpath.Matches)
	require.True(t, kw.Route([]byte(" \n"+ok+"\t ")) == fastpath.Matches)
	require.True(t, kw.Route([]byte(`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.50}`)) == fastpath.Matches, "kept as written by Prepare")
	for _, c := range []string{
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5,}`,
		`{"id": 3, "kind": "a", "tags": ["ab",], "score": 2.5}`,
		`{"id": 3, "kind": "a", "tags": ["ab"] "score": 2.5}`,
		`{"id": 3, "kind": "a", "tags": ["ab" "c"], "score": 2.5}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "id": 3}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "free": {"a": 1, "a": 1}}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "reasoning___id": "x"}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "free": [{"quote___a": 1}]}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.0}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 25e-1}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "free": 1.0}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "free": [1e2]}`,
		`{"id": 3, "k\u0069nd": "a", "tags": ["ab"], "score": 2.5}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5} x`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5}}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "free": tru}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "free": "\x"}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "free": {"a" 1}}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "free": {1: 1}}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "free": ` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
		`{"id": 3, "kind": "a", "tags": ["ab"], "score": 2.5, "e": {"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16}}`,
		`{"id": 3, "kind": "z", "tags": ["ab"], "score": 2.5}`,
		``, ` `, `{`, `[`,
	} {
		require.False(t, kw.Route([]byte(c)) == fastpath.Matches, "%s", c)
	}
}

func mustSchema(t *testing.T, doc string) *schemas.Schema {
	t.Helper()
	s, err := schemas.Parse([]byte(doc))
	require.NoError(t, err)
	return s
}

// TestRouteAnswers: the typical invoice Matches the invoice's program and
// is refused at its first key by the calendar event's
// (additionalProperties: false), without an allocation; what Prepare
// would change is NotAsIs, the leniency Unsure.
func TestRouteAnswers(t *testing.T) {
	compile := func(s *schemas.Schema, err error) *fastpath.Program {
		require.NoError(t, err)
		p, err := fastpath.Compile(s.JSON(), schemas.IsAnnotationKey)
		require.NoError(t, err)
		return p
	}
	inv := compile(schemas.For[fixtures.Invoice]())
	ev := compile(schemas.For[CalendarEvent]())
	lenient := compile(schemas.Parse([]byte(lenientSchema)))
	// A property named like an annotation: its key is still one Prepare
	// sets aside, though the walk matches it by the field's name.
	named := compile(schemas.Parse([]byte(`{"type": "object", "properties": {"a": {"type": "integer"}, "reasoning___a": {"type": "string"}}}`)))
	typical := fixtures.InvoiceContent(fixtures.TypicalLines)
	route := func(p *fastpath.Program, c string) fastpath.Answer {
		return p.Route([]byte(c))
	}
	require.Equal(t, fastpath.Matches, inv.Route(typical))
	require.Equal(t, fastpath.Refuses, ev.Route(typical))
	require.Zero(t, testing.AllocsPerRun(100, func() { ev.Route(typical) }))
	for _, c := range []struct {
		p       *fastpath.Program
		content string
		want    fastpath.Answer
	}{
		{ev, fixtures.SeedContent, fastpath.Matches},
		{inv, fixtures.SeedContent, fastpath.Refuses},
		// Refused before what Prepare would refuse or rewrite: the answer
		// holds once Prepare accepted the content.
		{ev, `{"name": "x", "place": 1, "date": "2023-12-31", "date": 1}`, fastpath.Refuses},
		{ev, `{"name": "", "reasoning___name": "r", "date": "2023-12-31"}`, fastpath.Refuses},
		{ev, `{"name": 1.0}`, fastpath.NotAsIs}, // the number is read before its type is checked
		{ev, `{"name": "x", "date": "2023-12-31"`, fastpath.NotAsIs},
		{ev, `{"name": "x", "date": "2023-12-31"} x`, fastpath.NotAsIs},
		{ev, `{"reasoning___name": "r", "name": "", "date": "2023-12-31"}`, fastpath.NotAsIs},
		{ev, `{"name": "x", "date": "2023-12-31", "reasoning___date": "r"}`, fastpath.NotAsIs},
		{ev, `{"n\u0061me": "x", "date": "2023-12-31"}`, fastpath.NotAsIs},
		{ev, `{"name": "x", "name": "x", "date": "2023-12-31"}`, fastpath.NotAsIs},
		{ev, `{"name": "x", "date": "2023-12-31", "n": 2.0}`, fastpath.Refuses}, // "n" is refused before its number is read
		{ev, `[1.0]`, fastpath.Refuses},
		{ev, ``, fastpath.NotAsIs},
		{named, `{"a": 1}`, fastpath.Matches},
		{named, `{"a": 1, "reasoning___a": "r"}`, fastpath.NotAsIs},
		{named, `{"reasoning___a": "r", "a": 1}`, fastpath.NotAsIs},
		{lenient, `{"kind": 2}`, fastpath.Matches},
		{lenient, `{"kind": "z"}`, fastpath.Unsure},
		{lenient, `{"kind": 5}`, fastpath.Unsure},
	} {
		require.Equal(t, c.want, route(c.p, c.content), "%s", c.content)
	}
}
