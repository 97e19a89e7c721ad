package framework_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// The regression tests of the content semantics (docs/schemas.md, "What
// the handler gets"): each case the independent reference found the
// router disagreeing on, with the exact status, problem type, pointer and
// decoded value.

// serveOne registers T alone, serves content and returns the answer and
// the value the handler got (nil when it was not called).
func serveOne[T any](t *testing.T, content string) (int, framework.ProblemDocument, *T) {
	t.Helper()
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
	require.NoError(t, err)
	var got *T
	framework.Handle(r, func(_ context.Context, v T) error { got = &v; return nil })
	w := post(t, r, "/webhook", fixtures.ContentEnvelope(content), secret)
	var doc framework.ProblemDocument
	if w.Code != http.StatusOK {
		doc = problem(t, w)
		require.Nil(t, got, "a refused delivery never reaches the handler")
	}
	return w.Code, doc, got
}

// refused checks a 422 with exactly one violation.
func refused(t *testing.T, code int, doc framework.ProblemDocument, p *framework.Problem, pointer, keyword string) {
	t.Helper()
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Equal(t, p.Type(), doc.Type)
	require.Len(t, doc.Violations, 1, "%+v", doc.Violations)
	require.Equal(t, pointer, doc.Violations[0].Pointer)
	require.Equal(t, keyword, doc.Violations[0].Keyword)
}

type nullableEnum struct {
	Status *string `json:"status" jsonschema:"enum=open,enum=closed"`
}

// TestNullableEnumNoneIsNull: "None" stands for the enum's null; the
// handler gets nil, never the string outside the enum.
func TestNullableEnumNoneIsNull(t *testing.T) {
	code, _, got := serveOne[nullableEnum](t, `{"status": "None"}`)
	require.Equal(t, http.StatusOK, code)
	require.Nil(t, got.Status)

	code, _, got = serveOne[nullableEnum](t, `{"status": "open"}`)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "open", *got.Status)

	code, doc, _ := serveOne[nullableEnum](t, `{"status": "pending"}`)
	refused(t, code, doc, framework.ErrSchemaViolation, "/status", "enum")
}

type intFields struct {
	I8  int8  `json:"i8"`
	I64 int64 `json:"i64"`
	Min int   `json:"min" jsonschema:"minimum=3"`
}

// TestIntegerLeniencyIsExact: a number becomes an integer only when its
// decimal value is one, exactly.
func TestIntegerLeniencyIsExact(t *testing.T) {
	code, doc, _ := serveOne[intFields](t, `{"i8": 2.9999999999999999, "i64": 1, "min": 3}`)
	refused(t, code, doc, framework.ErrSchemaViolation, "/i8", "type")

	code, _, got := serveOne[intFields](t, `{"i8": 3.000, "i64": 9007199254740993.0, "min": 30e-1}`)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, intFields{I8: 3, I64: 9007199254740993, Min: 3}, *got)

	code, doc, _ = serveOne[intFields](t, `{"i8": 1, "i64": 1, "min": 2.9999999999999999}`)
	refused(t, code, doc, framework.ErrSchemaViolation, "/min", "type")

	code, doc, _ = serveOne[intFields](t, `{"i8": 1, "i64": 1e-400, "min": 3}`)
	refused(t, code, doc, framework.ErrSchemaViolation, "/i64", "type")
}

type floatAndRaw struct {
	F   float64         `json:"f"`
	I   int             `json:"i"`
	Raw json.RawMessage `json:"raw"`
}

// TestNegativeZeroAndRawMessage: -0.0 keeps its sign (a float gets -0, an
// integer 0); a json.RawMessage gets its member's bytes as sent, but for
// the rewrites.
func TestNegativeZeroAndRawMessage(t *testing.T) {
	code, _, got := serveOne[floatAndRaw](t, `{"f": -0.0, "i": -0.0, "raw": {"z": 1, "a": "<b>", "n": 1.50, "m": 2.0, "reasoning___m": "x"}}`)
	require.Equal(t, http.StatusOK, code)
	require.True(t, math.Signbit(got.F), "negative zero")
	require.Equal(t, 0, got.I)
	require.Equal(t, `{"z": 1, "a": "<b>", "n": 1.50, "m": 2}`, string(got.Raw))
}

type stamped struct {
	At time.Time `json:"at"`
}

// TestEscapedTimeIsRefusedAsEncodingJSONDoes: time.Time's UnmarshalJSON
// refuses escapes; the router decodes the bytes as sent, so it does too,
// at the field's pointer.
func TestEscapedTimeIsRefusedAsEncodingJSONDoes(t *testing.T) {
	var v stamped
	require.Error(t, json.Unmarshal([]byte(`{"at": "\u0032024-01-02T10:00:00Z"}`), &v))
	code, doc, _ := serveOne[stamped](t, `{"at": "\u0032024-01-02T10:00:00Z"}`)
	refused(t, code, doc, framework.ErrSchemaViolation, "/at", "decode")

	code, _, got := serveOne[stamped](t, `{"at": "2024-01-02T10:00:00Z"}`)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC), got.At)
}

type prices struct {
	Prices map[string]int `json:"prices"`
}

// TestRepeatedKeyIsRefused: a repeated key anywhere in the content is a
// 422 repeated-key at the repeated member, whatever its values.
func TestRepeatedKeyIsRefused(t *testing.T) {
	for content, ptr := range map[string]string{
		`{"prices": {"a": 1}, "prices": {"b": 2}}`:               "/prices",
		`{"prices": {"a": 1, "a": 2}}`:                           "/prices/a",
		`{"prices": {"a~/": 1, "a\u007e/": "x"}}`:                "/prices/a~0~1",
		`{"prices": {}, "reasoning___x": 1, "reasoning___x": 2}`: "/reasoning___x",
	} {
		code, doc, _ := serveOne[prices](t, content)
		refused(t, code, doc, framework.ErrRepeatedKey, ptr, "repeated-key")
	}
}

