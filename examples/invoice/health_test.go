package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func probe(t *testing.T, h http.HandlerFunc) (int, healthBody) {
	t.Helper()
	w := httptest.NewRecorder()
	h(w, httptest.NewRequest(http.MethodGet, "/", nil))
	var b healthBody
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &b), w.Body.String())
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	return w.Code, b
}

func TestReadinessStates(t *testing.T) {
	h := newHealth()
	h.timeout = 50 * time.Millisecond

	code, b := probe(t, h.readiness)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "starting", b.Status)
	code, b = probe(t, h.liveness)
	assert.Equal(t, http.StatusOK, code, "alive while starting")
	assert.Equal(t, "ok", b.Status)

	h.setState(stateReady)
	code, b = probe(t, h.readiness)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "ready", b.Status)

	engineUp := false
	h.addCheck("durable", func(context.Context) error {
		if !engineUp {
			return errors.New("stream not reachable")
		}
		return nil
	})
	h.addCheck("slow", func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	code, b = probe(t, h.readiness)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "not ready", b.Status)
	assert.Equal(t, map[string]string{"durable": "stream not reachable", "slow": "context deadline exceeded"}, b.Failed)

	h.mu.Lock()
	h.checks = h.checks[:1]
	h.mu.Unlock()
	engineUp = true
	code, _ = probe(t, h.readiness)
	assert.Equal(t, http.StatusOK, code)

	h.setState(stateStopping)
	code, b = probe(t, h.readiness)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "stopping", b.Status)
	code, _ = probe(t, h.liveness)
	assert.Equal(t, http.StatusOK, code, "alive while stopping")
}
