package framework_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-playground/validator/v10"
	sjsonschema "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// The differential test of the content semantics: the router, through
// ServeHTTP, against the plain library path written here from the rules
// of docs/schemas.md ("What the handler gets"), with no code of the
// router's: encoding/json's tokens to find repeated keys and rewrite the
// content, santhosh-tekuri/jsonschema compiled from the exported schema,
// encoding/json into the type, validator/v10. Both must give the same
// status and problem type, and the same decoded value.

// diffDoc exercises every rule: exact integers and bounds, negative zero,
// enums of numbers and null, raw bytes, times, base64, maps, embedded
// fields, rules without a schema form.
type diffDoc struct {
	diffBase
	I8     int8             `json:"i8"`
	I64    int64            `json:"i64"`
	U      uint             `json:"u"`
	F      float64          `json:"f"`
	Min    int              `json:"min" jsonschema:"minimum=3"`
	Level  int              `json:"level" jsonschema:"enum=1,enum=2,enum=3"`
	Status *string          `json:"status" jsonschema:"enum=open,enum=closed"`
	Raw    json.RawMessage  `json:"raw"`
	At     *time.Time       `json:"at"`
	Data   []byte           `json:"data"`
	Prices map[string]int   `json:"prices"`
	Lines  []diffLine       `json:"lines" validate:"dive"`
	Any    any              `json:"any,omitempty"`
	Due    *schemas.Date    `json:"due"`
	Total  *schemas.Amount  `json:"total"`
	Tags   map[string]*bool `json:"tags,omitempty"`
}

type diffBase struct {
	ID string `json:"id" validate:"alphanum"`
}

type diffLine struct {
	Code string `json:"code" validate:"alphanum"`
	Qty  int16  `json:"qty"`
}

const diffSeed = `{"id": "A1", "i8": 3.0, "i64": 9007199254740993.0, "u": 30e-1, "f": -0.0, "min": 3, "level": "2",
 "status": "None", "raw": {"z": [1, 2.50], "a": "<b>"}, "at": "2024-01-02T10:00:00Z", "data": "aGk=",
 "prices": {"a.b": 1, "c/d": 2}, "lines": [{"code": "x1", "qty": 2}, {"code": "y2", "qty": -0.0, "reasoning___qty": "r"}],
 "any": {"n": 1e2}, "due": "2024-02-29", "total": 12113.670, "tags": {"t": true, "f": false}, "reasoning___root": "why"}`

// diffCases are the examples of issue 11 and their neighbours.
var diffCases = []string{
	`{"id": "A1", "i8": 2.9999999999999999, "i64": 1, "u": 1, "f": 1, "min": 3, "level": 1, "status": null, "raw": 1, "at": null, "data": null, "prices": {}, "lines": [], "due": null, "total": null}`,
	`{"id": "A1", "i8": 1, "i64": 1e-400, "u": 1, "f": 1, "min": 3, "level": 1, "status": null, "raw": 1, "at": null, "data": null, "prices": {}, "lines": [], "due": null, "total": null}`,
	`{"id": "A1", "i8": 1, "i64": 1, "u": 1, "f": 1, "min": 2.9999999999999999, "level": 1, "status": null, "raw": 1, "at": null, "data": null, "prices": {}, "lines": [], "due": null, "total": null}`,
	`{"id": "A1", "i8": 128, "i64": 1, "u": -1, "f": 1e400, "min": 3, "level": "4", "status": "pending", "raw": 1, "at": null, "data": null, "prices": {}, "lines": [], "due": null, "total": null}`,
	`{"id": "A1", "i8": 1, "i64": 1, "u": 1, "f": 1, "min": 3, "level": 1, "status": null, "raw": 1, "at": "\u0032024-01-02T10:00:00Z", "data": "not base64!", "prices": {"a": 1e30}, "lines": [{"code": "a-b", "qty": 40000}], "due": "2023-02-30", "total": null}`,
	`{"id": "A1", "i8": 1, "i64": 1, "u": 1, "f": 1, "min": 3, "level": 1, "status": null, "raw": 1, "at": null, "data": null, "prices": {"a": 1}, "prices": {"b": 2}, "lines": [], "due": null, "total": null}`,
	`{"id": "A1", "i8": 1, "i64": 1, "u": 1, "f": 1, "min": 3, "level": 1, "status": null, "raw": {"k": 1, "k": 2}, "at": null, "data": null, "prices": {}, "lines": [], "due": null, "total": null}`,
	`{"id": "A1", "i8": 1e0, "i64": -0e5, "u": 0.000e3, "f": 1, "min": 1.5e1, "level": "3", "status": "closed", "raw": null, "at": null, "data": "", "prices": {}, "lines": [], "due": null, "total": -0.0, "ID": "B"}`,
	`[1, 2]`, `"text"`, `null`, `{"id": "x"} tail`, `not json`, `{"a": [` + strings.Repeat("[", 1100) + strings.Repeat("]", 1100) + `]}`,
}