type optA struct {
	Priority int `json:"priority" jsonschema:"enum=1,enum=2"`
}

type optB struct {
	Priority any `json:"priority"`
}

// TestRoutingUsesTheValidationVerdict: "2" stands for optA's 2 and is
// anything for optB: both match, whatever the registration order.
func TestRoutingUsesTheValidationVerdict(t *testing.T) {
	for _, aFirst := range []bool{true, false} {
		r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
		require.NoError(t, err)
		var gotA *optA
		a := func() { framework.Handle(r, func(_ context.Context, v optA) error { gotA = &v; return nil }) }
		b := func() { framework.Handle(r, func(_ context.Context, v optB) error { return nil }) }
		if aFirst {
			a()
			b()
		} else {
			b()
			a()
		}
		w := post(t, r, "/webhook", fixtures.ContentEnvelope(`{"priority":"2"}`), secret)
		require.Equal(t, http.StatusUnprocessableEntity, w.Code)
		doc := problem(t, w)
		require.Equal(t, framework.ErrAmbiguousRoute.Type(), doc.Type)
		require.Equal(t, []string{"opt_a", "opt_b"}, doc.Candidates)

		w = post(t, kindMux(r), "/webhook/opt_a", fixtures.ContentEnvelope(`{"priority":"2"}`), secret)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		require.Equal(t, optA{Priority: 2}, *gotA)
	}
}

type line struct {
	Quantity int `json:"quantity"`
}

type base struct {
	ID string `json:"id" validate:"alphanum"` // a rule without a schema form
}

type pointers struct {
	base
	Lines  []line                  `json:"line_items"`
	Prices map[string]int          `json:"prices"`
	Attrs  map[string]attr         `json:"attrs" validate:"dive"`
	Data   []byte                  `json:"data"`
	Dates  map[string]schemas.Date `json:"dates"`
}

type attr struct {
	Value string `json:"value" validate:"alphanum"`
}

// TestViolationPointers: decode and rule violations carry RFC 6901
// pointers with indices, map keys (escaped) and embedded fields at their
// JSON names.
func TestViolationPointers(t *testing.T) {
	ok := `"id": "abc", "line_items": [], "prices": {}, "attrs": {}, "data": "", "dates": {}`
	for _, c := range []struct {
		content          string
		problem          *framework.Problem
		pointer, keyword string
	}{
		{`{"id": "a-b", "line_items": [], "prices": {}, "attrs": {}, "data": "", "dates": {}}`, framework.ErrRuleViolation, "/id", "validate:alphanum"},
		{`{` + ok + `, "attrs": {"a.b[c]~/": {"value": "x-y"}}}`, framework.ErrRuleViolation, "/attrs/a.b[c]~0~1/value", "validate:alphanum"},
		{`{` + ok + `, "line_items": [{"quantity": 1}, {"quantity": 1e30}]}`, framework.ErrSchemaViolation, "/line_items/1/quantity", "maximum"},
		{`{` + ok + `, "prices": {"a": 1e30}}`, framework.ErrSchemaViolation, "/prices/a", "maximum"},
		{`{` + ok + `, "data": "not base64!"}`, framework.ErrSchemaViolation, "/data", "decode"},
		{`{` + ok + `, "dates": {"x/y": "2023-02-30"}}`, framework.ErrSchemaViolation, "/dates/x~1y", "decode"},
	} {
		code, doc, _ := serveOne[pointers](t, repeatLast(c.content))
		refused(t, code, doc, c.problem, c.pointer, c.keyword)
	}
}

// repeatLast drops the earlier of two members with the same key (the
// cases above override one member of ok).
func repeatLast(content string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(content), &m); err != nil {
		return content
	}
	b, _ := json.Marshal(m)
	return string(b)
}

type amountRule struct {
	Lines []amountLine `json:"lines" validate:"dive"`
}

type amountLine struct {
	Amount schemas.Amount `json:"amount" validate:"gte=0"`
}

type stringer struct {
	S interface{ String() string } `json:"s"`
}

type badTag struct {
	N int `json:"n" jsonschema:"minimum=abc"`
}

type slashKind struct {
	A string `json:"a"`
}

func (slashKind) Kind() string { return "a/b" }

// TestRegistrationRefusesWhatCannotWork: each refusal names the field (or
// the kind).
func TestRegistrationRefusesWhatCannotWork(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
	require.NoError(t, err)
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"validate tag on a type it cannot apply to", framework.HandleSafely(r, func(context.Context, amountRule) error { return nil }),
			`field amountLine.Amount (at /lines/*/amount): validate tag "gte=0": Bad field type schemas.Amount`},
		{"interface with methods", framework.HandleSafely(r, func(context.Context, stringer) error { return nil }), "field stringer.S"},
		{"jsonschema tag that cannot be applied", framework.HandleSafely(r, func(context.Context, badTag) error { return nil }), "badTag.N: jsonschema tag: minimum=abc is not a number"},
		{"Kind that cannot be a path segment", framework.HandleSafely(r, func(context.Context, slashKind) error { return nil }), `kind "a/b" cannot be a path segment`},
		{"WithKind that cannot be a path segment", framework.HandleSafely(r, func(context.Context, slashKind) error { return nil }, framework.WithKind("..")), `kind ".." cannot be a path segment`},
	} {
		require.ErrorIs(t, c.err, framework.ErrRegistration, c.name)
		require.ErrorContains(t, c.err, c.want, c.name)
	}
	require.Empty(t, r.Kinds())
}
