package integration_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/tracing"
)

// TestTraceContextReachesTheWorker checks that, with WithPropagator, the
// handler a worker runs belongs to the trace of the request that
// delivered the extraction, under the request's delivery span; and that
// without it, the worker starts a trace of its own.
func TestTraceContextReachesTheWorker(t *testing.T) {
	const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	callerTrace, err := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	require.NoError(t, err)

	for _, propagate := range []bool{true, false} {
		t.Run(map[bool]string{true: "propagated", false: "not propagated"}[propagate], func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
			obs := tracing.New(tracing.WithTracerProvider(tp), tracing.WithPropagator(propagation.TraceContext{}))

			opts := fast(t.TempDir())
			if propagate {
				opts = append(opts, durable.WithPropagator(obs))
			}
			eng := openEngine(t, opts...)
			handled := make(chan trace.SpanContext, 1)
			r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quiet()),
				framework.WithDispatcher(eng), framework.WithObserver(obs))
			require.NoError(t, err)
			framework.Handle(r, func(ctx context.Context, _ Event) error {
				handled <- trace.SpanContextFromContext(ctx)
				return nil
			})
			run(t, eng, r)

			body := eventBody(1)
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Retab-Signature", framework.Sign(secret, body))
			req.Header.Set("traceparent", traceparent)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())

			var sc trace.SpanContext
			select {
			case sc = <-handled:
			case <-time.After(20 * time.Second):
				t.Fatal("the worker did not run the handler")
			}
			require.True(t, sc.IsValid())

			var delivery sdktrace.ReadOnlySpan
			for _, s := range exp.GetSpans().Snapshots() {
				if s.Name() == tracing.DeliverySpan {
					delivery = s
				}
			}
			require.NotNil(t, delivery, "the request's delivery span")
			require.Equal(t, callerTrace, delivery.SpanContext().TraceID())

			if !propagate {
				assert.NotEqual(t, callerTrace, sc.TraceID(), "without a propagator the worker starts its own trace")
				return
			}
			assert.Equal(t, callerTrace, sc.TraceID(), "the handler runs in the caller's trace")
			// The handler's span (retabhook.handle) is a child of the
			// request's delivery span.
			require.Eventually(t, func() bool {
				for _, s := range exp.GetSpans().Snapshots() {
					if s.SpanContext().SpanID() == sc.SpanID() {
						return s.Parent().SpanID() == delivery.SpanContext().SpanID()
					}
				}
				return false
			}, 10*time.Second, 20*time.Millisecond)
		})
	}
}
