package durable_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/handlers/durable"
)

// freePorts reserves n loopback ports and releases them for the servers.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
		require.NoError(t, ln.Close())
	}
	return ports
}

// startCluster starts n JetStream servers in this process, clustered on
// loopback with random ports, and returns them with their client URLs.
func startCluster(t *testing.T, n int) ([]*server.Server, []string) {
	t.Helper()
	ports := freePorts(t, n)
	var routes []*url.URL
	for _, p := range ports {
		routes = append(routes, &url.URL{Scheme: "nats-route", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	dir := t.TempDir()
	servers := make([]*server.Server, n)
	urls := make([]string, n)
	for i := range servers {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
			NoSigs:     true,
			NoLog:      true,
			Cluster:    server.ClusterOpts{Name: "retabhook-test", Host: "127.0.0.1", Port: ports[i]},
			Routes:     routes,
		}
		s, err := server.NewServer(opts)
		require.NoError(t, err)
		s.Start()
		servers[i] = s
		t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	}
	for i, s := range servers {
		require.True(t, s.ReadyForConnections(30*time.Second), "server %d", i)
		urls[i] = s.ClientURL()
	}
	return servers, urls
}

// openClustered opens an engine on the cluster, retrying while the
// JetStream meta leader is being elected.
func openClustered(t *testing.T, urls []string, opts ...durable.Option) *durable.Engine {
	t.Helper()
	opts = append([]durable.Option{durable.WithURLs(urls...), durable.WithReplicas(3)}, opts...)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		e, err := durable.Open(ctx, opts...) // no embedded server: WithURLs
		cancel()
		if err == nil {
			t.Cleanup(func() { _ = e.Close() })
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster not ready: %v", err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestClusterLosesNothingWhenAServerStops runs two receivers against three
// clustered JetStream servers (stream with 3 replicas), stops the stream's
// leader in the middle of the load, and checks that every accepted delivery
// is processed.
func TestClusterLosesNothingWhenAServerStops(t *testing.T) {
	const total = 600
	servers, urls := startCluster(t, 3)
	opts := []durable.Option{
		durable.WithLogger(quiet()),
		durable.WithBackoff(5*time.Millisecond, 50*time.Millisecond),
		durable.WithAckWait(2 * time.Second),
		durable.WithPublishWait(20 * time.Second),
	}
	ta := newTally()
	handler := func(ctx context.Context, ev Event) error { ta.record(ctx, true); return nil }
	var receivers []string
	for range 2 {
		e := openClustered(t, urls, opts...)
		r := newRouter(t, e, handler)
		run(t, e, r)
		receivers = append(receivers, serve(t, r).URL)
	}

	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		retried  atomic.Int32
		sent     atomic.Int32
		stopped  = make(chan string, 1)
	)
	work := make(chan int)
	var wg sync.WaitGroup
	c := &http.Client{Timeout: 60 * time.Second}
	for w := range 8 {
		wg.Go(func() {
			for i := range work {
				url := receivers[(i+w)%len(receivers)]
				for try := 0; ; try++ {
					rep, err := send(c, url, eventBody(i), secret)
					if err == nil && (rep.Code == http.StatusAccepted || rep.Status == "duplicate") {
						mu.Lock()
						accepted[rep.DeliveryID] = true
						mu.Unlock()
						break
					}
					// 503 while the cluster elects a leader: not accepted,
					// so the sender tries again.
					if try == 20 || (err == nil && rep.Code != http.StatusServiceUnavailable) {
						t.Errorf("delivery %d not accepted: %v %+v", i, err, rep)
						return
					}
					retried.Add(1)
					time.Sleep(100 * time.Millisecond)
				}
				if sent.Add(1) == total/3 {
					stopped <- stopStreamLeader(t, servers, urls)
				}
			}
		})
	}
	for i := range total {
		work <- i
	}
	close(work)
	wg.Wait()
	var name string
	select {
	case name = <-stopped:
	default:
		t.Fatal("no server was stopped: the load did not get a third of the way")
	}
	require.Len(t, accepted, total)
	waitFor(t, 90*time.Second, "every accepted delivery processed", func() bool { return ta.successCount() == total })
	ta.mu.Lock()
	defer ta.mu.Unlock()
	again := 0
	for id := range accepted {
		require.GreaterOrEqual(t, ta.successes[id], 1, "delivery %s lost", id)
		again += ta.successes[id] - 1
	}
	t.Logf("stopped %s after %d deliveries; %d sends answered 503 and retried; %d deliveries processed twice (at-least-once across a failover)", name, total/3, retried.Load(), again)
}

// stopStreamLeader shuts down the server leading the inbox stream.
func stopStreamLeader(t *testing.T, servers []*server.Server, urls []string) string {
	for _, s := range servers {
		if s.JetStreamIsStreamLeader("$G", durable.DefaultName) {
			s.Shutdown()
			return s.Name()
		}
	}
	// No leader at this instant (an election): stop the first server.
	servers[0].Shutdown()
	return servers[0].Name()
}
