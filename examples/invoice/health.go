package main

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// The states /readyz reports.
const (
	stateStarting int32 = iota
	stateReady
	stateStopping
)

// health answers the liveness and readiness probes.
//
// /healthz answers 200 while the process serves HTTP at all: a failing
// liveness probe means "restart me", which nothing but a wedged process
// deserves. /readyz answers 200 only once the handlers are registered and
// the listener is up, and every readiness check passes (the durable mode
// adds one for its engine); it answers 503 before that and as soon as a
// shutdown starts, so a load balancer stops sending deliveries before the
// server stops accepting them.
type health struct {
	state   atomic.Int32
	timeout time.Duration

	mu     sync.Mutex
	checks []readyCheck
}

type readyCheck struct {
	name  string
	check func(context.Context) error
}

func newHealth() *health { return &health{timeout: 2 * time.Second} }

// addCheck adds a readiness check, run on every /readyz with a timeout.
// The durable engine adds one that fails while it cannot reach its
// stream.
func (h *health) addCheck(name string, check func(context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks = append(h.checks, readyCheck{name, check})
}

func (h *health) setState(s int32) { h.state.Store(s) }

type healthBody struct {
	Status string            `json:"status"`
	Failed map[string]string `json:"failed,omitempty"`
}

func writeHealth(w http.ResponseWriter, status int, body healthBody) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// liveness serves /healthz.
func (h *health) liveness(w http.ResponseWriter, _ *http.Request) {
	writeHealth(w, http.StatusOK, healthBody{Status: "ok"})
}

// readiness serves /readyz.
func (h *health) readiness(w http.ResponseWriter, r *http.Request) {
	switch h.state.Load() {
	case stateStarting:
		writeHealth(w, http.StatusServiceUnavailable, healthBody{Status: "starting"})
		return
	case stateStopping:
		writeHealth(w, http.StatusServiceUnavailable, healthBody{Status: "stopping"})
		return
	}
	h.mu.Lock()
	checks := h.checks
	h.mu.Unlock()
	var failed map[string]string
	for _, c := range checks {
		ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
		err := c.check(ctx)
		cancel()
		if err != nil {
			if failed == nil {
				failed = map[string]string{}
			}
			failed[c.name] = err.Error()
		}
	}
	if failed != nil {
		writeHealth(w, http.StatusServiceUnavailable, healthBody{Status: "not ready", Failed: failed})
		return
	}
	writeHealth(w, http.StatusOK, healthBody{Status: "ready"})
}
