package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestDurableModeMetricsAndReadiness runs the durable mode as main wires
// it: the engine reports to the same Collector as the router, /metrics
// shows the queue, and /readyz checks the engine.
func TestDurableModeMetricsAndReadiness(t *testing.T) {
	cfg := testConfig(t, "--durable", "--data-dir", t.TempDir())
	logger := slog.New(slog.DiscardHandler)
	tel := newTelemetry(cfg)
	dm, err := startDurable(cfg.Durable, logger, tel.durableOptions()...)
	require.NoError(t, err)
	closed := false
	t.Cleanup(func() {
		if !closed {
			dm.close()
		}
	})
	s, err := newServer(cfg, logger, tel, dm)
	require.NoError(t, err)
	scrape := func() string {
		w := do(t, s.webhooks, http.MethodGet, "/metrics", nil)
		require.Equal(t, 200, w.Code)
		return w.Body.String()
	}
	ready := func() (int, healthBody) {
		w := do(t, s.webhooks, http.MethodGet, "/readyz", nil)
		var b healthBody
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &b))
		return w.Code, b
	}

	s.health.setState(stateReady) // what run does once listening
	code, b := ready()
	require.Equal(t, 200, code, "%+v", b)

	// eventually waits until /metrics shows line: the queue's depth is
	// read from the stream, which may count a stored message a moment
	// after the 202 (a loaded machine made an immediate check fail).
	eventually := func(line, what string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(scrape(), line) {
			require.True(t, time.Now().Before(deadline), "%s; metrics:\n%s", what, scrape())
			time.Sleep(20 * time.Millisecond)
		}
	}

	require.Equal(t, 202, do(t, s.webhooks, http.MethodPost, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent)).Code)
	out := scrape()
	assert.Contains(t, out, `retabhook_deliveries_total{kind="calendar_event",outcome="accepted",status="202"} 1`)
	assert.Contains(t, out, `retabhook_queue_events_total{event="accepted",kind="calendar_event"} 1`)
	assert.Contains(t, out, `retabhook_queue_dead_letters 0`)
	eventually(`retabhook_queue_depth{state="waiting"} 1`, "the accepted delivery is not counted as waiting")

	dm.run(s.router)
	eventually(`retabhook_queue_events_total{event="processed",kind="calendar_event"} 1`, "no processed event")
	eventually(`retabhook_queue_depth{state="waiting"} 0`, "the processed delivery is still counted as waiting")
	assert.Contains(t, scrape(), `retabhook_queue_handler_duration_seconds_count{kind="calendar_event",result="ok"} 1`)

	dm.close()
	closed = true
	code, b = ready()
	assert.Equal(t, 503, code)
	assert.Equal(t, "not ready", b.Status)
	assert.Contains(t, b.Failed, "durable")
	assert.NotContains(t, scrape(), "retabhook_queue_depth", "no stale depth once the engine is closed")
}

// TestSynchronousModeHasNoQueueMetrics: without --durable, no queue
// gauge is exported and readiness has no engine check.
func TestSynchronousModeHasNoQueueMetrics(t *testing.T) {
	s, err := newServer(testConfig(t), slog.New(slog.DiscardHandler), nil, nil)
	require.NoError(t, err)
	s.health.setState(stateReady)
	assert.Equal(t, 200, do(t, s.webhooks, http.MethodGet, "/readyz", nil).Code)
	assert.NotContains(t, do(t, s.webhooks, http.MethodGet, "/metrics", nil).Body.String(), "retabhook_queue")
}
