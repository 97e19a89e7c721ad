package framework_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// postSigned sends content as a signed delivery and returns the status and the
// problem document.
func postSigned(t *testing.T, r *framework.Router, content string) (int, framework.ProblemDocument) {
	t.Helper()
	body := fixtures.ContentEnvelope(content)
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", framework.Sign("whsec_test", body))
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	var doc framework.ProblemDocument
	if w.Code != http.StatusOK {
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	}
	return w.Code, doc
}

type trapLine struct {
	Qty int `json:"qty" validate:"gt=0"`
}

type trapDoc struct {
	Count int        `json:"count" validate:"required"`
	Lines []trapLine `json:"lines"`
	Dived []trapLine `json:"dived" validate:"dive"`
}

// TestValidateTagTraps shows go-playground/validator's two traps through
// the pipeline, and that the schema's warnings name them at registration.
func TestValidateTagTraps(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets("whsec_test"))
	require.NoError(t, err)
	var got trapDoc
	framework.Handle(r, func(_ context.Context, d trapDoc) error { got = d; return nil })

	// required means non-zero: a count of 0, present in the content,
	// is refused.
	status, doc := postSigned(t, r, `{"count": 0, "lines": [], "dived": []}`)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, framework.ErrRuleViolation.Type(), doc.Type)
	require.Equal(t, []schemas.Violation{{Pointer: "/count", Keyword: "validate:required", Message: "is required and must not be empty"}}, doc.Violations)

	// Without dive, the validator never runs the rules of slice elements;
	// the schema does, since gt=0 is exclusiveMinimum in trapLine's
	// definition, shared by both fields.
	status, doc = postSigned(t, r, `{"count": 1, "lines": [{"qty": 0}], "dived": []}`)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, framework.ErrSchemaViolation.Type(), doc.Type)
	require.Equal(t, []schemas.Violation{{Pointer: "/lines/0/qty", Keyword: "exclusiveMinimum", Message: "must be greater than 0; got 0"}}, doc.Violations)
	status, _ = postSigned(t, r, `{"count": 1, "lines": [{"qty": 2}], "dived": []}`)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, trapDoc{Count: 1, Lines: []trapLine{{Qty: 2}}, Dived: []trapLine{}}, got)

	// With dive, the same.
	status, doc = postSigned(t, r, `{"count": 1, "lines": [], "dived": [{"qty": 1}, {"qty": 0}]}`)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []schemas.Violation{{Pointer: "/dived/1/qty", Keyword: "exclusiveMinimum", Message: "must be greater than 0; got 0"}}, doc.Violations)

	s, ok := r.Schema("trap_doc")
	require.True(t, ok)
	var codes []string
	for _, w := range s.Warnings() {
		if strings.HasPrefix(w.Code, "validate-") {
			codes = append(codes, w.Code+" "+w.Pointer)
		}
	}
	require.Equal(t, []string{"validate-required /properties/count", "validate-dive /properties/lines"}, codes)
}

type strictDoc struct {
	Priority int           `json:"priority" jsonschema:"enum=1,enum=2,enum=3"`
	Quantity int           `json:"quantity"`
	Due      *schemas.Date `json:"due"`
}

// TestStrictModeLeniency: what Retab's strict mode makes a model answer
// (an integer as 3.0, a numeric enum as "2", null for a missing date)
// reaches the handler as the Go values.
func TestStrictModeLeniency(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets("whsec_test"))
	require.NoError(t, err)
	var got strictDoc
	framework.Handle(r, func(_ context.Context, d strictDoc) error { got = d; return nil })
	status, doc := postSigned(t, r, `{"priority": "2", "quantity": 3.0, "due": null}`)
	require.Equal(t, http.StatusOK, status, doc)
	require.Equal(t, strictDoc{Priority: 2, Quantity: 3}, got)

	status, doc = postSigned(t, r, `{"priority": "7", "quantity": 3.5, "due": "31/12/2024", "extra": 1}`)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []schemas.Violation{
		{Pointer: "/due", Keyword: "pattern", Message: `must match the pattern "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"; got "31/12/2024"`},
		{Pointer: "/extra", Keyword: "additionalProperties", Message: "is not a property of the schema (additional properties are not allowed)"},
		{Pointer: "/priority", Keyword: "type", Message: "must be an integer, not a string"},
		{Pointer: "/quantity", Keyword: "type", Message: "must be an integer, not a number"},
	}, doc.Violations)
}

func TestWithSchemaOptions(t *testing.T) {
	type documented struct {
		Name string `json:"name"`
	}
	r, err := framework.NewRouter(framework.WithSecrets("whsec_test"), framework.WithSchemaOptions(
		schemas.WithComments(schemas.Comments{Package: "github.com/retabhook/retabhook/framework_test", Text: map[string]string{"documented.Name": "The name."}}),
		schemas.WithSystemPrompt("Read carefully."),
	))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, documented) error { return nil })
	s, _ := r.Schema("documented")
	require.Contains(t, string(s.JSON()), `"description": "The name."`)
	require.Contains(t, string(s.JSON()), `"X-SystemPrompt": "Read carefully."`)
}
