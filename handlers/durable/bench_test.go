package durable_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/durable/embedded"
)

// BenchmarkAccept measures accepted deliveries per second over loopback
// HTTP, 16 concurrent senders, unique bodies of about 300 bytes, with a
// handler that does nothing: the synchronous mode (the baseline: answered
// after the handler ran), then the durable mode (answered once stored) with
// the embedded server's default fsync every 2 minutes, and with an fsync
// before every answer. The durable modes report their rate as a ratio of
// the synchronous one measured in the same run (x_sync). The workers run
// during the measurement, as in production.
//
//	go test -run '^$' -bench Accept -benchtime 5s ./handlers/durable
func BenchmarkAccept(b *testing.B) {
	var syncRate float64
	b.Run("sync", func(b *testing.B) {
		r := newRouter(b, nil, func(context.Context, Event) error { return nil })
		syncRate = benchAccept(b, r, http.StatusOK)
	})
	for _, mode := range []struct {
		name string
		opts []durable.Option
	}{
		{"durable-sync-interval-2m", nil},
		{"durable-sync-always", []durable.Option{durable.WithSyncAlways()}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			opts := append([]durable.Option{durable.WithDir(b.TempDir()), durable.WithLogger(quiet())}, mode.opts...)
			e, err := embedded.Open(context.Background(), opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			r := newRouter(b, e, func(context.Context, Event) error { return nil })
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- e.Run(ctx, r) }()
			rate := benchAccept(b, r, http.StatusAccepted)
			cancel()
			<-done
			if syncRate > 0 {
				b.ReportMetric(rate/syncRate, "x_sync")
			}
		})
	}
}

var benchSeq atomic.Int64

// benchAccept posts b.N unique deliveries to r and reports deliveries/s.
func benchAccept(b *testing.B, r *framework.Router, want int) float64 {
	srv := serve(b, r).URL
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	b.SetParallelism(8) // 8 x GOMAXPROCS (2 here) = 16 senders
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rep, err := send(c, srv, eventBody(int(benchSeq.Add(1))), secret)
			if err != nil || rep.Code != want {
				b.Errorf("answer %d %v, want %d", rep.Code, err, want)
				return
			}
		}
	})
	rate := float64(b.N) / time.Since(start).Seconds()
	b.ReportMetric(rate, "deliveries/s")
	return rate
}
