package framework

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

func TestBudgetIsFIFOAndCancellable(t *testing.T) {
	b := newBudget(10)
	ctx := context.Background()
	require.NoError(t, b.acquire(ctx, 6))

	// A large waiter first, then a small one that would fit: the small
	// one waits behind the large one (no starvation).
	// The large one is in the semaphore's queue once a 1-byte TryAcquire,
	// which has room, is refused (it succeeds only when nobody waits).
	semQueued := func() bool {
		if b.sem.TryAcquire(1) {
			b.sem.Release(1)
			return false
		}
		return true
	}
	counted := func(n int) func() bool {
		return func() bool { _, w := b.state(); return w == n }
	}
	got := make(chan int64, 2)
	for i, n := range []int64{8, 2} {
		go func() {
			require.NoError(t, b.acquire(ctx, n))
			got <- n
		}()
		require.Eventually(t, counted(i+1), 5*time.Second, time.Millisecond)
		if i == 0 {
			require.Eventually(t, semQueued, 5*time.Second, time.Millisecond)
		}
	}
	used, _ := b.state()
	assert.Equal(t, int64(6), used, "the small waiter fits but must wait behind the large one")
	b.release(6)
	assert.ElementsMatch(t, []int64{8, 2}, []int64{<-got, <-got})

	// A waiter whose context ends leaves the queue and lets the next in.
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- b.acquire(cctx, 5) }()
	require.Eventually(t, func() bool { _, w := b.state(); return w == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	b.release(8)
	b.release(2)
	used, waiting := b.state()
	assert.Zero(t, used)
	assert.Zero(t, waiting)
	assert.Panics(t, func() { b.release(1) })
}

// TestMaxInFlightBytesWaits checks that a delivery waits, rather than
// being refused, while the bodies in flight hold the budget; that it goes
// on once there is room; and that one whose client leaves while waiting
// is answered 503 ErrBusy without reaching the handler.
func TestMaxInFlightBytesWaits(t *testing.T) {
	const secret = "whsec_budget"
	bodyA := fixtures.ContentEnvelope(`{"name":"A","date":"2024-01-01"}`)
	bodyB := fixtures.ContentEnvelope(`{"name":"B","date":"2024-01-01"}`)
	r, err := NewRouter(WithSecrets(secret), WithLogger(slog.New(slog.DiscardHandler)),
		WithMaxInFlightBytes(int64(len(bodyA))*3/2))
	require.NoError(t, err)
	type event struct {
		Name string `json:"name"`
		Date string `json:"date"`
	}
	entered := make(chan string, 4)
	hold := make(chan struct{})
	Handle(r, func(_ context.Context, ev event) error {
		entered <- ev.Name
		if ev.Name == "A" {
			<-hold
		}
		return nil
	}, WithKind("event"))

	send := func(ctx context.Context, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", Sign(secret, body))
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	waiting := func(n int) func() bool {
		return func() bool { _, w := r.budget.state(); return w == n }
	}

	var wg sync.WaitGroup
	codes := make([]int, 2)
	wg.Add(1)
	go func() { defer wg.Done(); codes[0] = send(context.Background(), bodyA).Code }()
	require.Equal(t, "A", <-entered)

	// C's client gives up while it waits: 503, and the handler never sees it.
	cctx, cancel := context.WithCancel(context.Background())
	wc := make(chan *httptest.ResponseRecorder, 1)
	go func() { wc <- send(cctx, bodyB) }()
	require.Eventually(t, waiting(1), 5*time.Second, time.Millisecond)
	cancel()
	w := <-wc
	require.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), ErrBusy.Type())

	// B waits while A holds the budget, then goes on.
	wg.Add(1)
	go func() { defer wg.Done(); codes[1] = send(context.Background(), bodyB).Code }()
	require.Eventually(t, waiting(1), 5*time.Second, time.Millisecond)
	assert.Empty(t, entered, "B must not reach its handler while A holds the budget")
	close(hold)
	wg.Wait()
	assert.Equal(t, []int{200, 200}, codes)
	assert.Equal(t, "B", <-entered)
	used, _ := r.budget.state()
	assert.Zero(t, used, "every reservation is given back")

	// A body larger than the whole budget (but within the body limit)
	// still goes through, alone.
	big := fixtures.ContentEnvelope(`{"name":"` + string(bytes.Repeat([]byte("x"), 4*len(bodyA))) + `","date":"2024-01-01"}`)
	assert.Equal(t, 200, send(context.Background(), big).Code)
}
