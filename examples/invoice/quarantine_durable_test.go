package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestDurableQuarantineWhileRunning: a receiver in the durable mode keeps
// a refused delivery in the engine's quarantine, and while it runs (its
// embedded server locks the data directory) "invoice quarantine" and
// "invoice deadletters" reach the same engine instead of failing with
// "data directory is used by another process".
func TestDurableQuarantineWhileRunning(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, "--durable", "--data-dir", dir)
	logger := slog.New(slog.DiscardHandler)
	dm, err := startDurable(cfg.Durable, logger)
	require.NoError(t, err)
	t.Cleanup(dm.close)
	s, err := newServer(cfg, logger, nil, dm)
	require.NoError(t, err)
	dm.run(s.router)

	bad := fixtures.ContentEnvelope(`{"number":"INV-9","issue_date":"15/03/2024"}`)
	id := refuse(t, s.webhooks, "/webhook/invoice", bad)

	code, out, errOut := invoke(t, "quarantine", "list", "--durable", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, id)
	assert.Contains(t, out, "schema-violation")

	code, out, errOut = invoke(t, "quarantine", "show", id, "--body", "--durable", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, string(bad), out)

	code, out, _ = invoke(t, "quarantine", "replay", id, "--durable", "--data-dir", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "refused again")

	code, _, _ = invoke(t, "quarantine", "show", "q_0123456789abcdef0123", "--durable", "--data-dir", dir)
	assert.Equal(t, 1, code)

	code, out, errOut = invoke(t, "deadletters", "--data-dir", dir, "list")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "no dead letters\n", out)

	code, out, _ = invoke(t, "quarantine", "discard", id, "--durable", "--data-dir", dir)
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "discarded "))
	code, out, _ = invoke(t, "quarantine", "list", "--durable", "--data-dir", dir)
	require.Equal(t, 0, code)
	assert.Equal(t, "no quarantined deliveries\n", out)
}
