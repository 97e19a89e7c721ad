package framework_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// store is an in-memory Dispatcher: it keeps what it was given, by key.
type store struct {
	mu   sync.Mutex
	subs []framework.Submission
	keys map[string]bool
	err  error
}

func (s *store) Dispatch(_ context.Context, sub framework.Submission) (framework.Acceptance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return framework.Acceptance{}, s.err
	}
	if s.keys == nil {
		s.keys = map[string]bool{}
	}
	if s.keys[sub.Key] {
		return framework.Acceptance{Duplicate: true}, nil
	}
	s.keys[sub.Key] = true
	sub.Body = append([]byte(nil), sub.Body...)
	s.subs = append(s.subs, sub)
	return framework.Acceptance{}, nil
}

type answer struct {
	Status     string `json:"status"`
	Kind       string `json:"kind"`
	DeliveryID string `json:"delivery_id"`
}

func decodeAnswer(t *testing.T, body []byte) answer {
	t.Helper()
	var a answer
	require.NoError(t, json.Unmarshal(body, &a), "body: %s", body)
	return a
}

func TestDispatcherAcceptsValidDeliveries(t *testing.T) {
	st := &store{}
	r, rec := newTestRouter(t, framework.WithDispatcher(st))
	body := fixtures.ContentEnvelope(validInvoice)

	w := post(t, r, "/webhook", body, secret)
	require.Equal(t, http.StatusAccepted, w.Code, "body: %s", w.Body)
	require.Equal(t, answer{Status: "accepted", Kind: "invoice", DeliveryID: st.subs[0].Delivery.ID}, decodeAnswer(t, w.Body.Bytes()))
	require.Empty(t, rec.invoices, "the handler must not run during the request")
	require.Len(t, st.subs, 1)
	sub := st.subs[0]
	require.Equal(t, body, sub.Body)
	require.Equal(t, framework.KeyByBody(nil, body), sub.Key)
	require.Equal(t, "invoice", sub.Delivery.Kind)
	require.Equal(t, "INV-1", sub.Delivery.Value.(Invoice).Number)

	w = post(t, r, "/webhook", body, secret)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "duplicate", decodeAnswer(t, w.Body.Bytes()).Status)
	require.Len(t, st.subs, 1)
}

// TestDispatcherRefusesBadInputAsSync sends each kind of bad input to a
// synchronous and a durable router: the answers must be identical and
// nothing may reach the dispatcher.
func TestDispatcherRefusesBadInputAsSync(t *testing.T) {
	tests := []struct {
		name   string
		body   []byte
		sign   string
		status int
	}{
		{"unsigned", fixtures.ContentEnvelope(validInvoice), "", 401},
		{"wrong secret", fixtures.ContentEnvelope(validInvoice), "whsec_other", 401},
		{"malformed", []byte(`{"completion":`), secret, 400},
		{"no completion", []byte(`{"user":null}`), secret, 400},
		{"null content", []byte(`{"completion":{"choices":[{"message":{"content":null}}]}}`), secret, 422},
		{"no route", fixtures.ContentEnvelope(`{"title":"x"}`), secret, 422},
		{"rule violation", fixtures.ContentEnvelope(`{"name":"Party","date":"31/12/2023"}`), secret, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &store{}
			sync, _ := newTestRouter(t)
			durable, _ := newTestRouter(t, framework.WithDispatcher(st))
			ws := post(t, sync, "/webhook", tt.body, tt.sign)
			wd := post(t, durable, "/webhook", tt.body, tt.sign)
			require.Equal(t, tt.status, ws.Code)
			require.Equal(t, ws.Code, wd.Code)
			require.Equal(t, ws.Header(), wd.Header())
			require.Equal(t, ws.Body.String(), wd.Body.String())
			require.Empty(t, st.subs)
		})
	}
	t.Run("unknown kind in path", func(t *testing.T) {
		st := &store{}
		durable, _ := newTestRouter(t, framework.WithDispatcher(st))
		w := post(t, kindMux(durable), "/webhook/receipt", fixtures.ContentEnvelope(validInvoice), secret)
		require.Equal(t, http.StatusUnprocessableEntity, w.Code)
		require.Equal(t, framework.ErrUnknownKind.Type(), problem(t, w).Type)
		require.Empty(t, st.subs)
	})
}

