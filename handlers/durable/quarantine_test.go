package durable_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/durable/embedded"
	"github.com/retabhook/retabhook/internal/fixtures"
)

func postSigned(t *testing.T, h http.Handler, body []byte) (int, framework.ProblemDocument) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", framework.Sign(secret, body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var doc framework.ProblemDocument
	_ = json.Unmarshal(w.Body.Bytes(), &doc)
	return w.Code, doc
}

// Loose is Event with a free-text date: the fix of the replay test.
type Loose struct {
	Name string `json:"name"`
	Date string `json:"date"`
}

func (Loose) Kind() string { return "event" }

// TestDurableQuarantine: in the durable mode a refused delivery is kept in
// the JetStream quarantine before the answer, a second instance on the
// same server sees it, and a replay after a fix reaches the handler
// through the engine's workers.
func TestDurableQuarantine(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, fast(dir)...)
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quiet()),
		framework.WithDispatcher(e), framework.WithQuarantine(e))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, Event) error { return nil })

	body := fixtures.ContentEnvelope(`{"name":"Party","date":"15/03/2024"}`)
	code, doc := postSigned(t, r, body)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.True(t, framework.ValidQuarantineID(doc.QuarantineID))
	unsigned := httptest.NewRecorder()
	r.ServeHTTP(unsigned, httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body)))

	ctx := context.Background()
	other, err := embedded.Attach(ctx, dir, durable.WithLogger(quiet()))
	require.NoError(t, err)
	defer other.Close()
	list, err := other.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1, "the unsigned copy is not kept")
	assert.Equal(t, doc.QuarantineID, list[0].ID)
	assert.Nil(t, list[0].Body)
	got, err := other.Get(ctx, doc.QuarantineID)
	require.NoError(t, err)
	assert.Equal(t, body, got.Body)
	assert.Equal(t, framework.ErrSchemaViolation.Type(), got.Problem.Type)
	assert.Equal(t, "event", got.Kind)

	// The fix, on another instance's router over the same quarantine.
	var mu sync.Mutex
	var handled []Loose
	fixed, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quiet()),
		framework.WithDispatcher(other), framework.WithQuarantine(other))
	require.NoError(t, err)
	framework.Handle(fixed, func(_ context.Context, v Loose) error {
		mu.Lock()
		defer mu.Unlock()
		handled = append(handled, v)
		return nil
	})
	res, err := fixed.Replay(ctx, doc.QuarantineID)
	require.NoError(t, err)
	require.NoError(t, res.Err)
	run(t, e, fixed)
	waitFor(t, 10*time.Second, "the replayed delivery's handler", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(handled) == 1
	})
	assert.Equal(t, Loose{Name: "Party", Date: "15/03/2024"}, handled[0])
	_, err = e.Get(ctx, doc.QuarantineID)
	require.ErrorIs(t, err, framework.ErrNotQuarantined)
	require.ErrorIs(t, e.Delete(ctx, doc.QuarantineID), framework.ErrNotQuarantined)
}

type drops struct {
	mu      sync.Mutex
	reasons []string
}

func (d *drops) QuarantineDropped(_ context.Context, _ framework.QuarantineEntry, reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reasons = append(d.reasons, reason)
}

// TestDurableQuarantineLimits: past the size limit the oldest entries go
// first, and the observer hears of each.
func TestDurableQuarantineLimits(t *testing.T) {
	obs := &drops{}
	e := openEngine(t, append(fast(t.TempDir()), durable.WithQuarantineLimits(3500, time.Hour), durable.WithQuarantineObserver(obs))...)
	ctx := context.Background()
	var ids []string
	for i := range 5 {
		at := time.Now().Add(time.Duration(i-10) * time.Second)
		q := &framework.QuarantineEntry{ID: framework.NewQuarantineID(at), ReceivedAt: at, Body: bytes.Repeat([]byte{'x'}, 1000), Size: 1000}
		require.NoError(t, e.Put(ctx, q))
		ids = append(ids, q.ID)
	}
	list, err := e.List(ctx)
	require.NoError(t, err)
	var kept []string
	for _, q := range list {
		kept = append(kept, q.ID)
	}
	require.NotEmpty(t, kept)
	assert.Equal(t, ids[len(ids)-len(kept):], kept, "the newest stay")
	assert.Less(t, len(kept), 5)
	assert.Len(t, obs.reasons, 5-len(kept))
	for _, r := range obs.reasons {
		assert.Equal(t, "size", r)
	}
}

// TestRejectDeadLettersAtOnce: a handler's framework.Reject moves the
// delivery to the dead letters after its first attempt, without retries.
func TestRejectDeadLettersAtOnce(t *testing.T) {
	e := openEngine(t, append(fast(t.TempDir()), durable.WithMaxAttempts(5))...)
	var attempts int
	var mu sync.Mutex
	r := newRouter(t, e, func(ctx context.Context, _ Event) error {
		mu.Lock()
		attempts++
		mu.Unlock()
		return framework.Reject(errors.New("unknown vendor"))
	})
	code, _ := postSigned(t, r, eventBody(1))
	require.Equal(t, http.StatusAccepted, code)
	run(t, e, r)
	ctx := context.Background()
	var dls []durable.DeadLetter
	waitFor(t, 10*time.Second, "the dead letter", func() bool {
		var err error
		dls, err = e.DeadLetters(ctx)
		require.NoError(t, err)
		return len(dls) == 1
	})
	assert.Equal(t, 1, dls[0].Attempts)
	assert.Contains(t, dls[0].Error, "unknown vendor")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, attempts)
}
