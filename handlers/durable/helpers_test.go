package durable_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/durable/embedded"
	"github.com/retabhook/retabhook/internal/fixtures"
)

const secret = "whsec_durable_test"

// Event is the document type of the tests.
type Event struct {
	Name string `json:"name" validate:"required"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

// eventBody is a distinct valid body per n.
func eventBody(n int) []byte {
	return fixtures.ContentEnvelope(fmt.Sprintf(`{"name":"event-%d","date":"2024-01-02"}`, n))
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// fast are the options of engines in tests: quick retries and redelivery.
func fast(dir string) []durable.Option {
	return []durable.Option{
		durable.WithDir(dir),
		durable.WithLogger(quiet()),
		durable.WithBackoff(5*time.Millisecond, 50*time.Millisecond),
		durable.WithAckWait(2 * time.Second),
		durable.WithShutdownGrace(5 * time.Second),
	}
}

func openEngine(t *testing.T, opts ...durable.Option) *durable.Engine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := embedded.Open(ctx, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// newRouter builds a router dispatching to d, with h registered for Event.
func newRouter(t testing.TB, d framework.Dispatcher, h func(context.Context, Event) error) *framework.Router {
	t.Helper()
	opts := []framework.Option{framework.WithSecrets(secret), framework.WithLogger(quiet())}
	if d != nil {
		opts = append(opts, framework.WithDispatcher(d))
	}
	r, err := framework.NewRouter(opts...)
	require.NoError(t, err)
	framework.Handle(r, h)
	return r
}

// run starts the engine's workers and stops them at cleanup.
func run(t *testing.T, e *durable.Engine, p durable.Processor) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, p) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(30 * time.Second):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

type reply struct {
	Code       int
	Status     string // "accepted", "duplicate", "processed"
	Kind       string
	DeliveryID string
	Type       string // problem documents
}

// send signs and posts body to url with client c.
func send(c *http.Client, url string, body []byte, sec string) (reply, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if sec != "" {
		req.Header.Set("X-Retab-Signature", framework.Sign(sec, body))
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return reply{}, fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	r := reply{Code: resp.StatusCode}
	r.Status, _ = m["status"].(string)
	r.Kind, _ = m["kind"].(string)
	r.DeliveryID, _ = m["delivery_id"].(string)
	r.Type, _ = m["type"].(string)
	return r, nil
}

func serve(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// tally counts handler calls and successes per delivery id.
type tally struct {
	mu        sync.Mutex
	calls     map[string]int
	successes map[string]int
	attempts  map[string][]int
}

func newTally() *tally {
	return &tally{calls: map[string]int{}, successes: map[string]int{}, attempts: map[string][]int{}}
}

// record notes a call for the delivery in ctx; ok reports success.
func (ta *tally) record(ctx context.Context, ok bool) {
	d, _ := framework.DeliveryFrom(ctx)
	ta.mu.Lock()
	defer ta.mu.Unlock()
	ta.calls[d.ID]++
	ta.attempts[d.ID] = append(ta.attempts[d.ID], d.Attempt)
	if ok {
		ta.successes[d.ID]++
	}
}

func (ta *tally) successCount() int {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	return len(ta.successes)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