func TestDispatcherFailureIs503(t *testing.T) {
	st := &store{err: errors.New("stream unavailable")}
	var outcome framework.Outcome
	obs := observerFunc(func(o framework.Outcome) { outcome = o })
	r, _ := newTestRouter(t, framework.WithDispatcher(st), framework.WithObserver(obs))
	w := post(t, r, "/webhook", fixtures.ContentEnvelope(validInvoice), secret)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)
	doc := problem(t, w)
	require.Equal(t, framework.ErrDispatch.Type(), doc.Type)
	require.NotContains(t, w.Body.String(), "stream unavailable", "the engine's error stays in the logs")
	require.ErrorIs(t, outcome.Err, framework.ErrDispatch)
	require.ErrorContains(t, outcome.Err, "stream unavailable")
	require.False(t, outcome.Accepted)
}

func TestOutcomeReportsAcceptedAndDuplicate(t *testing.T) {
	var mu sync.Mutex
	var outs []framework.Outcome
	obs := observerFunc(func(o framework.Outcome) { mu.Lock(); outs = append(outs, o); mu.Unlock() })
	r, _ := newTestRouter(t, framework.WithDispatcher(&store{}), framework.WithObserver(obs))
	body := fixtures.ContentEnvelope(validInvoice)
	post(t, r, "/webhook", body, secret)
	post(t, r, "/webhook", body, secret)
	require.Len(t, outs, 2)
	assert.Equal(t, []any{202, true, false}, []any{outs[0].Status, outs[0].Accepted, outs[0].Duplicate})
	assert.Equal(t, []any{200, false, true}, []any{outs[1].Status, outs[1].Accepted, outs[1].Duplicate})
}

func TestProcessRunsTheHandlerOfAStoredDelivery(t *testing.T) {
	st := &store{}
	r, rec := newTestRouter(t, framework.WithDispatcher(st))
	w := post(t, kindMux(r), "/webhook/calendar_event", fixtures.ContentEnvelope(fixtures.SeedContent), secret)
	require.Equal(t, http.StatusAccepted, w.Code, "body: %s", w.Body)
	sub := st.subs[0]

	d, err := r.Process(context.Background(), framework.Stored{Kind: sub.Delivery.Kind, Body: sub.Body, Attempt: 3})
	require.NoError(t, err)
	require.Equal(t, "calendar_event", d.Kind)
	require.Equal(t, []CalendarEvent{{Name: "Team Meeting!", Date: "2023-12-31"}}, rec.events)
	require.Len(t, rec.deliveries, 1)
	got := rec.deliveries[0]
	require.Equal(t, 3, got.Attempt)
	require.Equal(t, -1, got.SecretIndex)
	require.Equal(t, sub.Delivery.ID, got.ID, "the delivery id is stable across accept and process")
}

// TestProcessKeepsTheStoredID: a delivery stored with its ID (a durable
// engine's Retabhook-Delivery-Id) keeps it when processed, also an ID of
// the legacy form an earlier version accepted it with; without one, or
// with something that is no delivery ID, the ID is the body's.
func TestProcessKeepsTheStoredID(t *testing.T) {
	r, rec := newTestRouter(t)
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	const legacy = "dlv_0123456789abcdef0123456789abcdef" // "dlv_" + SHA-256, as stored before XXH3
	for _, c := range []struct{ stored, want string }{
		{legacy, legacy},
		{"", framework.DeliveryID(body)},
		{"not-an-id", framework.DeliveryID(body)},
		{framework.DeliveryID(body), framework.DeliveryID(body)},
	} {
		d, err := r.Process(context.Background(), framework.Stored{Kind: "calendar_event", Body: body, Attempt: 1, ID: c.stored})
		require.NoError(t, err)
		assert.Equal(t, c.want, d.ID, "stored %q", c.stored)
		assert.Equal(t, c.want, rec.deliveries[len(rec.deliveries)-1].ID, "the handler sees it")
	}
}

