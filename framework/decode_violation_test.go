package framework_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

type Shipment struct {
	Reference string `json:"reference"`
	Dates
	Legs   []Leg                   `json:"legs"`
	ByPort map[string]schemas.Date `json:"by_port,omitempty"`
}

type Dates struct {
	Shipped schemas.Date  `json:"shipped"`
	Arrives *schemas.Date `json:"arrives"`
}

type Leg struct {
	Port string         `json:"port"`
	On   schemas.Date   `json:"on"`
	Cost schemas.Amount `json:"cost"`
}

// TestImpossibleDatesArePointedAt checks that a value the JSON Schema
// accepts but a type's own unmarshaller refuses (a date that matches
// YYYY-MM-DD but does not exist, as a model may answer) is reported at
// its JSON Pointer.
func TestImpossibleDatesArePointedAt(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
	require.NoError(t, err)
	var got []Shipment
	framework.Handle(r, func(_ context.Context, s Shipment) error { got = append(got, s); return nil })

	tests := []struct {
		content string
		pointer string
	}{
		{`{"reference":"S1","shipped":"2023-02-30","arrives":null,"legs":[]}`, "/shipped"},
		{`{"reference":"S1","shipped":"2023-02-20","arrives":"2023-13-01","legs":[]}`, "/arrives"},
		{`{"reference":"S1","shipped":"2023-02-20","arrives":null,"legs":[{"port":"Oslo","on":"2023-03-01","cost":1},{"port":"Kiel","on":"2023-04-31","cost":2}]}`, "/legs/1/on"},
		{`{"reference":"S1","shipped":"2023-02-20","arrives":null,"legs":[],"by_port":{"a/b":"2023-06-31"}}`, "/by_port/a~1b"},
	}
	for _, tt := range tests {
		t.Run(tt.pointer, func(t *testing.T) {
			w := post(t, r, "/webhook", fixtures.ContentEnvelope(tt.content), secret)
			require.Equal(t, 422, w.Code, w.Body.String())
			doc := problem(t, w)
			assert.Equal(t, framework.ErrSchemaViolation.Type(), doc.Type)
			require.Len(t, doc.Violations, 1)
			assert.Equal(t, tt.pointer, doc.Violations[0].Pointer)
			assert.Equal(t, "decode", doc.Violations[0].Keyword)
			assert.Contains(t, doc.Violations[0].Message, "out of range")
		})
	}
	assert.Empty(t, got)
	w := post(t, r, "/webhook", fixtures.ContentEnvelope(`{"reference":"S1","shipped":"2024-02-29","arrives":null,"legs":[{"port":"Oslo","on":"2024-03-01","cost":12.50}]}`), secret)
	require.Equal(t, 200, w.Code, w.Body.String())
	require.Len(t, got, 1)
	assert.Equal(t, "2024-02-29", got[0].Shipped.String())
	assert.Equal(t, "12.5", got[0].Legs[0].Cost.String())
}

// Booking has a date its own unmarshaller checks (schemas.Date) and
// validate rules with no JSON Schema form (gtefield, alphanum), declared
// out of pointer order.
type Booking struct {
	Ref       string       `json:"ref" validate:"alphanum"`
	Start     schemas.Date `json:"start" validate:"required"`
	Nights    int          `json:"nights"`
	MaxNights int          `json:"max_nights" validate:"gtefield=Nights"`
}

// TestAllViolationsInOneOrder: a value its type's unmarshaller refuses (a
// 30 February) no longer hides the rule violations elsewhere in the
// delivery, nor does a schema violation; schema, decoding and rule
// violations come in one list sorted by pointer, each refused value once.
func TestAllViolationsInOneOrder(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
	require.NoError(t, err)
	var got []Booking
	framework.Handle(r, func(_ context.Context, b Booking) error { got = append(got, b); return nil })

	type v struct{ pointer, keyword string }
	for _, tt := range []struct {
		name    string
		content string
		problem *framework.Problem
		want    []v
	}{
		{"rules alone, by pointer not by field", `{"ref":"A-1","start":"2024-02-29","nights":5,"max_nights":3}`,
			framework.ErrRuleViolation, []v{{"/max_nights", "validate:gtefield"}, {"/ref", "validate:alphanum"}}},
		{"a refused date and the rules", `{"ref":"A-1","start":"2023-02-30","nights":5,"max_nights":3}`,
			framework.ErrSchemaViolation, []v{{"/max_nights", "validate:gtefield"}, {"/ref", "validate:alphanum"}, {"/start", "decode"}}},
		{"a schema violation, a refused date and a rule", `{"ref":"A-1","start":"2023-02-30","nights":"five","max_nights":3}`,
			framework.ErrSchemaViolation, []v{{"/nights", "type"}, {"/ref", "validate:alphanum"}, {"/start", "decode"}}},
		{"a schema violation and a rule", `{"ref":"A-1","start":"2024-02-29","nights":5,"max_nights":3,"extra":1}`,
			framework.ErrSchemaViolation, []v{{"/extra", "additionalProperties"}, {"/max_nights", "validate:gtefield"}, {"/ref", "validate:alphanum"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := post(t, r, "/webhook", fixtures.ContentEnvelope(tt.content), secret)
			require.Equal(t, 422, w.Code, w.Body.String())
			doc := problem(t, w)
			assert.Equal(t, tt.problem.Type(), doc.Type)
			var vs []v
			for _, x := range doc.Violations {
				vs = append(vs, v{x.Pointer, x.Keyword})
			}
			assert.Equal(t, tt.want, vs, "body: %s", w.Body)
			assert.True(t, slices.IsSortedFunc(doc.Violations, schemas.CompareViolations))
		})
	}
	assert.Empty(t, got)
	w := post(t, r, "/webhook", fixtures.ContentEnvelope(`{"ref":"A1","start":"2024-02-29","nights":3,"max_nights":5}`), secret)
	require.Equal(t, 200, w.Code, w.Body.String())
	require.Len(t, got, 1)
	assert.Equal(t, "2024-02-29", got[0].Start.String())
}