// refOutcome is what the plain library path decides.
type refOutcome struct {
	status  int
	problem string
	alt     string // another problem type allowed
	value   any    // on 200
}

// reference runs the plain library path on content for the type of zero.
type reference struct {
	typ      reflect.Type
	schema   *sjsonschema.Schema
	doc      any // the exported schema, decoded
	validate *validator.Validate
}

func newReference(t testing.TB, typ reflect.Type, exported []byte) *reference {
	parsed, err := sjsonschema.UnmarshalJSON(bytes.NewReader(exported))
	require.NoError(t, err)
	c := sjsonschema.NewCompiler()
	c.DefaultDraft(sjsonschema.Draft2020)
	require.NoError(t, c.AddResource("urn:ref", parsed))
	sch, err := c.Compile("urn:ref")
	require.NoError(t, err)
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		return name
	})
	return &reference{typ: typ, schema: sch, doc: parsed, validate: v}
}

var errRepeated = errors.New("repeated key")

func (r *reference) run(content []byte) refOutcome {
	refused := func(p *framework.Problem) refOutcome { return refOutcome{status: p.Status, problem: p.Type()} }
	if len(bytes.TrimSpace(content)) == 0 { // as the envelope reads it
		return refused(framework.ErrNoContent)
	}
	if !json.Valid(content) {
		// Measured before it is parsed, invalid content may be too
		// complex first.
		o := refused(framework.ErrInvalidContent)
		o.alt = framework.ErrTooComplex.Type()
		return o
	}
	if depth, values := measureReference(content); depth > framework.DefaultMaxDepth || values > framework.DefaultMaxValues {
		return refused(framework.ErrTooComplex)
	}
	rewritten, err := rewriteReference(content, nil)
	switch {
	case errors.Is(err, errRepeated):
		return refused(framework.ErrRepeatedKey)
	case err != nil:
		return refused(framework.ErrInvalidContent)
	}
	inst := decodeNumbers(rewritten)
	if r.schema.Validate(inst) != nil {
		fixes := map[string]string{}
		fixed := r.lenient(r.doc, inst, "", fixes)
		if len(fixes) == 0 || r.schema.Validate(fixed) != nil {
			return refused(framework.ErrSchemaViolation)
		}
		rewritten, _ = rewriteReference(content, fixes) // the strings replaced by the values they stand for
	}
	v := reflect.New(r.typ)
	if err := json.Unmarshal(rewritten, v.Interface()); err != nil {
		return refused(framework.ErrSchemaViolation)
	}
	if err := r.validate.Struct(v.Interface()); err != nil {
		return refused(framework.ErrRuleViolation)
	}
	return refOutcome{status: http.StatusOK, value: v.Elem().Interface()}
}

// rewriteReference applies rules 1, 2 (numbers) and 4 with encoding/json's
// token reader: repeated keys refused, annotation members dropped,
// integral numbers written as integers (big.Rat), strings copied as
// written, no whitespace, at most 1000 nested containers.
//
// fixes maps the paths of values to replace (tokens joined by "/", each
// quoted) to their replacement.
func rewriteReference(content []byte, fixes map[string]string) ([]byte, error) {
	if !json.Valid(content) {
		return nil, errors.New("invalid")
	}
	w := &refWriter{dec: json.NewDecoder(bytes.NewReader(content)), content: content, fixes: fixes}
	w.dec.UseNumber()
	tok, text, err := w.next()
	if err != nil {
		return nil, err
	}
	if err := w.value(tok, text, 0, false, ""); err != nil {
		return nil, err
	}
	return w.out.Bytes(), nil
}

