package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
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
