package durable_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/handlers/durable"
)

// TestFullInboxRecoversWithoutRestart fills a tiny inbox (WithMaxBytes)
// with no worker running: the delivery that does not fit is answered 503
// and readiness fails with ErrInboxFull; once the workers made room, the
// same engine is ready again and stores the refused delivery, re-sent,
// and new ones.
func TestFullInboxRecoversWithoutRestart(t *testing.T) {
	e := openEngine(t, append(fast(t.TempDir()), durable.WithMaxBytes(4<<10))...)
	ta := newTally()
	r := newRouter(t, e, func(ctx context.Context, ev Event) error { ta.record(ctx, true); return nil })
	srv := serve(t, r)
	ctx := context.Background()
	require.NoError(t, e.Ready(ctx))

	refused := sendUntilRefused(t, srv, 100)
	stored := refused
	require.GreaterOrEqual(t, refused, 1, "the inbox filled up")
	require.ErrorIs(t, e.Ready(ctx), durable.ErrInboxFull, "not ready while full")

	run(t, e, r)
	waitFor(t, 30*time.Second, "the stored deliveries processed", func() bool { return ta.successCount() == stored })
	require.NoError(t, e.Ready(ctx), "ready once there is room, without a restart")
	for _, i := range []int{refused, 1000} {
		rep, err := send(srv.Client(), srv.URL, eventBody(i), secret)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, rep.Code, "delivery %d", i)
	}
	waitFor(t, 30*time.Second, "the refused delivery and a new one processed", func() bool { return ta.successCount() == stored+2 })
}

// TestUnavailableAnswers503AndStoresNothing stops the external NATS server
// an engine uses: a delivery is answered 503 within WithPublishWait (and
// its retries), and once the server is back and the client reconnected,
// nothing was stored behind the answer (the client buffers no publish
// while disconnected); the same delivery re-sent is then accepted and
// processed once.
func TestUnavailableAnswers503AndStoresNothing(t *testing.T) {
	dir, port := t.TempDir(), freePorts(t, 1)[0]
	start := func() *server.Server {
		s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true})
		require.NoError(t, err)
		s.Start()
		require.True(t, s.ReadyForConnections(30*time.Second))
		return s
	}
	s := start()
	const wait = time.Second
	e := openEngine(t, append(fast(t.TempDir()), durable.WithURLs(s.ClientURL()), durable.WithPublishWait(wait))...)
	ta := newTally()
	r := newRouter(t, e, func(ctx context.Context, ev Event) error { ta.record(ctx, true); return nil })
	srv := serve(t, r)

	s.Shutdown()
	s.WaitForShutdown()
	began := time.Now()
	rep, err := send(srv.Client(), srv.URL, eventBody(1), secret)
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, rep.Code)
	require.Less(t, time.Since(began), wait+5*time.Second, "answered within the publish wait (generous bound)")
	require.Error(t, e.Ready(context.Background()), "not ready without a server")

	s = start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	waitFor(t, 30*time.Second, "reconnected and ready", func() bool { return e.Ready(context.Background()) == nil })
	st, err := e.Stats(context.Background())
	require.NoError(t, err)
	require.Zero(t, st.Waiting, "nothing stored behind the 503")

	rep, err = send(srv.Client(), srv.URL, eventBody(1), secret)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, rep.Code)
	run(t, e, r)
	waitFor(t, 30*time.Second, "processed", func() bool { return ta.successCount() == 1 })
}

// sendUntilRefused sends eventBody(0), eventBody(1)... to srv until one is
// answered 503, at most n, and returns its number (-1 if none was); every
// delivery before it must be answered 202.
func sendUntilRefused(t *testing.T, srv *httptest.Server, n int) int {
	t.Helper()
	for i := range n {
		rep, err := send(srv.Client(), srv.URL, eventBody(i), secret)
		require.NoError(t, err)
		if rep.Code == http.StatusServiceUnavailable {
			return i
		}
		require.Equal(t, http.StatusAccepted, rep.Code)
	}
	return -1
}