func TestProcessErrors(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
	require.NoError(t, err)
	calls := 0
	framework.Handle(r, func(ctx context.Context, ev CalendarEvent) error {
		calls++
		switch ev.Name {
		case "fail":
			return errors.New("database down")
		case "panic":
			panic("boom")
		}
		return nil
	})
	env := func(name string) []byte {
		return fixtures.ContentEnvelope(`{"name":"` + name + `","date":"2024-01-02"}`)
	}
	tests := []struct {
		name   string
		stored framework.Stored
		want   error
		status int
	}{
		{"handler error", framework.Stored{Kind: "calendar_event", Body: env("fail")}, framework.ErrHandler, 500},
		{"panic", framework.Stored{Kind: "calendar_event", Body: env("panic")}, framework.ErrPanic, 500},
		{"kind gone", framework.Stored{Kind: "invoice", Body: env("ok")}, framework.ErrUnknownKind, 422},
		{"no longer valid", framework.Stored{Kind: "calendar_event", Body: fixtures.ContentEnvelope(`{"name":"x","date":"2023-02-30"}`)}, framework.ErrRuleViolation, 422},
		{"corrupt body", framework.Stored{Kind: "calendar_event", Body: []byte(`{`)}, framework.ErrMalformedEnvelope, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Process(context.Background(), tt.stored)
			require.ErrorIs(t, err, tt.want)
			require.Equal(t, tt.status, framework.StatusOf(err))
		})
	}
	require.Equal(t, 2, calls)
	var he *framework.HandlerError
	_, err = r.Process(context.Background(), framework.Stored{Kind: "calendar_event", Body: env("fail")})
	require.ErrorAs(t, err, &he)
	require.EqualError(t, he.Err, "database down")
}

func TestSyncDeduplication(t *testing.T) {
	r, rec := newTestRouter(t, framework.WithDeduplication(time.Hour))
	body := fixtures.ContentEnvelope(validInvoice)
	w := post(t, r, "/webhook", body, secret)
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "processed", decodeAnswer(t, w.Body.Bytes()).Status)
	w = post(t, r, "/webhook", body, secret)
	require.Equal(t, http.StatusOK, w.Code)
	a := decodeAnswer(t, w.Body.Bytes())
	require.Equal(t, answer{Status: "duplicate", Kind: "invoice", DeliveryID: rec.deliveries[0].ID}, a)
	require.Len(t, rec.invoices, 1)

	// Another body is another delivery.
	w = post(t, r, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent), secret)
	require.Equal(t, "processed", decodeAnswer(t, w.Body.Bytes()).Status)
}

func TestSyncDeduplicationForgetsFailures(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()), framework.WithDeduplication(time.Hour))
	require.NoError(t, err)
	var calls atomic.Int32
	framework.Handle(r, func(ctx context.Context, ev CalendarEvent) error {
		if calls.Add(1) == 1 {
			return errors.New("first attempt fails")
		}
		return nil
	})
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	require.Equal(t, http.StatusInternalServerError, post(t, r, "/webhook", body, secret).Code)
	require.Equal(t, http.StatusOK, post(t, r, "/webhook", body, secret).Code)
	w := post(t, r, "/webhook", body, secret)
	require.Equal(t, "duplicate", decodeAnswer(t, w.Body.Bytes()).Status)
	require.Equal(t, int32(2), calls.Load())
}

