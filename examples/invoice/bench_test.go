package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// BenchmarkReceiver is the example receiver's per-request cost in
// process, as scripts/bench-http.sh runs it (a text log line per
// delivery, metrics, de-duplication, two types routed by schema match),
// and without each of those, on the typical delivery:
//
//	go test -run '^$' -bench BenchmarkReceiver -benchmem ./examples/invoice
func BenchmarkReceiver(b *testing.B) {
	d := retabtest.Signed(testSecret, fixtures.TypicalDelivery())
	for _, v := range []struct {
		name string
		args []string
		log  io.Writer
	}{
		{"as-run", nil, io.Discard},
		{"no-log", nil, nil},
		{"no-metrics", []string{"--metrics=false"}, io.Discard},
		{"no-dedupe", []string{"--dedupe-window=0"}, io.Discard},
	} {
		b.Run("receiver="+v.name, func(b *testing.B) {
			cfg, err := loadConfig(v.args, env("WEBHOOKS_SECRET", testSecret, "ADDR", "127.0.0.1:0", "DATA_DIR", b.TempDir()), io.Discard)
			if err != nil {
				b.Fatal(err)
			}
			logger := slog.New(slog.DiscardHandler)
			if v.log != nil {
				logger = cfg.logger(v.log)
			}
			s, err := newServer(cfg, logger, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(d.Body)))
			for b.Loop() {
				w := httptest.NewRecorder()
				s.webhooks.ServeHTTP(w, d.Request("/webhook"))
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