type refWriter struct {
	dec     *json.Decoder
	content []byte
	prevEnd int64
	out     bytes.Buffer
	fixes   map[string]string
}

// next reads a token and its text as written.
func (w *refWriter) next() (json.Token, []byte, error) {
	tok, err := w.dec.Token()
	if err != nil {
		return nil, nil, err
	}
	end := w.dec.InputOffset()
	text := bytes.TrimLeft(w.content[w.prevEnd:end], " \t\r\n,:")
	w.prevEnd = end
	return tok, text, nil
}

// value writes the value that starts with tok (skip: reads it only).
func (w *refWriter) value(tok json.Token, text []byte, depth int, skip bool, path string) error {
	write := func(b ...byte) {
		if !skip {
			w.out.Write(b)
		}
	}
	if fix, ok := w.fixes[path]; ok && !skip {
		w.out.WriteString(fix)
		skip = true
	}
	switch tok := tok.(type) {
	case json.Delim:
		if depth >= 1000 {
			return errors.New("too deep")
		}
		write(byte(tok))
		if tok == '[' {
			for n := 0; ; n++ {
				t, tx, err := w.next()
				if err != nil {
					return err
				}
				if t == json.Delim(']') {
					write(']')
					return nil
				}
				if n > 0 {
					write(',')
				}
				if err := w.value(t, tx, depth+1, skip, path+"/"+strconv.Quote(strconv.Itoa(n))); err != nil {
					return err
				}
			}
		}
		keys := map[string]bool{}
		kept := 0
		for {
			t, tx, err := w.next()
			if err != nil {
				return err
			}
			if t == json.Delim('}') {
				write('}')
				return nil
			}
			k := t.(string)
			if keys[k] {
				return errRepeated
			}
			keys[k] = true
			vt, vtx, err := w.next()
			if err != nil {
				return err
			}
			ann := strings.HasPrefix(k, "reasoning___") || strings.HasPrefix(k, "source___") || strings.HasPrefix(k, "quote___")
			if !ann {
				if kept > 0 {
					write(',')
				}
				kept++
				write(tx...)
				write(':')
			}
			if err := w.value(vt, vtx, depth+1, skip || ann, path+"/"+strconv.Quote(k)); err != nil {
				return err
			}
		}
	case json.Number:
		write([]byte(integerText(string(tok)))...)
	default:
		write(text...)
	}
	return nil
}

// measureReference returns how deep valid JSON nests and how many values
// it holds (keys do not count), as WithParseLimits measures them.
func measureReference(content []byte) (maxDepth, values int) {
	dec := json.NewDecoder(bytes.NewReader(content))
	depth := 0
	var objects []bool // for each open container: is it an object
	var keyNext []bool
	for {
		tok, err := dec.Token()
		if err != nil {
			return maxDepth, values
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			depth--
			objects, keyNext = objects[:len(objects)-1], keyNext[:len(keyNext)-1]
			if len(keyNext) > 0 && objects[len(objects)-1] {
				keyNext[len(keyNext)-1] = true
			}
			continue
		}
		if len(objects) > 0 && objects[len(objects)-1] && keyNext[len(keyNext)-1] {
			keyNext[len(keyNext)-1] = false // a key
			continue
		}
		values++
		if d, ok := tok.(json.Delim); ok {
			depth++
			maxDepth = max(maxDepth, depth)
			objects, keyNext = append(objects, d == '{'), append(keyNext, d == '{')
			continue
		}
		if len(objects) > 0 && objects[len(objects)-1] {
			keyNext[len(keyNext)-1] = true
		}
	}
}

