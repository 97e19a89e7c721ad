package durable_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
)

// TestRetryWaitsForItsBackoff: with a 1 s initial backoff (jittered to
// between 0.5 s and 1 s), attempt 2 of a failed delivery starts at least
// 0.5 s after attempt 1, measured by the handler. A retry without delay
// (whose retry event would still report the delay) fails here. The bound
// is a lower bound: a slow machine only makes the gap longer.
func TestRetryWaitsForItsBackoff(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, durable.WithDir(dir), durable.WithLogger(quiet()),
		durable.WithBackoff(time.Second, time.Minute), durable.WithAckWait(10*time.Second))
	type call struct {
		attempt int
		at      time.Time
	}
	calls := make(chan call, 4)
	r := newRouter(t, e, func(ctx context.Context, _ Event) error {
		at := time.Now()
		d, _ := framework.DeliveryFrom(ctx)
		calls <- call{d.Attempt, at}
		if d.Attempt == 1 {
			return errors.New("the database is down")
		}
		return nil
	})
	srv := serve(t, r)
	rep, err := send(srv.Client(), srv.URL, eventBody(1), secret)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, rep.Code)
	run(t, e, r)

	var got []call
	for len(got) < 2 {
		select {
		case c := <-calls:
			got = append(got, c)
		case <-time.After(30 * time.Second):
			t.Fatalf("%d handler call(s) after 30 s, want 2", len(got))
		}
	}
	require.Equal(t, 1, got[0].attempt)
	require.Equal(t, 2, got[1].attempt)
	gap := got[1].at.Sub(got[0].at)
	require.GreaterOrEqual(t, gap, 500*time.Millisecond, "attempt 2 came %s after attempt 1; the backoff is at least 0.5 s", gap)
}
