package integration_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/metrics"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// gauge reads one series of a gathered family (a counter, a gauge, or a
// histogram's sample count) and reports whether it exists.
func gauge(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	fams, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue next
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), true
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), true
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

// TestMetricsOfTheDurableMode runs a real embedded engine observed by a
// metrics.Collector through a scripted sequence (accepted, duplicate,
// refused, processed, retried, dead-lettered, replayed) and checks the
// request-side and the queue-side metrics.
func TestMetricsOfTheDurableMode(t *testing.T) {
	var eng *durable.Engine
	m := metrics.New(metrics.WithQueueStats(func(ctx context.Context) (metrics.QueueStats, error) {
		s, err := eng.Stats(ctx)
		return metrics.QueueStats{Waiting: s.Waiting, InFlight: s.InFlight, DeadLetters: s.DeadLetters}, err
	}))
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	eng = openEngine(t, append(fast(t.TempDir()), durable.WithMaxAttempts(2), durable.WithObserver(m))...)

	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quiet()),
		framework.WithDispatcher(eng), framework.WithObserver(m))
	require.NoError(t, err)
	framework.Handle(r, func(_ context.Context, ev Event) error {
		if ev.Name == "FAIL" {
			return errors.New("calendar API down")
		}
		return nil
	})
	post := func(body []byte, sec string) int {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", framework.Sign(sec, body))
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Code
	}
	good, failing := eventBody(1), fixtures.ContentEnvelope(`{"name":"FAIL","date":"2024-01-02"}`)
	invalid := fixtures.ContentEnvelope(`{"name":"x","date":"2024-02-30"}`) // the pattern passes, the datetime rule refuses
	require.Equal(t, 202, post(good, secret))
	require.Equal(t, 200, post(good, secret), "duplicate")
	require.Equal(t, 202, post(failing, secret))
	require.Equal(t, 401, post(good, "whsec_wrong"))
	require.Equal(t, 422, post(invalid, secret))

	kind := "event"
	q := func(name string, kv ...string) float64 {
		t.Helper()
		labels := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			labels[kv[i]] = kv[i+1]
		}
		v, ok := gauge(t, reg, name, labels)
		require.True(t, ok, "no series %s%v", name, labels)
		return v
	}
	assert.Equal(t, 2.0, q("retabhook_deliveries_total", "kind", kind, "status", "202", "outcome", "accepted"))
	assert.Equal(t, 1.0, q("retabhook_deliveries_total", "kind", kind, "status", "200", "outcome", "duplicate"))
	assert.Equal(t, 1.0, q("retabhook_deliveries_total", "kind", "none", "status", "401", "outcome", "invalid-signature"))
	assert.Equal(t, 1.0, q("retabhook_deliveries_total", "kind", kind, "status", "422", "outcome", "rule-violation"))
	assert.Equal(t, 3.0, q("retabhook_dispatch_duration_seconds", "kind", kind))
	assert.Equal(t, 2.0, q("retabhook_queue_events_total", "kind", kind, "event", "accepted"))
	assert.Equal(t, 1.0, q("retabhook_queue_events_total", "kind", kind, "event", "duplicate"))
	assert.Equal(t, 2.0, q("retabhook_queue_depth", "state", "waiting"), "stored, no worker yet")
	assert.Equal(t, 0.0, q("retabhook_queue_dead_letters"))

	stop := run(t, eng, r)
	require.Eventually(t, func() bool {
		p, _ := gauge(t, reg, "retabhook_queue_events_total", map[string]string{"kind": kind, "event": "processed"})
		d, _ := gauge(t, reg, "retabhook_queue_events_total", map[string]string{"kind": kind, "event": "dead_lettered"})
		return p == 1 && d == 1
	}, 30*time.Second, 10*time.Millisecond, "processed and dead-lettered")
	stop()
	assert.Equal(t, 1.0, q("retabhook_queue_events_total", "kind", kind, "event", "retry"))
	assert.Equal(t, 1.0, q("retabhook_queue_handler_duration_seconds", "kind", kind, "result", "ok"))
	assert.Equal(t, 2.0, q("retabhook_queue_handler_duration_seconds", "kind", kind, "result", "error"), "both attempts of the failing delivery")
	assert.Equal(t, 0.0, q("retabhook_queue_depth", "state", "waiting"))
	assert.Equal(t, 0.0, q("retabhook_queue_depth", "state", "in_flight"))
	assert.Equal(t, 1.0, q("retabhook_queue_dead_letters"))
	_, ran := gauge(t, reg, "retabhook_handler_duration_seconds", map[string]string{"kind": kind})
	assert.False(t, ran, "no handler ran during a request")

	n, err := eng.ReplayAll(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Equal(t, 1.0, q("retabhook_queue_events_total", "kind", kind, "event", "replayed"))
	assert.Equal(t, 1.0, q("retabhook_queue_depth", "state", "waiting"), "the replayed delivery waits for a worker")
	assert.Equal(t, 0.0, q("retabhook_queue_dead_letters"))

	// The exposition is well formed and lint-clean with the engine's gauges.
	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)
	require.NoError(t, eng.Close())
	fams, err := reg.Gather()
	require.NoError(t, err, "a closed engine does not break the scrape")
	for _, f := range fams {
		assert.False(t, strings.HasPrefix(f.GetName(), "retabhook_queue_depth"), "no stale depth from a closed engine")
	}
}
