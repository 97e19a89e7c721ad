package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// formatServer builds the receiver from the environment given (ADDR and
// DATA_DIR added), logging into logs.
func formatServer(t *testing.T, logs io.Writer, kv ...string) http.Handler {
	t.Helper()
	c, err := loadConfig(nil, env(append(kv, "ADDR", "127.0.0.1:0", "DATA_DIR", t.TempDir())...), io.Discard)
	require.NoError(t, err)
	s, err := newServer(c, slog.New(slog.NewTextHandler(logs, nil)), nil, nil)
	require.NoError(t, err)
	return s.webhooks
}

func serveDelivery(h http.Handler, d *retabtest.Delivery, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, d.Request(path))
	return w
}

func invoiceValue(t *testing.T) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile("testdata/invoice.json")
	require.NoError(t, err)
	return b
}

// TestEveryFormatOnWebhook: POST /webhook and /webhook/{kind} take the
// completion, End-node and event shapes, with WEBHOOKS_SECRET for every
// environment.
func TestEveryFormatOnWebhook(t *testing.T) {
	var logs fixtures.SyncBuffer
	h := formatServer(t, &logs, "WEBHOOKS_SECRET", "whsec_old,"+retabtest.Secret)
	inv := invoiceValue(t)
	build := []func() (*retabtest.Delivery, error){
		func() (*retabtest.Delivery, error) { return retabtest.NewDelivery(inv) },
		func() (*retabtest.Delivery, error) { return retabtest.NewEndNodeDelivery(inv) },
		func() (*retabtest.Delivery, error) { return retabtest.NewExtractionEvent(inv) },
		func() (*retabtest.Delivery, error) {
			return retabtest.NewExtractionEvent(inv, retabtest.WithEnvironment("production"), retabtest.WithEventID("evt_prod"))
		},
	}
	for _, path := range []string{"/webhook", "/webhook/invoice"} {
		for i, b := range build {
			d, err := b()
			require.NoError(t, err)
			if path == "/webhook/invoice" { // a distinct body, not a duplicate
				d, err = rebuild(i, inv)
				require.NoError(t, err)
			}
			w := serveDelivery(h, d, path)
			require.Equal(t, 200, w.Code, "%s #%d: %s", path, i, w.Body)
			assert.Contains(t, w.Body.String(), `"status":"processed","kind":"invoice"`)
		}
	}
	assert.Equal(t, 8, strings.Count(logs.String(), `msg="invoice received"`), logs.String())

	// De-duplicated by default: events by id (even re-signed, with
	// another body), other shapes by body.
	d, err := retabtest.NewExtractionEvent(inv, retabtest.WithEventID("evt_prod"), retabtest.WithEnvironment("production"),
		retabtest.WithMetadata(map[string]any{"retry": "1"}), retabtest.WithSignedAt(time.Now().Add(time.Second)))
	require.NoError(t, err)
	w := serveDelivery(h, d, "/webhook")
	require.Equal(t, 200, w.Code)
	assert.Contains(t, w.Body.String(), `"status":"duplicate"`)
	d, err = retabtest.NewEndNodeDelivery(inv)
	require.NoError(t, err)
	assert.Contains(t, serveDelivery(h, d, "/webhook").Body.String(), `"status":"duplicate"`)
}

// rebuild makes the i-th shape with a distinct body.
func rebuild(i int, inv json.RawMessage) (*retabtest.Delivery, error) {
	other := retabtest.WithMetadata(map[string]any{"path": "kind"})
	switch i {
	case 0:
		return retabtest.NewDelivery(inv, other)
	case 1:
		return retabtest.NewEndNodeDelivery(inv, retabtest.WithFile("other.pdf", retabtest.PDF("other")))
	case 2:
		return retabtest.NewExtractionEvent(inv, other)
	}
	return retabtest.NewExtractionEvent(inv, other, retabtest.WithEnvironment("production"))
}

func TestWorkflowRunCompletedIsLogged(t *testing.T) {
	var logs fixtures.SyncBuffer
	h := formatServer(t, &logs, "WEBHOOKS_SECRET", retabtest.Secret)
	sample, err := os.ReadFile("testdata/event-workflow-run-completed.json")
	require.NoError(t, err)
	d := retabtest.Signed(retabtest.Secret, sample)
	d.Header.Set("X-Retab-Signature", framework.SignTimestamped(retabtest.Secret, time.Now(), sample, framework.FormulaTimestamped))
	d.Header.Set(framework.EnvironmentHeader, "test")
	w := serveDelivery(h, d, "/webhook")
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Contains(t, logs.String(), `msg="workflow run completed" run_id=run_8f3a2c71d4 status=completed`)

	// Another event type is answered 200 ignored.
	d, err = retabtest.NewEvent("workflow.run.started", json.RawMessage(`{"id":"run_9"}`))
	require.NoError(t, err)
	w = serveDelivery(h, d, "/webhook")
	require.Equal(t, 200, w.Code)
	assert.Contains(t, w.Body.String(), `"status":"ignored"`)
}

