package tracing

import (
	"context"
	"errors"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/retabhook/retabhook/framework"
)

// ScopeName is the instrumentation scope of the spans: the name the
// tracer is obtained with.
const ScopeName = "github.com/retabhook/retabhook/handlers/tracing"

// Span names.
const (
	// DeliverySpan is the name of the span that covers a whole request.
	DeliverySpan = "retabhook.delivery"
	// StageSpanPrefix starts the name of each stage's span:
	// "retabhook.read", "retabhook.verify", ... "retabhook.handle".
	StageSpanPrefix = "retabhook."
)

// Attribute keys set on the delivery span, besides the HTTP ones
// (http.request.method, url.path, http.route, http.request.body.size,
// http.response.status_code, error.type).
const (
	AttrKind         = attribute.Key("retabhook.kind")
	AttrDeliveryID   = attribute.Key("retabhook.delivery_id")
	AttrCompletionID = attribute.Key("retabhook.completion_id")
	AttrModel        = attribute.Key("retabhook.model")
	AttrSecretIndex  = attribute.Key("retabhook.secret_index")
	AttrViolations   = attribute.Key("retabhook.violations")
)

// Observer traces deliveries: a span per request and a child span per
// pipeline stage. Give it to framework.WithObserver. It is safe for
// concurrent use.
type Observer struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator
	stages map[framework.Stage]bool // nil: every stage
}

var _ framework.RequestObserver = (*Observer)(nil)

// Option configures an [Observer].
type Option func(*config)

type config struct {
	provider trace.TracerProvider
	prop     propagation.TextMapPropagator
	stages   map[framework.Stage]bool
}

// WithTracerProvider sets where spans go. Default: otel.GetTracerProvider()
// when [New] runs (the global provider, which forwards to the one set
// later with otel.SetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.provider = tp }
}

// WithPropagator sets how the caller's trace context is read from request
// headers (only when the request's context carries no span yet: an HTTP
// instrumentation such as otelhttp around the router has already read the
// headers), and how [Observer.Inject] and [Observer.Extract] carry it to a
// durable worker. Default (or nil): the application's propagator,
// otel.GetTextMapPropagator() when [New] runs, which forwards to the one
// set later with otel.SetTextMapPropagator; while the application sets
// none it is OpenTelemetry's no-op, which reads no header, so every
// delivery starts a trace of its own. Give
// propagation.TraceContext{} here to read W3C traceparent whatever the
// application set.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) { c.prop = p }
}

// WithStageSpans limits the child spans to the stages given, for
// example framework.StageHandle and framework.StageDispatch alone (about a
// third less tracing cost per delivery, measured by the metrics package's
// BenchmarkObserverOverhead); the handler's context carries the delivery
// span when the handle stage has none. Default: a span for every stage.
func WithStageSpans(stages ...framework.Stage) Option {
	return func(c *config) {
		c.stages = make(map[framework.Stage]bool, len(stages))
		for _, s := range stages {
			c.stages[s] = true
		}
	}
}

// New builds an Observer.
func New(opts ...Option) *Observer {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.provider == nil {
		cfg.provider = otel.GetTracerProvider()
	}
	if cfg.prop == nil {
		cfg.prop = otel.GetTextMapPropagator()
	}
	return &Observer{tracer: cfg.provider.Tracer(ScopeName), prop: cfg.prop, stages: cfg.stages}
}

type spanKey struct{}

// StartRequest implements framework.RequestObserver: it opens the
// delivery span, as a child of the span already in ctx, or else of the
// trace context in the request's headers, or else as a new trace. The
// returned context carries it, so the stages, the handler and Finish see
// it.
func (o *Observer) StartRequest(ctx context.Context, r *http.Request) context.Context {
	kind := trace.SpanKindInternal
	if !trace.SpanContextFromContext(ctx).IsValid() {
		ctx = o.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
		kind = trace.SpanKindServer
	}
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", r.Method),
		attribute.String("url.path", r.URL.Path),
	}
	if r.Pattern != "" {
		attrs = append(attrs, attribute.String("http.route", r.Pattern))
	}
	ctx, span := o.tracer.Start(ctx, DeliverySpan, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
	return context.WithValue(ctx, spanKey{}, span)
}

// StartStage implements framework.Observer: it opens the stage's span,
// a child of the delivery span. The handle stage's context, with its
// span, is the handler's context.
func (o *Observer) StartStage(ctx context.Context, s framework.Stage) (context.Context, func(error)) {
	if o.stages != nil && !o.stages[s] {
		return ctx, noop
	}
	ctx, span := o.tracer.Start(ctx, StageSpanPrefix+string(s), trace.WithSpanKind(trace.SpanKindInternal))
	return ctx, func(err error) {
		if err != nil {
			p := framework.ProblemOf(err)
			span.SetAttributes(attribute.String("error.type", p.Slug))
			if s == framework.StageHandle {
				span.RecordError(err)
			}
			span.SetStatus(codes.Error, p.Title)
		}
		span.End()
	}
}

// Finish implements framework.Observer: it describes the delivery on its
// span and ends it. A 5xx answer sets the span's status to Error; a 4xx
// does not (the receiver worked as intended), but sets error.type to the
// problem's slug, as every failure does.
func (o *Observer) Finish(ctx context.Context, out framework.Outcome) {
	span, ok := ctx.Value(spanKey{}).(trace.Span)
	if !ok {
		return
	}
	attrs := []attribute.KeyValue{
		attribute.Int("http.response.status_code", out.Status),
		attribute.Int64("http.request.body.size", out.BodyBytes),
		AttrSecretIndex.Int(out.SecretIndex),
	}
	if d := out.Delivery; d != nil {
		attrs = append(attrs, AttrDeliveryID.String(d.ID), AttrCompletionID.String(d.CompletionID), AttrModel.String(d.Model))
		if d.Kind != "" {
			attrs = append(attrs, AttrKind.String(d.Kind))
		}
	}
	if out.Err != nil {
		p := framework.ProblemOf(out.Err)
		attrs = append(attrs, attribute.String("error.type", p.Slug))
		var ve *framework.ViolationError
		if errors.As(out.Err, &ve) {
			attrs = append(attrs, AttrViolations.Int(ve.Total()))
		}
		if out.Status >= 500 {
			span.SetStatus(codes.Error, p.Title)
		}
	}
	span.SetAttributes(attrs...)
	span.End()
}

func noop(error) {}

// Inject writes the trace context of ctx with the Observer's propagator,
// through set. With Extract it makes the Observer a durable.Propagator:
// durable.WithPropagator(observer) stores a delivery's trace context with
// it, so the worker's spans join the request's trace.
func (o *Observer) Inject(ctx context.Context, set func(key, value string)) {
	o.prop.Inject(ctx, funcCarrier{set: set})
}

// Extract returns ctx with the trace context read through get, for the
// worker that runs a stored delivery's handler.
func (o *Observer) Extract(ctx context.Context, get func(key string) string) context.Context {
	return o.prop.Extract(ctx, funcCarrier{get: get})
}

// funcCarrier adapts a getter or a setter to propagation.TextMapCarrier.
type funcCarrier struct {
	get func(string) string
	set func(string, string)
}

func (c funcCarrier) Get(key string) string {
	if c.get == nil {
		return ""
	}
	return c.get(key)
}

func (c funcCarrier) Set(key, value string) {
	if c.set != nil {
		c.set(key, value)
	}
}

// Keys is not needed by the propagators that inject and extract through
// a carrier's Get and Set; it reports none.
func (funcCarrier) Keys() []string { return nil }
