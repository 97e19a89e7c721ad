package durable_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/handlers/durable"
)

// TestDedupeWindowSurvivesSIGKILL kills a real receiver process with
// SIGKILL right after each 202, before anything else can happen in it,
// over several rounds on one data directory; processes every delivery
// here; restarts the engine (so the stream forgets the ids of the
// processed, removed messages); then re-sends every body exactly: each is
// answered duplicate, and nothing is stored or processed again. The 202
// is only sent once the de-duplication record is stored.
func TestDedupeWindowSurvivesSIGKILL(t *testing.T) {
	const rounds = 8
	dir := t.TempDir()
	c := &http.Client{Timeout: 30 * time.Second}
	accepted := map[string]bool{}
	for i := range rounds {
		ch := startChild(t, dir, childStores)
		rep, err := send(c, ch.URL, eventBody(i), secret)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, rep.Code)
		ch.kill(t)
		accepted[rep.DeliveryID] = true
	}
	require.Len(t, accepted, rounds)

	e := openEngine(t, fast(dir)...)
	ta := newTally()
	r := newRouter(t, e, func(ctx context.Context, ev Event) error { ta.record(ctx, true); return nil })
	stop := run(t, e, r)
	waitFor(t, 60*time.Second, "every accepted delivery processed", func() bool { return ta.successCount() == rounds })
	stop()
	require.NoError(t, e.Close())

	e = openEngine(t, fast(dir)...)
	r = newRouter(t, e, func(ctx context.Context, ev Event) error { ta.record(ctx, true); return nil })
	srv := serve(t, r)
	for i := range rounds {
		rep, err := send(srv.Client(), srv.URL, eventBody(i), secret)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, rep.Code, "re-send %d", i)
		require.Equal(t, "duplicate", rep.Status, "re-send %d", i)
	}
	st, err := e.Stats(context.Background())
	require.NoError(t, err)
	require.Zero(t, st.Waiting, "no re-send was stored")
	ta.mu.Lock()
	defer ta.mu.Unlock()
	for id := range accepted {
		require.Equal(t, 1, ta.calls[id], "delivery %s processed once", id)
	}
}

// TestRedeliveryCapDeadLettersAProcessKiller gives a real receiver process
// (at most 2 attempts) a delivery whose handler exits the process, and
// restarts it each time it dies: the handler runs twice, then the
// delivery goes to the dead letters with durable.ErrUnfinished as its
// error, and the receiver stays up.
func TestRedeliveryCapDeadLettersAProcessKiller(t *testing.T) {
	dir := t.TempDir()
	// Stored by a receiver without workers, so that the answer is not
	// raced by the handler's exit.
	ch := startChild(t, dir, childStores)
	rep, err := send(&http.Client{Timeout: 30 * time.Second}, ch.URL, eventBody(1), secret)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, rep.Code)
	id := rep.DeliveryID
	ch.kill(t)
	started := 0
	for restarts := 0; ; restarts++ {
		require.Less(t, restarts, 6, "the delivery was never dead-lettered")
		ch := startChild(t, dir, childExits)
		dead := false
		for l := range ch.Lines { // until the child exits, or dead-letters
			if strings.HasPrefix(l, "STARTED ") {
				require.Equal(t, "STARTED "+id, l)
				started++
			}
			if l == "DEAD "+id {
				dead = true
				break
			}
		}
		if dead {
			ch.kill(t) // it was alive: the handler was not run again
			break
		}
		ch.done = true
		require.Error(t, ch.cmd.Wait(), "the handler exited the child")
	}
	require.Equal(t, 2, started, "the handler ran its 2 attempts, then never again")

	e := openEngine(t, fast(dir)...)
	dls, err := e.DeadLetters(context.Background())
	require.NoError(t, err)
	require.Len(t, dls, 1)
	require.Equal(t, id, dls[0].ID)
	require.Equal(t, 2, dls[0].Attempts)
	require.Contains(t, dls[0].Error, durable.ErrUnfinished.Error())
	st, err := e.Stats(context.Background())
	require.NoError(t, err)
	require.Zero(t, st.Waiting+st.InFlight, "the inbox is empty")
}