// integerText is rule 2 for numbers, with big.Rat.
func integerText(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok || !r.IsInt() {
		return s
	}
	n := r.Num().String()
	if r.Sign() == 0 && strings.HasPrefix(s, "-") {
		n = "-0"
	}
	if len(n) > len(s)+20 {
		return s
	}
	return n
}

func decodeNumbers(b []byte) any {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v)
	return v
}

// lenient is the enum leniency, written from its rule: a string that is
// not itself a value of an enum applying to it, and stands (as Python's
// str()) for a non-string value of one, is replaced by that value.
func (r *reference) lenient(node, v any, path string, fixes map[string]string) any {
	n, _ := node.(map[string]any)
	if ref, ok := n["$ref"].(string); ok {
		target := r.doc
		for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			target = target.(map[string]any)[tok]
		}
		return r.lenient(target, v, path, fixes)
	}
	if alts, ok := n["anyOf"].([]any); ok {
		for _, a := range alts {
			v = r.lenient(a, v, path, fixes)
		}
		return v
	}
	switch x := v.(type) {
	case string:
		enum, _ := n["enum"].([]any)
		for _, e := range enum {
			if e == x {
				return v
			}
		}
		for _, e := range enum {
			switch e := e.(type) {
			case json.Number:
				if rx, ok := new(big.Rat).SetString(x); ok && json.Valid([]byte(x)) && x == strings.TrimSpace(x) {
					if w, _ := new(big.Rat).SetString(string(e)); rx.Cmp(w) == 0 {
						fixes[path] = string(e)
						return e
					}
				}
			case bool:
				if (e && (x == "True" || x == "true")) || (!e && (x == "False" || x == "false")) {
					fixes[path] = strconv.FormatBool(e)
					return e
				}
			case nil:
				if x == "None" || x == "null" {
					fixes[path] = "null"
					return nil
				}
			}
		}
	case map[string]any:
		props, _ := n["properties"].(map[string]any)
		out := make(map[string]any, len(x))
		for k, e := range x {
			sub, ok := props[k]
			if !ok {
				sub = n["additionalProperties"]
			}
			out[k] = r.lenient(sub, e, path+"/"+strconv.Quote(k), fixes)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.lenient(n["items"], e, path+"/"+strconv.Quote(strconv.Itoa(i)), fixes)
		}
		return out
	}
	return v
}

// routerOutcome serves content through a router with T alone.
type routerOutcome struct {
	status  int
	problem string
	value   any
}

type diffRouter struct {
	h   http.Handler
	got *any
}

func newDiffRouter[T any](t testing.TB) (*diffRouter, *schemas.Schema) {
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
	require.NoError(t, err)
	var got any
	framework.Handle(r, func(_ context.Context, v T) error { got = v; return nil })
	s, ok := r.Schema(r.Kinds()[0])
	require.True(t, ok)
	return &diffRouter{h: r, got: &got}, s
}

func (d *diffRouter) serve(t testing.TB, body []byte) routerOutcome {
	*d.got = nil
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", framework.Sign(secret, body))
	w := httptest.NewRecorder()
	d.h.ServeHTTP(w, req)
	o := routerOutcome{status: w.Code, value: *d.got}
	if w.Code != http.StatusOK {
		var doc framework.ProblemDocument
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc), "%s", w.Body)
		o.problem = doc.Type
	}
	return o
}

// envelopeContent is the content the router reads from a body built by
// fixtures.ContentEnvelope (json.Marshal may have replaced invalid UTF-8).
func envelopeContent(t testing.TB, body []byte) []byte {
	var env struct {
		Completion struct {
			Choices []struct {
				Message struct {
					Content string `json:"content"`
				} `json:"message"`
			} `json:"choices"`
		} `json:"completion"`
	}
	require.NoError(t, json.Unmarshal(body, &env))
	return []byte(env.Completion.Choices[0].Message.Content)
}

