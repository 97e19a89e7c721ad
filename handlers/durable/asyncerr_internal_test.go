package durable

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestAsyncErrorsGoToTheLog: an error NATS reports asynchronously on the
// engine's connection (here a slow consumer, messages dropped from a
// subscription's full channel) is a warning in the engine's log, with
// the subject, not a line nats.go prints on stderr.
func TestAsyncErrorsGoToTheLog(t *testing.T) {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	require.NoError(t, err)
	srv.Start()
	t.Cleanup(srv.Shutdown)
	require.True(t, srv.ReadyForConnections(10*time.Second))

	var logs fixtures.SyncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := Open(ctx, WithURLs(srv.ClientURL()), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })

	const subject = "retabhook.test.slow"
	_, err = e.nc.ChanSubscribe(subject, make(chan *nats.Msg, 1))
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, e.nc.Publish(subject, []byte("x")))
	}
	require.NoError(t, e.nc.Flush())
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "slow consumer") }, 10*time.Second, 10*time.Millisecond)
	line := logs.String()
	require.Contains(t, line, `level=WARN msg="durable: NATS reported an error" subject=retabhook.test.slow error="nats: slow consumer, messages dropped"`)
}
