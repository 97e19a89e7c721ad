package tracing_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/tracing"
)

func Example() {
	// An in-memory exporter stands in for the application's exporter.
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	r, err := framework.NewRouter(framework.WithSecrets("whsec_example"),
		// The trace context is read with the application's propagator
		// (otel.SetTextMapPropagator(propagation.TraceContext{}) in main);
		// WithPropagator names one here instead.
		framework.WithObserver(tracing.New(tracing.WithTracerProvider(tp), tracing.WithPropagator(propagation.TraceContext{}))),
		framework.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	type CalendarEvent struct {
		Name string `json:"name"`
		Date string `json:"date"`
	}
	framework.Handle(r, func(ctx context.Context, ev CalendarEvent) error {
		// The handler's context continues the sender's trace.
		fmt.Println("handler trace:", trace.SpanContextFromContext(ctx).TraceID())
		return nil
	})

	body := []byte(`{"completion":{"id":"chatcmpl-1","model":"gpt-4.1","choices":[{"index":0,"message":{"content":"{\"name\":\"Team Meeting!\",\"date\":\"2023-12-31\"}"}}]}}`)
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", framework.Sign("whsec_example", body))
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	r.ServeHTTP(httptest.NewRecorder(), req)

	for _, s := range exp.GetSpans() {
		fmt.Println(s.Name)
	}
	// Output:
	// handler trace: 4bf92f3577b34da6a3ce929d0e0e4736
	// retabhook.read
	// retabhook.verify
	// retabhook.decode
	// retabhook.route
	// retabhook.validate
	// retabhook.handle
	// retabhook.delivery
}
