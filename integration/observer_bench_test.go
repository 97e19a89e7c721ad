package integration_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/metrics"
	"github.com/retabhook/retabhook/handlers/tracing"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// BenchmarkObserverOverhead measures a typical delivery through the router
// with no observer (the baseline, in the same run), with the metrics
// Collector, and with metrics plus tracing through the SDK (sampled,
// not exported). Compare
// ns/op and allocs/op between the sub-benchmarks.
func BenchmarkObserverOverhead(b *testing.B) {
	body := fixtures.ContentEnvelope(`{"number":"INV-1","line_items":[{"description":"Widget","quantity":2},{"description":"Bolt","quantity":10}],"total":21}`)
	sig := framework.Sign(secret, body)
	run := func(b *testing.B, opts ...framework.Option) {
		r, err := framework.NewRouter(append([]framework.Option{framework.WithSecrets(secret), framework.WithLogger(quiet())}, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		framework.Handle(r, func(context.Context, Invoice) error { return nil })
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Retab-Signature", sig)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatal(w.Code, w.Body)
			}
		}
	}
	b.Run("baseline", func(b *testing.B) { run(b) })
	b.Run("metrics", func(b *testing.B) {
		m := metrics.New()
		prometheus.NewRegistry().MustRegister(m)
		run(b, framework.WithObserver(m))
	})
	b.Run("metrics+tracing", func(b *testing.B) {
		m := metrics.New()
		prometheus.NewRegistry().MustRegister(m)
		// Spans are sampled and recorded, then dropped: the SDK's cost
		// without an exporter's.
		tp := sdktrace.NewTracerProvider()
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		run(b, framework.WithObserver(m, tracing.New(tracing.WithTracerProvider(tp))))
	})
	b.Run("metrics+tracing-handle-only", func(b *testing.B) {
		m := metrics.New()
		prometheus.NewRegistry().MustRegister(m)
		tp := sdktrace.NewTracerProvider()
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		run(b, framework.WithObserver(m, tracing.New(tracing.WithTracerProvider(tp), tracing.WithStageSpans(framework.StageHandle, framework.StageDispatch))))
	})
}
