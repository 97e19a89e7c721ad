package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestSyncQuarantine: the synchronous receiver keeps a refused invoice in
// DATA_DIR/quarantine before answering, and names it in the answer.
func TestSyncQuarantine(t *testing.T) {
	dir := t.TempDir()
	s, err := newServer(testConfig(t, "--data-dir", dir), slog.New(slog.DiscardHandler), nil, nil)
	require.NoError(t, err)
	body := fixtures.ContentEnvelope(`{"number":"INV-1","issue_date":"15/03/2024"}`)
	w := do(t, s.webhooks, http.MethodPost, "/webhook/invoice", body)
	require.Equal(t, http.StatusUnprocessableEntity, w.Code, "body: %s", w.Body)
	var doc framework.ProblemDocument
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	require.NotEmpty(t, doc.QuarantineID)

	q, err := framework.OpenDiskQuarantine(filepath.Join(dir, "quarantine"))
	require.NoError(t, err)
	e, err := q.Get(context.Background(), doc.QuarantineID)
	require.NoError(t, err)
	assert.Equal(t, body, e.Body)
	assert.Equal(t, "invoice", e.Kind)
}

// TestInvoiceReview: an invoice whose total has a likelihood below 0.7
// goes to review (log line "invoice sent to review"); at 0.7 it does not.
func TestInvoiceReview(t *testing.T) {
	var logs fixtures.SyncBuffer
	s, err := newServer(testConfig(t), slog.New(slog.NewTextHandler(&logs, nil)), nil, nil)
	require.NoError(t, err)
	content, err := os.ReadFile("testdata/invoice.json")
	require.NoError(t, err)
	for _, tt := range []struct {
		total  string
		status string
	}{{"0.69", "review"}, {"0.7", "processed"}} {
		d, err := retabtest.NewDelivery(json.RawMessage(content), retabtest.WithSecret(testSecret),
			retabtest.WithLikelihoods(json.RawMessage(`{"number":1,"total":`+tt.total+`}`)))
		require.NoError(t, err)
		res := retabtest.Serve(s.webhooks, d, "/webhook/invoice")
		require.Equal(t, http.StatusOK, res.Status, "body: %s", res.Body)
		var a struct{ Status string }
		require.NoError(t, json.Unmarshal(res.Body, &a))
		assert.Equal(t, tt.status, a.Status, "total likelihood %s", tt.total)
	}
	assert.Equal(t, 1, strings.Count(logs.String(), `msg="invoice sent to review"`), logs.String())
	assert.Contains(t, logs.String(), "likelihood.total=0.69")
	assert.Equal(t, 1, strings.Count(logs.String(), `msg="invoice received"`))
}
