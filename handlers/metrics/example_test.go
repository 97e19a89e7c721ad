package metrics_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/metrics"
)

func Example() {
	m := metrics.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)

	r, err := framework.NewRouter(framework.WithSecrets("whsec_example"), framework.WithObserver(m),
		framework.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	type CalendarEvent struct {
		Name string `json:"name"`
		Date string `json:"date"`
	}
	framework.Handle(r, func(context.Context, CalendarEvent) error { return nil })

	mux := http.NewServeMux()
	mux.Handle("POST /webhook", r)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	body := []byte(`{"completion":{"id":"chatcmpl-1","model":"gpt-4.1","choices":[{"index":0,"message":{"content":"{\"name\":\"Team Meeting!\",\"date\":\"2023-12-31\"}"}}]}}`)
	for _, secret := range []string{"whsec_example", "whsec_wrong"} {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", framework.Sign(secret, body))
		mux.ServeHTTP(httptest.NewRecorder(), req)
	}

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for line := range strings.SplitSeq(w.Body.String(), "\n") {
		if strings.HasPrefix(line, "retabhook_deliveries_total") || strings.HasPrefix(line, "retabhook_verif") {
			fmt.Println(line)
		}
	}
	// Output:
	// retabhook_deliveries_total{kind="calendar_event",outcome="processed",status="200"} 1
	// retabhook_deliveries_total{kind="none",outcome="invalid-signature",status="401"} 1
	// retabhook_verification_failures_total{reason="mismatch"} 1
	// retabhook_verified_total{environment="none",secret_index="0"} 1
}

// A durable engine reports what happens after the answer through
// framework.QueueEvent values; WithQueueStats reads its queue at scrape
// time.
func ExampleCollector_QueueEvent() {
	m := metrics.New(metrics.WithQueueStats(func(context.Context) (metrics.QueueStats, error) {
		return metrics.QueueStats{Waiting: 4, InFlight: 1}, nil // engine.Stats(ctx) in a real receiver
	}))
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	ctx := context.Background()
	m.QueueEvent(ctx, framework.QueueEvent{Type: framework.QueueAccepted, Kind: "invoice"})
	m.QueueEvent(ctx, framework.QueueEvent{Type: framework.QueueRetry, Kind: "invoice", Attempt: 1})

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for line := range strings.SplitSeq(w.Body.String(), "\n") {
		if strings.HasPrefix(line, "retabhook_queue_events_total") || strings.HasPrefix(line, "retabhook_queue_depth") {
			fmt.Println(line)
		}
	}
	// Output:
	// retabhook_queue_depth{state="in_flight"} 1
	// retabhook_queue_depth{state="waiting"} 4
	// retabhook_queue_events_total{event="accepted",kind="invoice"} 1
	// retabhook_queue_events_total{event="retry",kind="invoice"} 1
}
