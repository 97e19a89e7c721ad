package main

import (
	"bytes"
	"context"
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

	code, out, errOut := cli(t, "quarantine", "list", "--durable", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, id)
	assert.Contains(t, out, "schema-violation")

	code, out, errOut = cli(t, "quarantine", "show", id, "--body", "--durable", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, string(bad), out)

	code, out, _ = cli(t, "quarantine", "replay", id, "--durable", "--data-dir", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "refused again")

	code, _, _ = cli(t, "quarantine", "show", "q_0123456789abcdef0123", "--durable", "--data-dir", dir)
	assert.Equal(t, 1, code)

	var dlOut, dlErr bytes.Buffer
	cmd := deadLettersCommand(env())
	cmd.Stdout, cmd.Stderr = &dlOut, &dlErr
	require.NoError(t, cmd.Run(context.Background(), []string{"--data-dir", dir, "list"}), dlErr.String())
	assert.Equal(t, "no dead letters\n", dlOut.String())

	code, out, _ = cli(t, "quarantine", "discard", id, "--durable", "--data-dir", dir)
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "discarded "))
	code, out, _ = cli(t, "quarantine", "list", "--durable", "--data-dir", dir)
	require.Equal(t, 0, code)
	assert.Equal(t, "no quarantined deliveries\n", out)
}
