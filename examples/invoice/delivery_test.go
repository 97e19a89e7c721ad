package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/schemas"
)

// newReceiver builds the example's handler as main mounts it, with the old
// and the new secret of a rotation, and captures its JSON logs: the
// example's handlers log what they received.
func newReceiver(t *testing.T) (http.Handler, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	r, err := newRouter(slog.New(slog.NewJSONHandler(&logs, nil)), "whsec_old", retabtest.Secret)
	require.NoError(t, err)
	return newMux(r), &logs
}

// logged returns the log records with the given message.
func logged(t *testing.T, logs *bytes.Buffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(logs.Bytes()))
	for dec.More() {
		var rec map[string]any
		require.NoError(t, dec.Decode(&rec))
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func fixture(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

func delivery(t *testing.T, v any, opts ...retabtest.Option) *retabtest.Delivery {
	t.Helper()
	d, err := retabtest.NewDelivery(v, opts...)
	require.NoError(t, err)
	return d
}

// The sample content files reach the right handler, by schema match on
// /webhook and by name on /webhook/{kind}.
func TestSampleContent(t *testing.T) {
	pdf, err := os.ReadFile("testdata/invoice.pdf")
	require.NoError(t, err)
	for _, tc := range []struct {
		name, file, target, kind, logMsg string
		logKey                           string
		logValue                         any
	}{
		{"invoice by schema", "invoice.json", "/webhook", "invoice", "invoice received", "number", "INV-2024-0042"},
		{"invoice by path", "invoice.json", "/webhook/invoice", "invoice", "invoice received", "total", 442.56},
		{"event by schema", "calendar-event.json", "/webhook", "calendar_event", "calendar event received", "name", "Team Meeting!"},
		{"event by path", "calendar-event.json", "/webhook/calendar_event", "calendar_event", "calendar event received", "date", "2023-12-31"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, logs := newReceiver(t)
			res := retabtest.Serve(h, delivery(t, fixture(t, tc.file), retabtest.WithFile("invoice.pdf", pdf)), tc.target)
			require.Equal(t, http.StatusOK, res.Status, "%s", res.Body)
			require.Equal(t, "processed", res.Ack.Status)
			require.Equal(t, tc.kind, res.Ack.Kind)
			recs := logged(t, logs, tc.logMsg)
			require.Len(t, recs, 1)
			require.Equal(t, tc.logValue, recs[0][tc.logKey])
		})
	}
}

func TestInvalidInvoice(t *testing.T) {
	h, logs := newReceiver(t)
	// The validate rules are in the schema (min=1, gt=0, iso4217...), so
	// the schema refuses what the rules would, with the same pointers.
	res := retabtest.Serve(h, delivery(t, fixture(t, "invalid-invoice.json")), "/webhook/invoice")
	require.Equal(t, http.StatusUnprocessableEntity, res.Status, "%s", res.Body)
	require.Equal(t, framework.ErrSchemaViolation.Type(), res.Problem.Type)
	require.Equal(t, []schemas.Violation{
		{Pointer: "/currency", Keyword: "enum", Message: `must be an ISO 4217 currency code; got "EURO"`},
		{Pointer: "/line_items/0/quantity", Keyword: "exclusiveMinimum", Message: "must be greater than 0; got 0"},
		{Pointer: "/number", Keyword: "minLength", Message: "must not be empty"},
	}, res.Problem.Violations)
	// Routed by schema match, it matches no registered type.
	res = retabtest.Serve(h, delivery(t, fixture(t, "invalid-invoice.json")), "/webhook")
	require.Equal(t, http.StatusUnprocessableEntity, res.Status, "%s", res.Body)
	require.Equal(t, framework.ErrNoRoute.Type(), res.Problem.Type)
	require.Empty(t, logged(t, logs, "invoice received"))

	// A date in another layout breaks the schema (schemas.Date's pattern).
	bad := strings.Replace(string(fixture(t, "invalid-invoice.json")), `"2024-03-15"`, `"15/03/2024"`, 1)
	res = retabtest.Serve(h, delivery(t, json.RawMessage(bad)), "/webhook/invoice")
	require.Equal(t, http.StatusUnprocessableEntity, res.Status, "%s", res.Body)
	require.Equal(t, framework.ErrSchemaViolation.Type(), res.Problem.Type)
	require.Contains(t, res.Problem.Violations, schemas.Violation{
		Pointer: "/issue_date", Keyword: "pattern", Message: `must match the pattern "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"; got "15/03/2024"`,
	})

	// The calendar event sent as an invoice breaks the invoice schema.
	res = retabtest.Serve(h, delivery(t, fixture(t, "calendar-event.json")), "/webhook/invoice")
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	require.Equal(t, framework.ErrSchemaViolation.Type(), res.Problem.Type)
}

// What real senders do, through the example receiver.
func TestAwkwardDeliveries(t *testing.T) {
	invoice := fixture(t, "invoice.json")
	for _, tc := range []struct {
		name    string
		opts    []retabtest.Option
		status  int
		problem *framework.Problem
	}{
		{"legacy header", []retabtest.Option{retabtest.WithSignatureHeader(retabtest.LegacySignatureHeader)}, 200, nil},
		{"old secret during a rotation", []retabtest.Option{retabtest.WithSecret("whsec_old")}, 200, nil},
		{"integers as floats", []retabtest.Option{retabtest.WithIntegersAsFloats()}, 200, nil},
		{"consensus", []retabtest.Option{retabtest.WithConsensus(4), retabtest.WithRepeatedAPICost()}, 200, nil},
		{"reasoning", []retabtest.Option{
			retabtest.WithReasoning("", "A supplier invoice."),
			retabtest.WithReasoning("/due_date", "Printed under the date."),
			retabtest.WithReasoning("/line_items/0", "First line."),
		}, 200, nil},
		{"wrong secret", []retabtest.Option{retabtest.WithSecret("whsec_someone_else")}, 401, framework.ErrInvalidSignature},
		{"no signature", []retabtest.Option{retabtest.WithoutSignature()}, 401, framework.ErrMissingSignature},
		{"null content", []retabtest.Option{retabtest.WithNullContent()}, 422, framework.ErrNoContent},
		{"refusal text", []retabtest.Option{retabtest.WithContentText("I cannot extract this document.")}, 422, framework.ErrInvalidContent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, logs := newReceiver(t)
			res := retabtest.Serve(h, delivery(t, invoice, tc.opts...), "/webhook")
			require.Equal(t, tc.status, res.Status, "%s", res.Body)
			if tc.problem != nil {
				require.Equal(t, tc.problem.Type(), res.Problem.Type)
				require.Empty(t, logged(t, logs, "invoice received"))
				return
			}
			recs := logged(t, logs, "invoice received")
			require.Len(t, recs, 1)
			require.Equal(t, "INV-2024-0042", recs[0]["number"])
			require.Equal(t, float64(2), recs[0]["lines"])
		})
	}
}