// TestEnvironmentSecrets: WEBHOOKS_SECRET_TEST and
// WEBHOOKS_SECRET_PRODUCTION verify their environment instead of
// WEBHOOKS_SECRET.
func TestEnvironmentSecrets(t *testing.T) {
	h := formatServer(t, io.Discard, "WEBHOOKS_SECRET", "whsec_all", "WEBHOOKS_SECRET_TEST", "whsec_t_old,whsec_t_new", "WEBHOOKS_SECRET_PRODUCTION", "whsec_p")
	run := json.RawMessage(`{"id":"run_1","lifecycle":{"status":"completed"}}`)
	for _, tc := range []struct {
		secret, env string
		status      int
	}{
		{"whsec_t_old", "test", 200},
		{"whsec_t_new", "test", 200},
		{"whsec_p", "production", 200},
		{"whsec_all", "test", 401},
		{"whsec_p", "test", 401},
		{"whsec_t_new", "production", 401},
		{"whsec_t_new", "staging", 401},
	} {
		d, err := retabtest.NewEvent(framework.EventWorkflowRunCompleted, run, retabtest.WithSecret(tc.secret), retabtest.WithEnvironment(tc.env),
			retabtest.WithEventID("evt_"+tc.secret+tc.env))
		require.NoError(t, err)
		w := serveDelivery(h, d, "/webhook")
		assert.Equal(t, tc.status, w.Code, "%s in %s: %s", tc.secret, tc.env, w.Body)
	}
	// A completion names no environment: every secret verifies it.
	for _, s := range []string{"whsec_all", "whsec_t_old", "whsec_p"} {
		d, err := retabtest.NewDelivery(invoiceValue(t), retabtest.WithSecret(s), retabtest.WithUser(s))
		require.NoError(t, err)
		assert.Equal(t, 200, serveDelivery(h, d, "/webhook").Code, s)
	}
	// WEBHOOKS_SECRET alone verifies every environment.
	h = formatServer(t, io.Discard, "WEBHOOKS_SECRET", "whsec_all")
	for _, e := range []string{"test", "production"} {
		d, err := retabtest.NewEvent(framework.EventWorkflowRunCompleted, run, retabtest.WithSecret("whsec_all"), retabtest.WithEnvironment(e))
		require.NoError(t, err)
		assert.Equal(t, 200, serveDelivery(h, d, "/webhook").Code, e)
	}
}

func apiCall(h http.Handler, body []byte, auth string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/invoice-check", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestInvoiceCheckAPICall(t *testing.T) {
	body, err := os.ReadFile("testdata/api-call-body.json")
	require.NoError(t, err)

	// Not served without API_CALL_TOKEN.
	h := formatServer(t, io.Discard, "WEBHOOKS_SECRET", retabtest.Secret)
	assert.Equal(t, http.StatusNotFound, apiCall(h, body, "Bearer x").Code)

	h = formatServer(t, io.Discard, "WEBHOOKS_SECRET", retabtest.Secret, "API_CALL_TOKEN", "tok_block")
	w := apiCall(h, body, "Bearer tok_block")
	require.Equal(t, 200, w.Code, w.Body.String())
	var c InvoiceCheck
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &c))
	assert.Equal(t, InvoiceCheck{Number: "INV-2024-0042", LinesTotal: 368.8, LinesMatchSubtotal: true, TotalMatches: true, LineAmountsMatch: true, OK: true, Problems: []string{}}, c)

	// Figures that do not add up: 200 with the problems.
	bad := bytes.Replace(body, []byte(`"total": 442.56`), []byte(`"total": 450`), 1)
	w = apiCall(h, bad, "Bearer tok_block")
	require.Equal(t, 200, w.Code)
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &c))
	assert.False(t, c.OK)
	assert.Equal(t, []string{"subtotal 368.80 plus tax 73.76 is not the total 450.00"}, c.Problems)

	// An invalid invoice: 422 with the usual problem document.
	invalid, err := os.ReadFile("testdata/invalid-invoice.json")
	require.NoError(t, err)
	w = apiCall(h, invalid, "Bearer tok_block")
	require.Equal(t, 422, w.Code, w.Body.String())
	var doc framework.ProblemDocument
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	assert.NotEmpty(t, doc.Violations)

	for _, auth := range []string{"", "Bearer wrong", "tok_block"} {
		w = apiCall(h, body, auth)
		assert.Equal(t, 401, w.Code, auth)
		assert.NotContains(t, w.Body.String(), "tok_block")
	}
	// A webhook signature does not open the API Call path, nor the token
	// the webhook path.
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer tok_block")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	assert.Equal(t, 401, w.Code)
}

func TestCheckInvoice(t *testing.T) {
	var inv Invoice
	require.NoError(t, json.Unmarshal(invoiceValue(t), &inv))
	c := checkInvoice(inv)
	assert.True(t, c.OK, c.Problems)
	inv.Lines[0].Amount += 1
	c = checkInvoice(inv)
	assert.False(t, c.LineAmountsMatch)
	assert.False(t, c.LinesMatchSubtotal)
	assert.True(t, c.TotalMatches)
	assert.Len(t, c.Problems, 2)
}