func TestDedupeKeyByCompletion(t *testing.T) {
	r, rec := newTestRouter(t, framework.WithDeduplication(time.Hour), framework.WithDedupeKey(framework.KeyByCompletion))
	// Same completion id (chatcmpl-test), different content: one delivery.
	a := post(t, r, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent), secret)
	b := post(t, r, "/webhook", fixtures.ContentEnvelope(`{"name":"Other","date":"2024-01-01"}`), secret)
	require.Equal(t, "processed", decodeAnswer(t, a.Body.Bytes()).Status)
	require.Equal(t, "duplicate", decodeAnswer(t, b.Body.Bytes()).Status)
	require.Len(t, rec.events, 1)
	require.Equal(t, "completion:calendar_event:chatcmpl-test", framework.KeyByCompletion(rec.deliveries[0], nil))
	require.Equal(t, framework.KeyByBody(nil, []byte("x")), framework.KeyByCompletion(&framework.Delivery{}, []byte("x")))
}

func TestMemoryDeduper(t *testing.T) {
	ctx := context.Background()
	m := framework.NewMemoryDeduper(50 * time.Millisecond)

	seen, finish, err := m.Begin(ctx, "k")
	require.NoError(t, err)
	require.False(t, seen)

	// A second claim waits for the first; when the first does not finish
	// in time it is ErrDuplicateInProgress (409).
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, _, err = m.Begin(short, "k")
	require.ErrorIs(t, err, framework.ErrDuplicateInProgress)
	require.Equal(t, http.StatusConflict, framework.StatusOf(err))

	got := make(chan bool)
	go func() {
		seen, _, err := m.Begin(ctx, "k")
		assert.NoError(t, err)
		got <- seen
	}()
	time.Sleep(10 * time.Millisecond)
	finish(true)
	require.True(t, <-got, "a waiter sees the first claim's success")
	require.Equal(t, 1, m.Len())

	time.Sleep(60 * time.Millisecond)
	seen, finish, err = m.Begin(ctx, "k")
	require.NoError(t, err)
	require.False(t, seen, "the window has passed")
	finish(false)
	seen, finish, err = m.Begin(ctx, "k")
	require.NoError(t, err)
	require.False(t, seen, "a failed claim is released")
	finish(true)
	finish(false) // finish is idempotent
	seen, _, _ = m.Begin(ctx, "k")
	require.True(t, seen)
}

func TestSyncDeduplicationConcurrentCopiesRunOnce(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()), framework.WithDeduplication(time.Hour))
	require.NoError(t, err)
	var calls atomic.Int32
	framework.Handle(r, func(ctx context.Context, ev CalendarEvent) error {
		calls.Add(1)
		time.Sleep(20 * time.Millisecond)
		return nil
	})
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	var wg sync.WaitGroup
	statuses := make([]string, 8)
	for i := range statuses {
		wg.Go(func() {
			w := post(t, r, "/webhook", body, secret)
			statuses[i] = fmt.Sprint(w.Code, " ", decodeAnswer(t, w.Body.Bytes()).Status)
		})
	}
	wg.Wait()
	require.Equal(t, int32(1), calls.Load())
	require.ElementsMatch(t, []string{"200 processed", "200 duplicate", "200 duplicate", "200 duplicate", "200 duplicate", "200 duplicate", "200 duplicate", "200 duplicate"}, statuses)
}

func TestDispatchOptionsRefuseNil(t *testing.T) {
	for _, o := range []framework.Option{
		framework.WithDispatcher(nil),
		framework.WithDeduper(nil),
		framework.WithDedupeKey(nil),
		framework.WithDeduplication(0),
	} {
		_, err := framework.NewRouter(framework.WithSecrets(secret), o)
		require.Error(t, err)
	}
}

// observerFunc is an Observer that reports Finish only.
type observerFunc func(framework.Outcome)

func (f observerFunc) StartStage(ctx context.Context, _ framework.Stage) (context.Context, func(error)) {
	return ctx, func(error) {}
}
func (f observerFunc) Finish(_ context.Context, o framework.Outcome) { f(o) }