// compareOne sends content through the router and the reference.
func compareOne(t testing.TB, d *diffRouter, ref *reference, content []byte, counts map[int]int) {
	body := fixtures.ContentEnvelope(string(content))
	content = envelopeContent(t, body)
	want := ref.run(content)
	if want.status < 0 {
		return
	}
	got := d.serve(t, body)
	counts[got.status]++
	if got.status != want.status || got.problem != want.problem && (want.alt == "" || got.problem != want.alt) {
		t.Fatalf("content %s:\nrouter    %d %s\nreference %d %s", content, got.status, got.problem, want.status, want.problem)
	}
	if want.status == http.StatusOK && !sameValue(got.value, want.value) {
		t.Fatalf("content %s: values differ:\nrouter    %#v\nreference %#v", content, got.value, want.value)
	}
}

// sameValue compares decoded values; json.RawMessage fields compare as
// compacted JSON (the reference does not keep whitespace).
func sameValue(a, b any) bool {
	return reflect.DeepEqual(normalizeRaw(reflect.ValueOf(a)), normalizeRaw(reflect.ValueOf(b)))
}

func normalizeRaw(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	if v.Type() == reflect.TypeFor[json.RawMessage]() {
		raw := v.Bytes()
		var b bytes.Buffer
		if v.IsNil() || json.Compact(&b, raw) != nil {
			return "raw " + string(raw)
		}
		return "raw " + b.String()
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() && v.CanInterface() {
			return v.Interface().(time.Time).Format(time.RFC3339Nano)
		}
		out := map[string]any{}
		for i := range v.NumField() {
			out[v.Type().Field(i).Name] = normalizeRaw(v.Field(i))
		}
		return out
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return []any{normalizeRaw(v.Elem())}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return "nil slice"
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = normalizeRaw(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return "nil map"
		}
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[fmt.Sprint(normalizeRaw(k))] = normalizeRaw(v.MapIndex(k))
		}
		return out
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, 64) // keeps -0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint()
	case reflect.String:
		return "s " + v.String()
	case reflect.Bool:
		return v.Bool()
	}
	return fmt.Sprintf("%v", v.Kind())
}

func TestContentSemanticsAgainstLibraryPath(t *testing.T) {
	d, s := newDiffRouter[diffDoc](t)
	ref := newReference(t, reflect.TypeFor[diffDoc](), s.JSON())
	counts := map[int]int{}
	compareOne(t, d, ref, []byte(diffSeed), counts)
	require.Equal(t, 1, counts[http.StatusOK], "the seed is valid")
	for _, c := range diffCases {
		compareOne(t, d, ref, []byte(c), counts)
	}
	for _, m := range fixtures.Mutants([]byte(diffSeed), 3000, 11) {
		compareOne(t, d, ref, m, counts)
	}
	t.Logf("diffDoc: statuses %v", counts)
	require.Greater(t, counts[http.StatusOK], 100)
	require.Greater(t, counts[http.StatusUnprocessableEntity], 100)

	// The example invoice, whose schema the fast path decides.
	d, s = newDiffRouter[fixtures.Invoice](t)
	ref = newReference(t, reflect.TypeFor[fixtures.Invoice](), s.JSON())
	counts = map[int]int{}
	for k, seed := range [][]byte{fixtures.InvoiceContent(3), fixtures.InvoiceContent(fixtures.TypicalLines)} {
		compareOne(t, d, ref, seed, counts)
		for _, m := range fixtures.Mutants(seed, 300, uint64(k)) {
			compareOne(t, d, ref, m, counts)
		}
	}
	t.Logf("Invoice: statuses %v", counts)
	require.Greater(t, counts[http.StatusOK], 20)
	require.Greater(t, counts[http.StatusUnprocessableEntity], 20)
}

// FuzzContentSemantics is the differential test on fuzzed content, through
// ServeHTTP; CI runs it for a bounded time (.ci/run).
func FuzzContentSemantics(f *testing.F) {
	f.Add([]byte(diffSeed))
	for _, c := range diffCases {
		f.Add([]byte(c))
	}
	d, s := newDiffRouter[diffDoc](f)
	ref := newReference(f, reflect.TypeFor[diffDoc](), s.JSON())
	f.Fuzz(func(t *testing.T, content []byte) {
		compareOne(t, d, ref, content, map[int]int{})
	})
}