// TestServerRedeliveryCapDeadLetters lowers the consumer's MaxDeliver
// below the engine's attempts (as when the engine's own dead-lettering
// failed each time): the server stops redelivering a failing delivery, and
// the engine, told by the server's advisory, moves it to the dead letters
// with durable.ErrUnfinished instead of leaving it in the inbox for good.
func TestServerRedeliveryCapDeadLetters(t *testing.T) {
	e := openEngine(t, append(fast(t.TempDir()), durable.WithListen("127.0.0.1:0"), durable.WithMaxAttempts(5))...)
	nc, err := nats.Connect(e.ClientURL())
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx := context.Background()
	cons, err := js.Consumer(ctx, durable.DefaultName, "workers")
	require.NoError(t, err)
	cfg := cons.CachedInfo().Config
	require.Equal(t, 5+3, cfg.MaxDeliver, "the cap is the attempts and a margin")
	cfg.MaxDeliver = 1
	_, err = js.UpdateConsumer(ctx, durable.DefaultName, cfg)
	require.NoError(t, err)

	r := newRouter(t, e, func(context.Context, Event) error { return errors.New("calendar API down") })
	run(t, e, r)
	srv := serve(t, r)
	rep, err := send(srv.Client(), srv.URL, eventBody(1), secret)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, rep.Code)

	var dls []durable.DeadLetter
	waitFor(t, 30*time.Second, "the delivery dead-lettered", func() bool {
		dls, err = e.DeadLetters(ctx)
		require.NoError(t, err)
		return len(dls) == 1
	})
	require.Equal(t, rep.DeliveryID, dls[0].ID)
	require.Contains(t, dls[0].Error, durable.ErrUnfinished.Error())
	require.Contains(t, dls[0].Error, "stopped redelivering it after 1 deliveries")
	waitFor(t, 10*time.Second, "the inbox empty", func() bool {
		info, err := js.Stream(ctx, durable.DefaultName)
		require.NoError(t, err)
		return info.CachedInfo().State.Msgs == 0
	})
}

// TestConcurrentCopiesAreAcceptedOnce sends one body 8 times at once to
// two engines sharing a server: the de-duplication record, created
// atomically before the delivery is stored, makes exactly one answer 202
// and the others 200 duplicate, and the delivery is processed once.
func TestConcurrentCopiesAreAcceptedOnce(t *testing.T) {
	a := openEngine(t, append(fast(t.TempDir()), durable.WithListen("127.0.0.1:0"))...)
	b := openEngine(t, durable.WithURLs(a.ClientURL()), durable.WithLogger(quiet()))
	ta := newTally()
	h := func(ctx context.Context, ev Event) error { ta.record(ctx, true); return nil }
	ra, rb := newRouter(t, a, h), newRouter(t, b, h)
	urls := []string{serve(t, ra).URL, serve(t, rb).URL}
	statuses := make([]string, 8)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			rep, err := send(http.DefaultClient, urls[i%2], eventBody(42), secret)
			if err != nil {
				statuses[i] = err.Error()
				return
			}
			statuses[i] = rep.Status
		})
	}
	wg.Wait()
	require.ElementsMatch(t, []string{"accepted", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate"}, statuses)
	run(t, a, ra)
	waitFor(t, 30*time.Second, "processed", func() bool { return ta.successCount() == 1 })
	st, err := a.Stats(context.Background())
	require.NoError(t, err)
	require.Zero(t, st.Waiting+st.InFlight)
	ta.mu.Lock()
	defer ta.mu.Unlock()
	for id, n := range ta.calls {
		require.Equal(t, 1, n, "delivery %s processed once", id)
	}
}
