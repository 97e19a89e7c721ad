package durable_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/handlers/durable"
)

// TestLoadExactlyOnceWithRetriesAndDeadLetters sends 10,000 unique
// deliveries from 32 concurrent senders, plus 10% exact re-sends of
// deliveries already accepted, to a handler that fails 20% of its calls at
// random. Every re-send is answered 200 duplicate; deliveries that fail
// every attempt land in the dead letters and are replayed from there; in
// the end every unique delivery was handled successfully exactly once.
func TestLoadExactlyOnceWithRetriesAndDeadLetters(t *testing.T) {
	const (
		unique  = 10_000
		resends = unique / 10
		senders = 32
	)
	e := openEngine(t,
		durable.WithDir(t.TempDir()),
		durable.WithLogger(quiet()),
		durable.WithMaxAttempts(3),
		durable.WithBackoff(time.Millisecond, 20*time.Millisecond),
		durable.WithAckWait(10*time.Second),
		durable.WithWorkers(16),
	)
	ta := newTally()
	r := newRouter(t, e, func(ctx context.Context, ev Event) error {
		if rand.N(5) == 0 {
			ta.record(ctx, false)
			return errors.New("random failure")
		}
		ta.record(ctx, true)
		return nil
	})
	srv := serve(t, r)
	run(t, e, r)

	// Jobs: every unique body once, and 10% of them again, each re-send
	// queued after its original was answered.
	type job struct {
		n      int
		resend bool
	}
	jobs := make(chan job, unique+resends)
	for n := range unique {
		jobs <- job{n: n}
	}
	var (
		mu         sync.Mutex
		idOf       = map[int]string{}
		answered   int
		duplicates int
		failures   []string
	)
	tr := &http.Transport{MaxIdleConnsPerHost: senders}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			for j := range jobs {
				rep, err := send(c, srv.URL, eventBody(j.n), secret)
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, err.Error())
				case j.resend:
					if rep.Code == http.StatusOK && rep.Status == "duplicate" && rep.DeliveryID == idOf[j.n] {
						duplicates++
					} else {
						failures = append(failures, "re-send not a duplicate: "+rep.Status)
					}
				case rep.Code == http.StatusAccepted:
					idOf[j.n] = rep.DeliveryID
				default:
					failures = append(failures, "not accepted: "+rep.Status)
				}
				answered++
				if !j.resend && j.n%10 == 0 {
					jobs <- job{n: j.n, resend: true}
				}
				if answered == unique+resends {
					close(jobs)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Empty(t, failures)
	require.Len(t, idOf, unique)
	require.Equal(t, resends, duplicates)

	// Replay the dead letters until none is left (a replayed delivery can
	// fail its three attempts again, with probability 0.8%).
	ctx := context.Background()
	deadLettered, rounds := 0, 0
	for {
		waitFor(t, 120*time.Second, "the inbox to empty", func() bool {
			st, err := e.Stats(ctx)
			require.NoError(t, err)
			return st.Waiting == 0 && st.InFlight == 0
		})
		dls, err := e.DeadLetters(ctx)
		require.NoError(t, err)
		if len(dls) == 0 {
			break
		}
		for _, dl := range dls {
			require.Equal(t, 3, dl.Attempts)
			require.Contains(t, dl.Error, "random failure")
		}
		deadLettered += len(dls)
		rounds++
		require.Less(t, rounds, 10)
		n, err := e.ReplayAll(ctx)
		require.NoError(t, err)
		require.Equal(t, len(dls), n)
	}

	ta.mu.Lock()
	defer ta.mu.Unlock()
	require.Len(t, ta.successes, unique)
	calls := 0
	for _, id := range idOf {
		require.Equal(t, 1, ta.successes[id], "delivery %s handled successfully %d times", id, ta.successes[id])
		calls += ta.calls[id]
	}
	require.Positive(t, deadLettered, "with 20%% failures and 3 attempts, about 80 deliveries should fail every attempt")
	t.Logf("%d unique deliveries, %d duplicates answered 200, %d handler calls, %d dead-lettered and replayed in %d round(s)",
		unique, duplicates, calls, deadLettered, rounds)
}
