// Package tracing traces a framework.Router's deliveries with
// OpenTelemetry. It is opt-in: importing package framework does not
// compile OpenTelemetry; importing this package compiles its API (not its
// SDK, which the application chooses and configures).
//
//	r, err := framework.NewRouter(framework.WithSecrets(secret),
//		framework.WithObserver(tracing.New()))
//
// # Spans
//
// Each request gets a span named "retabhook.delivery", with one child
// span per pipeline stage: "retabhook.read", "retabhook.verify",
// "retabhook.decode", "retabhook.route", "retabhook.validate" and
// "retabhook.handle", as far as the request got. The handler's context is
// the handle span's context, so the spans a handler starts (a database
// call, an outgoing HTTP request) are children of it, and trace context
// propagates from there.
//
// The delivery span continues the caller's trace: the span already in the
// request's context when there is one (the router is wrapped in an HTTP
// instrumentation such as otelhttp), else the trace context the
// application's propagator reads from the headers (otel.SetTextMapPropagator,
// often propagation.TraceContext{} for W3C traceparent; [WithPropagator]
// sets another), else a new trace. It carries http.request.method,
// url.path, http.route, http.request.body.size, http.response.status_code,
// error.type (the problem slug) on failure, and retabhook.kind,
// retabhook.delivery_id, retabhook.completion_id, retabhook.model,
// retabhook.secret_index and retabhook.violations. Secrets, signatures,
// the body and the document are never recorded.
//
// A stage that fails has status Error and error.type; the handle stage
// also records the handler's error as an exception event. The delivery
// span has status Error only for a 5xx answer: a refused signature or a
// schema violation is the receiver doing its job.
//
// Use it with the metrics Observer by giving both to
// framework.WithObserver; they combine.
package tracing
