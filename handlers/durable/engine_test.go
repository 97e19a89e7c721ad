package durable_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
)

func TestAcceptProcessRetryDeadLetterReplay(t *testing.T) {
	var events sync.Map
	obs := framework.QueueObserverFunc(func(_ context.Context, ev framework.QueueEvent) {
		n, _ := events.LoadOrStore(ev.Type, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
	})
	e := openEngine(t, append(fast(t.TempDir()), durable.WithMaxAttempts(3), durable.WithObserver(obs))...)
	ta := newTally()
	var broken atomic.Bool
	broken.Store(true)
	r := newRouter(t, e, func(ctx context.Context, ev Event) error {
		switch {
		case ev.Name == "event-2" && broken.Load():
			ta.record(ctx, false)
			return errors.New("the database is down")
		case ev.Name == "event-3" && broken.Load():
			ta.record(ctx, false)
			panic("handler bug")
		}
		ta.record(ctx, true)
		return nil
	})
	srv := serve(t, r)
	ids := map[int]string{}
	for n := 1; n <= 3; n++ {
		rep, err := send(srv.Client(), srv.URL, eventBody(n), secret)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, rep.Code)
		require.Equal(t, "accepted", rep.Status)
		require.Equal(t, "event", rep.Kind)
		ids[n] = rep.DeliveryID
	}
	rep, err := send(srv.Client(), srv.URL, eventBody(1), secret)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rep.Code)
	require.Equal(t, "duplicate", rep.Status)
	require.Equal(t, ids[1], rep.DeliveryID)

	stop := run(t, e, r)
	ctx := context.Background()
	waitFor(t, 20*time.Second, "two dead letters", func() bool {
		dls, err := e.DeadLetters(ctx)
		require.NoError(t, err)
		return len(dls) == 2
	})
	ta.mu.Lock()
	require.Equal(t, map[string]int{ids[1]: 1}, ta.successes)
	require.Equal(t, []int{1, 2, 3}, ta.attempts[ids[2]], "the handler sees each attempt number")
	require.Equal(t, []int{1, 2, 3}, ta.attempts[ids[3]], "a panic counts as a failed attempt")
	ta.mu.Unlock()

	dls, err := e.DeadLetters(ctx)
	require.NoError(t, err)
	byID := map[string]durable.DeadLetter{}
	for _, dl := range dls {
		require.Nil(t, dl.Body)
		byID[dl.ID] = dl
	}
	dl2 := byID[ids[2]]
	require.Equal(t, "event", dl2.Kind)
	require.Equal(t, 3, dl2.Attempts)
	require.Contains(t, dl2.Error, "the database is down")
	require.Equal(t, len(eventBody(2)), dl2.Size)
	require.False(t, dl2.FailedAt.Before(dl2.AcceptedAt))
	require.Contains(t, byID[ids[3]].Error, "panic: handler bug")

	full, err := e.DeadLetter(ctx, ids[2])
	require.NoError(t, err)
	require.Equal(t, eventBody(2), full.Body)
	_, err = e.DeadLetter(ctx, "dlv_nope")
	require.ErrorIs(t, err, durable.ErrNotFound)

	st, err := e.Stats(ctx)
	require.NoError(t, err)
	require.Equal(t, uint64(2), st.DeadLetters)
	require.Equal(t, uint64(3), st.Accepted)
	require.Equal(t, uint64(1), st.Duplicates)
	require.Equal(t, uint64(4), st.Retries)

	// Fixed: replay from the dead letters.
	broken.Store(false)
	require.NoError(t, e.Replay(ctx, ids[2]))
	n, err := e.ReplayAll(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	waitFor(t, 10*time.Second, "replayed deliveries processed", func() bool { return ta.successCount() == 3 })
	dls, err = e.DeadLetters(ctx)
	require.NoError(t, err)
	require.Empty(t, dls)
	require.ErrorIs(t, e.Replay(ctx, ids[2]), durable.ErrNotFound)
	ta.mu.Lock()
	require.Equal(t, []int{1, 2, 3, 1}, ta.attempts[ids[2]], "a replay counts attempts from 1 again")
	ta.mu.Unlock()
	stop()

	for typ, want := range map[framework.QueueEventType]int32{
		framework.QueueAccepted: 3, framework.QueueDuplicate: 1, framework.QueueProcessed: 3,
		framework.QueueRetry: 4, framework.QueueDeadLettered: 2, framework.QueueReplayed: 2,
	} {
		n, _ := events.Load(typ)
		require.NotNil(t, n, "%s", typ)
		require.Equal(t, want, n.(*atomic.Int32).Load(), "%s", typ)
	}
}

// TestPermanentFailureIsDeadLetteredAtOnce: a stored delivery whose kind
// is no longer registered cannot succeed; it is not retried.
func TestPermanentFailureIsDeadLetteredAtOnce(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, fast(dir)...)
	r := newRouter(t, e, func(context.Context, Event) error { return nil })
	srv := serve(t, r)
	rep, err := send(srv.Client(), srv.URL, eventBody(1), secret)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, rep.Code)

	// A new version of the program registers another kind only.
	type Other struct {
		Title string `json:"title"`
	}
	r2, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quiet()))
	require.NoError(t, err)
	framework.Handle(r2, func(context.Context, Other) error { return nil })
	run(t, e, r2)
	waitFor(t, 10*time.Second, "the dead letter", func() bool {
		dls, _ := e.DeadLetters(context.Background())
		return len(dls) == 1
	})
	dl, err := e.DeadLetter(context.Background(), rep.DeliveryID)
	require.NoError(t, err)
	require.Equal(t, 1, dl.Attempts)
	require.Contains(t, dl.Error, "unknown kind")
	require.NoError(t, e.Discard(context.Background(), rep.DeliveryID))
	require.ErrorIs(t, e.Discard(context.Background(), rep.DeliveryID), durable.ErrNotFound)
}
