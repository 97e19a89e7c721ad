package tracing_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/tracing"
	"github.com/retabhook/retabhook/internal/fixtures"
)

const secret = "whsec_tracing_test"

type CalendarEvent struct {
	Name string `json:"name"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

// setup returns a router traced into an in-memory exporter; the handler
// records the span context it ran in, and fails for the name "FAIL".
func setup(t *testing.T, opts ...tracing.Option) (*http.ServeMux, *tracetest.InMemoryExporter, *sdktrace.TracerProvider, *trace.SpanContext) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(slog.New(slog.DiscardHandler)),
		framework.WithObserver(tracing.New(append([]tracing.Option{tracing.WithTracerProvider(tp)}, opts...)...)))
	require.NoError(t, err)
	var handlerSpan trace.SpanContext
	framework.Handle(r, func(ctx context.Context, ev CalendarEvent) error {
		handlerSpan = trace.SpanContextFromContext(ctx)
		if ev.Name == "FAIL" {
			return errors.New("calendar API down")
		}
		return nil
	})
	mux := http.NewServeMux()
	mux.Handle("POST /webhook", r)
	return mux, exp, tp, &handlerSpan
}

func request(body []byte, sig string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-Retab-Signature", sig)
	}
	return req
}

func byName(spans tracetest.SpanStubs) map[string]tracetest.SpanStub {
	out := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		out[s.Name] = s
	}
	return out
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	out := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		out[kv.Key] = kv.Value
	}
	return out
}

func TestDeliverySpanAndStages(t *testing.T) {
	mux, exp, _, handlerSpan := setup(t, tracing.WithPropagator(propagation.TraceContext{}))
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	req := request(body, framework.Sign(secret, body))
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req.Header.Set("traceparent", parent)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	require.Equal(t, 200, w.Code)

	spans := exp.GetSpans()
	require.Len(t, spans, 7, "one delivery span and six stage spans")
	got := byName(spans)
	root, ok := got[tracing.DeliverySpan]
	require.True(t, ok)
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", root.SpanContext.TraceID().String(), "continues the caller's trace")
	assert.Equal(t, "00f067aa0ba902b7", root.Parent.SpanID().String())
	assert.True(t, root.Parent.IsRemote())
	assert.Equal(t, trace.SpanKindServer, root.SpanKind)
	assert.Equal(t, codes.Unset, root.Status.Code)

	a := attrs(root)
	assert.Equal(t, "POST", a["http.request.method"].AsString())
	assert.Equal(t, "/webhook", a["url.path"].AsString())
	assert.Equal(t, "POST /webhook", a["http.route"].AsString())
	assert.Equal(t, int64(200), a["http.response.status_code"].AsInt64())
	assert.Equal(t, int64(len(body)), a["http.request.body.size"].AsInt64())
	assert.Equal(t, "calendar_event", a[tracing.AttrKind].AsString())
	assert.Regexp(t, `^dlv2_[0-9a-f]{32}$`, a[tracing.AttrDeliveryID].AsString())
	assert.Equal(t, "chatcmpl-test", a[tracing.AttrCompletionID].AsString())
	assert.Equal(t, "gpt-4.1-2025-04-14", a[tracing.AttrModel].AsString())
	assert.Equal(t, int64(0), a[tracing.AttrSecretIndex].AsInt64())
	assert.NotContains(t, a, attribute.Key("error.type"))
	for _, kv := range root.Attributes {
		assert.NotContains(t, kv.Value.Emit(), secret)
		assert.NotContains(t, kv.Value.Emit(), framework.Sign(secret, body))
	}

	for _, stage := range []framework.Stage{framework.StageRead, framework.StageVerify, framework.StageDecode, framework.StageRoute, framework.StageValidate, framework.StageHandle} {
		s, ok := got[tracing.StageSpanPrefix+string(stage)]
		require.True(t, ok, "span of stage %s", stage)
		assert.Equal(t, root.SpanContext.SpanID(), s.Parent.SpanID(), "stage %s is a child of the delivery span", stage)
		assert.Equal(t, root.SpanContext.TraceID(), s.SpanContext.TraceID())
		assert.Equal(t, codes.Unset, s.Status.Code)
		assert.False(t, s.StartTime.Before(root.StartTime))
		assert.False(t, s.EndTime.After(root.EndTime))
	}
	handle := got["retabhook.handle"]
	assert.Equal(t, handle.SpanContext.SpanID(), handlerSpan.SpanID(), "the handler runs in the handle span's context")
	assert.Equal(t, root.SpanContext.TraceID(), handlerSpan.TraceID())
}

func TestRefusedDeliverySpans(t *testing.T) {
	mux, exp, _, _ := setup(t)
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, request(body, framework.Sign("whsec_wrong", body)))
	require.Equal(t, 401, w.Code)

	spans := exp.GetSpans()
	got := byName(spans)
	require.Len(t, spans, 3, "the delivery, read and verify")
	verify := got["retabhook.verify"]
	assert.Equal(t, codes.Error, verify.Status.Code)
	assert.Equal(t, "Invalid signature", verify.Status.Description)
	assert.Equal(t, "invalid-signature", attrs(verify)["error.type"].AsString())
	assert.Empty(t, verify.Events, "a refused signature's detail is not recorded")

	root := got[tracing.DeliverySpan]
	assert.Equal(t, trace.SpanKindServer, root.SpanKind)
	assert.False(t, root.Parent.IsValid(), "no traceparent: a new trace")
	assert.Equal(t, codes.Unset, root.Status.Code, "a 4xx is not a server error")
	a := attrs(root)
	assert.Equal(t, int64(401), a["http.response.status_code"].AsInt64())
	assert.Equal(t, "invalid-signature", a["error.type"].AsString())
	assert.Equal(t, int64(-1), a[tracing.AttrSecretIndex].AsInt64())
	assert.NotContains(t, a, tracing.AttrKind)
}

func TestViolationSpans(t *testing.T) {
	mux, exp, _, _ := setup(t)
	body := fixtures.ContentEnvelope(`{"name":"Party","date":"31/12/2023"}`)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, request(body, framework.Sign(secret, body)))
	require.Equal(t, 422, w.Code)
	got := byName(exp.GetSpans())
	assert.Equal(t, codes.Error, got["retabhook.validate"].Status.Code)
	assert.NotContains(t, got, "retabhook.handle")
	a := attrs(got[tracing.DeliverySpan])
	assert.Equal(t, "schema-violation", a["error.type"].AsString(), "the datetime rule is a pattern in the schema")
	assert.Equal(t, int64(1), a[tracing.AttrViolations].AsInt64())
	assert.Equal(t, "calendar_event", a[tracing.AttrKind].AsString())
}

func TestHandlerErrorSpans(t *testing.T) {
	mux, exp, _, _ := setup(t)
	body := fixtures.ContentEnvelope(`{"name":"FAIL","date":"2023-12-31"}`)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, request(body, framework.Sign(secret, body)))
	require.Equal(t, 500, w.Code)
	got := byName(exp.GetSpans())
	handle := got["retabhook.handle"]
	assert.Equal(t, codes.Error, handle.Status.Code)
	require.Len(t, handle.Events, 1)
	assert.Equal(t, "exception", handle.Events[0].Name)
	root := got[tracing.DeliverySpan]
	assert.Equal(t, codes.Error, root.Status.Code)
	assert.Equal(t, "Handler failed", root.Status.Description)
	assert.Equal(t, "handler-failed", attrs(root)["error.type"].AsString())
}

// TestInsideHTTPInstrumentation: when the request's context already has a
// span (an HTTP middleware such as otelhttp read the headers), the
// delivery span is its child and the headers are not read again.
func TestInsideHTTPInstrumentation(t *testing.T) {
	mux, exp, tp, _ := setup(t, tracing.WithPropagator(propagation.TraceContext{}))
	outer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, span := tp.Tracer("http").Start(r.Context(), "POST /webhook", trace.WithSpanKind(trace.SpanKindServer))
			defer span.End()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	req := request(body, framework.Sign(secret, body))
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	w := httptest.NewRecorder()
	outer(mux).ServeHTTP(w, req)
	require.Equal(t, 200, w.Code)
	got := byName(exp.GetSpans())
	httpSpan, root := got["POST /webhook"], got[tracing.DeliverySpan]
	assert.Equal(t, httpSpan.SpanContext.SpanID(), root.Parent.SpanID())
	assert.Equal(t, httpSpan.SpanContext.TraceID(), root.SpanContext.TraceID())
	assert.NotEqual(t, "4bf92f3577b34da6a3ce929d0e0e4736", root.SpanContext.TraceID().String())
	assert.Equal(t, trace.SpanKindInternal, root.SpanKind)
}

// TestFinishWithoutStart: an Observer used without its request hook (not
// through WithObserver) must not panic.
func TestFinishWithoutStart(t *testing.T) {
	o := tracing.New()
	ctx, end := o.StartStage(context.Background(), framework.StageRead)
	end(nil)
	o.Finish(ctx, framework.Outcome{Status: 200})
}

// TestDurableModeSpans: in durable mode the last stage is the dispatch,
// and a worker's Router.Process gets a handle span under the context it
// passes.
func TestDurableModeSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	var stored []byte
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(slog.New(slog.DiscardHandler)),
		framework.WithObserver(tracing.New(tracing.WithTracerProvider(tp))),
		framework.WithDispatcher(framework.DispatcherFunc(func(_ context.Context, s framework.Submission) (framework.Acceptance, error) {
			stored = bytes.Clone(s.Body)
			return framework.Acceptance{}, nil
		})))
	require.NoError(t, err)
	var handlerSpan trace.SpanContext
	framework.Handle(r, func(ctx context.Context, ev CalendarEvent) error {
		handlerSpan = trace.SpanContextFromContext(ctx)
		return nil
	})
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, request(body, framework.Sign(secret, body)))
	require.Equal(t, 202, w.Code)
	got := byName(exp.GetSpans())
	require.Contains(t, got, "retabhook.dispatch")
	assert.NotContains(t, got, "retabhook.handle")
	assert.Equal(t, int64(202), attrs(got[tracing.DeliverySpan])["http.response.status_code"].AsInt64())

	exp.Reset()
	worker, span := tp.Tracer("worker").Start(context.Background(), "worker.process")
	_, err = r.Process(worker, framework.Stored{Kind: "calendar_event", Body: stored, Attempt: 2})
	span.End()
	require.NoError(t, err)
	got = byName(exp.GetSpans())
	handle := got["retabhook.handle"]
	assert.Equal(t, span.SpanContext().SpanID(), handle.Parent.SpanID())
	assert.Equal(t, handle.SpanContext.SpanID(), handlerSpan.SpanID())
}

func TestWithStageSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(slog.New(slog.DiscardHandler)),
		framework.WithObserver(tracing.New(tracing.WithTracerProvider(tp), tracing.WithStageSpans(framework.StageVerify))))
	require.NoError(t, err)
	var handlerSpan trace.SpanContext
	framework.Handle(r, func(ctx context.Context, ev CalendarEvent) error {
		handlerSpan = trace.SpanContextFromContext(ctx)
		return nil
	})
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, request(body, framework.Sign(secret, body)))
	require.Equal(t, 200, w.Code)
	spans := exp.GetSpans()
	require.Len(t, spans, 2)
	got := byName(spans)
	require.Contains(t, got, "retabhook.verify")
	root := got[tracing.DeliverySpan]
	assert.Equal(t, root.SpanContext.SpanID(), handlerSpan.SpanID(), "without a handle span, the handler runs in the delivery span")
}

// appPropagator is an application's own propagator: it carries a W3C
// traceparent value in the header X-App-Trace, so a test can tell it from
// the W3C propagator, which reads traceparent.
type appPropagator struct{}

const appHeader = "X-App-Trace"

func (appPropagator) Inject(ctx context.Context, c propagation.TextMapCarrier) {
	m := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, m)
	if v := m.Get("traceparent"); v != "" {
		c.Set(appHeader, v)
	}
}

func (appPropagator) Extract(ctx context.Context, c propagation.TextMapCarrier) context.Context {
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": c.Get(appHeader)})
}

func (appPropagator) Fields() []string { return []string{appHeader} }

// TestApplicationPropagator: by default the Observer reads the caller's
// trace context with the application's propagator (otel's global, set
// even after New), in requests and through Inject/Extract;
// WithPropagator overrides it. Not parallel: it sets the global.
func TestApplicationPropagator(t *testing.T) {
	const caller = "4bf92f3577b34da6a3ce929d0e0e4736"
	const parent = "00-" + caller + "-00f067aa0ba902b7-01"
	serve := func(t *testing.T, mux *http.ServeMux, exp *tracetest.InMemoryExporter, header string) tracetest.SpanStub {
		t.Helper()
		exp.Reset()
		body := fixtures.ContentEnvelope(fixtures.SeedContent)
		req := request(body, framework.Sign(secret, body))
		req.Header.Set(header, parent)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		require.Equal(t, 200, w.Code, w.Body.String())
		root, ok := byName(exp.GetSpans())[tracing.DeliverySpan]
		require.True(t, ok)
		return root
	}
	prev := otel.GetTextMapPropagator()
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })

	byDefault, expDefault, _, _ := setup(t) // built before the application sets its propagator
	overridden, expOver, _, _ := setup(t, tracing.WithPropagator(propagation.TraceContext{}))
	otel.SetTextMapPropagator(appPropagator{})

	t.Run("default reads the application's header", func(t *testing.T) {
		root := serve(t, byDefault, expDefault, appHeader)
		assert.Equal(t, caller, root.SpanContext.TraceID().String())
		assert.True(t, root.Parent.IsRemote())
	})
	t.Run("default ignores traceparent, which the application's propagator does not read", func(t *testing.T) {
		root := serve(t, byDefault, expDefault, "traceparent")
		assert.NotEqual(t, caller, root.SpanContext.TraceID().String())
		assert.False(t, root.Parent.IsValid())
	})
	t.Run("WithPropagator reads traceparent", func(t *testing.T) {
		root := serve(t, overridden, expOver, "traceparent")
		assert.Equal(t, caller, root.SpanContext.TraceID().String())
	})
	t.Run("WithPropagator ignores the application's header", func(t *testing.T) {
		root := serve(t, overridden, expOver, appHeader)
		assert.False(t, root.Parent.IsValid())
	})
	t.Run("Inject and Extract use the application's propagator", func(t *testing.T) {
		o := tracing.New()
		ctx := (appPropagator{}).Extract(context.Background(), propagation.MapCarrier{appHeader: parent})
		got := map[string]string{}
		o.Inject(ctx, func(k, v string) { got[k] = v })
		assert.Equal(t, map[string]string{appHeader: parent}, got)
		back := o.Extract(context.Background(), func(k string) string { return got[k] })
		assert.Equal(t, caller, trace.SpanContextFromContext(back).TraceID().String())
	})
}
