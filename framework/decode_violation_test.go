package framework_test

import (
	"context"
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
