package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestDurableMode runs the example with --durable on a fresh data
// directory: a delivery is answered 202, a re-send 200 duplicate, a worker
// runs the handler; then "invoice deadletters list" reads the same
// directory.
func TestDurableMode(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, "--durable", "--data-dir", dir)
	require.True(t, cfg.Durable.Enabled)
	var logs fixtures.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	dm, err := startDurable(cfg.Durable, logger)
	require.NoError(t, err)
	s, err := newServer(cfg, logger, nil, dm)
	require.NoError(t, err)

	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	var answers []string
	for range 2 {
		w := do(t, s.webhooks, http.MethodPost, "/webhook", body)
		var a struct{ Status, Kind string }
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &a))
		answers = append(answers, strings.Join([]string{http.StatusText(w.Code), a.Status, a.Kind}, " "))
	}
	require.Equal(t, []string{"Accepted accepted calendar_event", "OK duplicate calendar_event"}, answers)
	require.NotContains(t, logs.String(), "calendar event received", "the handler runs in a worker, not in the request")
	dm.run(s.router)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `msg="calendar event received" name="Team Meeting!"`) {
		require.True(t, time.Now().Before(deadline), "the worker did not run the handler; logs:\n%s", logs.String())
		time.Sleep(20 * time.Millisecond)
	}
	dm.close()

	var out, errOut bytes.Buffer
	cmd := deadLettersCommand(env())
	cmd.Stdout, cmd.Stderr = &out, &errOut
	require.NoError(t, cmd.Run(context.Background(), []string{"--data-dir", dir, "list"}))
	require.Equal(t, "no dead letters\n", out.String())
	err = cmd.Run(context.Background(), []string{"--data-dir", dir, "frobnicate"})
	require.ErrorIs(t, err, framework.ErrUsage)
	require.ErrorContains(t, err, "deadletters replay ID... | --all")
}

func TestDurableModeOffByDefault(t *testing.T) {
	cfg := testConfig(t)
	require.False(t, cfg.Durable.Enabled)
	dm, err := startDurable(cfg.Durable, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Nil(t, dm)
	require.Empty(t, dm.routerOptions())
	dm.run(nil)
	dm.close()
}
