package durable_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestFailedStoreIsNotAccepted: when the engine cannot store a delivery
// (a body over the server's max_payload, a sealed inbox stream: reasons
// that retrying does not cure; a deleted stream, which the engine retries
// for WithPublishWait as it would a leader election), the delivery is
// answered 503, not 202, so that the sender can send it again, and no de-duplication record
// is kept: the same body sent again is not answered as a duplicate. A
// dispatcher that ignored the publish error, or recorded the key before
// the store succeeded, fails here.
func TestFailedStoreIsNotAccepted(t *testing.T) {
	const maxPayload = 64 << 10
	srv, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: filepath.Join(t.TempDir(), "js"), MaxPayload: maxPayload, NoSigs: true, NoLog: true,
	})
	require.NoError(t, err)
	srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	require.True(t, srv.ReadyForConnections(30*time.Second))

	nc, err := nats.Connect(srv.ClientURL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)

	big := fixtures.ContentEnvelope(fmt.Sprintf(`{"name":%q,"date":"2024-01-02"}`, strings.Repeat("x", 2*maxPayload)))
	for _, tt := range []struct {
		name       string
		body       []byte
		breakStore func(t *testing.T, name string) // makes the store fail; nil for none
	}{
		{name: "body over the server's max_payload", body: big},
		{name: "deleted inbox stream", body: eventBody(2), breakStore: func(t *testing.T, name string) {
			require.NoError(t, js.DeleteStream(context.Background(), name))
		}},
		{name: "sealed inbox stream", body: eventBody(1), breakStore: func(t *testing.T, name string) {
			ctx := context.Background()
			s, err := js.Stream(ctx, name)
			require.NoError(t, err)
			cfg := s.CachedInfo().Config
			cfg.Sealed = true
			_, err = js.UpdateStream(ctx, cfg)
			require.NoError(t, err)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := strings.ToUpper(strings.NewReplacer(" ", "_", "'", "").Replace(tt.name))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			e, err := durable.Open(ctx, durable.WithURLs(srv.ClientURL()), durable.WithName(name),
				durable.WithLogger(quiet()), durable.WithPublishWait(time.Second))
			require.NoError(t, err)
			t.Cleanup(func() { _ = e.Close() })
			r := newRouter(t, e, func(context.Context, Event) error { return nil })
			hs := serve(t, r)

			// The engine stores and de-duplicates a small delivery, so the
			// answers below are about the failed store.
			ok := eventBody(100)
			rep, err := send(hs.Client(), hs.URL, ok, secret)
			require.NoError(t, err)
			require.Equal(t, http.StatusAccepted, rep.Code)
			rep, err = send(hs.Client(), hs.URL, ok, secret)
			require.NoError(t, err)
			require.Equal(t, "duplicate", rep.Status)

			if tt.breakStore != nil {
				tt.breakStore(t, name)
			}
			for i := range 2 {
				rep, err := send(hs.Client(), hs.URL, tt.body, secret)
				require.NoError(t, err)
				require.Equal(t, http.StatusServiceUnavailable, rep.Code, "send %d: %+v", i+1, rep)
				require.Equal(t, framework.ErrDispatch.Type(), rep.Type)
				require.NotEqual(t, "duplicate", rep.Status)
			}

			kv, err := js.KeyValue(ctx, name+"_SEEN")
			require.NoError(t, err)
			count := func() int {
				keys, err := kv.ListKeys(ctx)
				require.NoError(t, err)
				n := 0
				for range keys.Keys() {
					n++
				}
				return n
			}
			waitFor(t, 10*time.Second, "the stored delivery's key", func() bool { return count() >= 1 })
			require.Equal(t, 1, count(), "only the stored delivery's key is kept")
		})
	}
}
