package framework

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/retabhook/retabhook/internal/fastpath"
	"github.com/retabhook/retabhook/internal/printable"
	"github.com/retabhook/retabhook/internal/rulecheck"
	"github.com/retabhook/retabhook/schemas"
)

// Router receives Retab webhooks and dispatches each delivery to the
// handler registered for its type. It is an http.Handler; build it with
// [NewRouter], register handlers with [Handle], then mount it. It is safe
// for concurrent use once registration is done.
type Router struct {
	cfg      config
	validate *validator.Validate

	mu     sync.RWMutex
	routes map[string]*route // by kind
	events map[string]*route // by event type (HandleEvent)
	types  map[reflect.Type]string
	order  []*route // registration order

	secretSets map[string]*secretSet // by environment; "" for a delivery that names none
	budget     *budget               // nil without WithMaxInFlightBytes
	pc         atomic.Uintptr        // the delivery line's source (logPC); 0 until the first
	answers    sync.Pool             // *[]byte: writeAnswer's buffers
}

type route struct {
	kind   string
	typ    reflect.Type
	schema *schemas.Schema
	decode func([]byte) (any, error)
	call   HandlerFunc // with middleware applied
	review *review     // nil without WithReview

	output *schemas.Schema    // HandleCall's response schema; nil for webhooks
	fast   *fastpath.Program  // nil: the full validator only
	rules  *rulecheck.Program // the validate tags without the validator, for values that pass; nil: the validator only

	overlaps []overlap // kinds whose schemas accept a common instance (written under mu)
	pos      int       // index in the router's order
}

// NewRouter builds a router. It fails when no secret is configured, unless
// [WithInsecureSkipVerify] is given.
func NewRouter(opts ...Option) (*Router, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	if cfg.apiCall != nil {
		if err := cfg.checkAPICall(); err != nil {
			return nil, err
		}
	} else if len(cfg.secrets) == 0 && len(cfg.envSecrets) == 0 && !cfg.insecure {
		return nil, ErrNoSecret
	}
	if cfg.schemes == nil {
		cfg.schemes = []Scheme{HexScheme(cfg.signatureHeaders...), TimestampScheme(cfg.formula, cfg.signatureHeaders...)}
	}
	if cfg.formats == nil {
		cfg.formats = DefaultFormats()
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.insecure {
		cfg.logger.Warn("retabhook: signature verification is OFF (WithInsecureSkipVerify); anyone can post deliveries. Use it for local development only.")
	}
	r := &Router{
		cfg:      cfg,
		validate: newValidator(),
		routes:   map[string]*route{},
		events:   map[string]*route{},
		types:    map[reflect.Type]string{},
	}
	r.secretSets = newSecretSets(cfg.secrets, cfg.envSecrets)
	if cfg.maxInFlight > 0 {
		r.budget = newBudget(cfg.maxInFlight)
	}
	return r, nil
}

func (r *Router) register(typ reflect.Type, decode func([]byte) (any, error), call HandlerFunc, opts []HandleOption) error {
	var hc handleConfig
	for _, o := range opts {
		o(&hc)
	}
	kind := hc.kind
	if kind == "" {
		kind = kindOf(typ)
	}
	if kind == "" {
		return fmt.Errorf("%w: %s has no name; give it one with WithKind", ErrRegistration, typ)
	}
	if err := checkKind(kind); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrRegistration, typ, err)
	}
	sch := hc.schema
	if sch == nil {
		var err error
		if sch, err = schemas.ForType(typ, r.cfg.schemaOptions...); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrRegistration, typ, err)
		}
	}
	if err := checkRules(r.validate, typ); err != nil {
		return err
	}
	rules := rulecheck.Compile(r.validate, typ)
	if err := checkReview(hc.review, typ); err != nil {
		return err
	}
	call = r.wrap(call, hc.middleware)
	var rv *review
	if hc.review != nil {
		rv = &review{policy: hc.review.policy, typ: hc.review.typ, call: r.wrap(hc.review.call, hc.middleware)}
	}

	overlaps := r.findOverlaps(sch)
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.types[typ]; ok {
		return fmt.Errorf("%w: type %s is already registered (kind %q)", ErrRegistration, typ, prev)
	}
	if prev, ok := r.routes[kind]; ok {
		return fmt.Errorf("%w: kind %q is already registered for %s: give %s another kind with WithKind", ErrRegistration, kind, prev.typ, typ)
	}
	if (hc.output != nil) != (r.cfg.apiCall != nil) {
		return fmt.Errorf("%w: %s: an API Call router takes HandleCall handlers only, a webhook router Handle and HandleEvent ones", ErrRegistration, typ)
	}
	rt := &route{kind: kind, typ: typ, schema: sch, decode: decode, call: call, review: rv, output: hc.output, fast: compileFast(sch), rules: rules, pos: len(r.order)}
	r.routes[kind] = rt
	r.types[typ] = kind
	r.order = append(r.order, rt)
	r.addOverlaps(rt, overlaps)
	return nil
}

// wrap applies a registration's middleware, then the router's, to call.
func (r *Router) wrap(call HandlerFunc, own []Middleware) HandlerFunc {
	for i := len(own) - 1; i >= 0; i-- {
		call = own[i](call)
	}
	for i := len(r.cfg.middleware) - 1; i >= 0; i-- {
		call = r.cfg.middleware[i](call)
	}
	return call
}

// noKinds reports whether no struct handler is registered.
func (r *Router) noKinds() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.order) == 0
}

// Kinds returns the registered kinds in registration order.
func (r *Router) Kinds() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.kindsLocked()
}

// kindsLocked is Kinds for a caller that holds r.mu.
func (r *Router) kindsLocked() []string {
	out := make([]string, len(r.order))
	for i, rt := range r.order {
		out[i] = rt.kind
	}
	return out
}

// matchingLocked returns, in registration order, the kinds other than
// except's whose schema the content matches, for the refusals of a
// delivery that named a kind: an unknown one, or one whose schema refused
// it. The caller holds r.mu. It costs one validation per other kind, on
// the refusal path only.
func (r *Router) matchingLocked(c *content, except *route) []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, rt := range r.order {
		if rt == except {
			continue
		}
		if _, ok := c.matches(rt); ok {
			out = append(out, rt.kind)
		}
	}
	return out
}

// unknownKindLocked is the refusal of a kind that is not registered: it lists
// the registered kinds and those the content matches.
func (r *Router) unknownKindLocked(kind string, c *content) *RouteError {
	return &RouteError{Kind: kind, Err: ErrUnknownKind, Registered: r.kindsLocked(), Candidates: r.matchingLocked(c, nil)}
}

// Schema returns the schema deliveries of a kind are validated against.
func (r *Router) Schema(kind string) (*schemas.Schema, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	rt, ok := r.routes[kind]
	if !ok {
		return nil, false
	}
	return rt.schema, true
}

// okBody is the JSON answered for a handled delivery.
type okBody struct {
	Status     string `json:"status"`
	Kind       string `json:"kind"`
	DeliveryID string `json:"delivery_id"`
	Review     bool   `json:"review,omitempty"`
}

// ServeHTTP runs the pipeline: method and media type, body limit,
// signature, envelope, routing, schema, validate rules, handler.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	ctx := req.Context()
	if ro, ok := r.cfg.observer.(RequestObserver); ok {
		ctx = ro.StartRequest(ctx, req)
	}
	out := Outcome{SecretIndex: -1}
	var consumed bool
	d, err := r.serve(ctx, w, req, start, &out, &consumed)
	// One read of the monotonic clock for the duration; the log record's
	// time is start's wall clock plus it (time.Now reads both clocks).
	took := time.Since(start)
	done := start.Add(took)
	out.Delivery, out.Err, out.Status, out.Duration = d, err, StatusOf(err), took
	if err != nil {
		// Declared here, as errors.As makes it escape: the answer of a
		// delivery processed allocates nothing for it.
		var qe *QuarantinedError
		if errors.As(err, &qe) {
			out.QuarantineID = qe.ID
		}
		if !consumed && req.ContentLength != 0 {
			// The body was not read (or not to its end): close the
			// connection rather than let net/http wait to discard it.
			w.Header().Set("Connection", "close")
		}
		r.cfg.errorWriter(w, req, err)
	} else {
		r.writeAnswer(w, d, &out)
	}
	r.log(ctx, out, done)
	if r.cfg.observer != nil {
		r.cfg.observer.Finish(ctx, out)
	}
}

func (r *Router) stage(ctx context.Context, s Stage) (context.Context, func(error)) {
	if r.cfg.observer == nil {
		return ctx, func(error) {}
	}
	return r.cfg.observer.StartStage(ctx, s)
}

// serve sets *consumed once the body is read; start is when ServeHTTP
// took the request.
func (r *Router) serve(ctx context.Context, w http.ResponseWriter, req *http.Request, start time.Time, out *Outcome, consumed *bool) (*Delivery, error) {
	if req.Method != http.MethodPost {
		return nil, fmt.Errorf("%w: %s", ErrMethodNotAllowed, printable.Quote(req.Method, printable.MaxEcho))
	}
	if err := checkMediaType(headerValue(req.Header, "Content-Type")); err != nil {
		return nil, err
	}

	// The signature headers are checked first: a request without a
	// well-formed signature (or with an expired timestamp, or an unknown
	// environment) is answered at once, before anything is reserved,
	// read or allocated for it, and without "100 Continue".
	auth, authErr := r.authenticate(req.Header)
	if authErr != nil && !r.cfg.insecure {
		auth.release()
		_, end := r.stage(ctx, StageVerify)
		end(authErr)
		return nil, authErr
	}
	if req.ContentLength > r.cfg.maxBody {
		auth.release()
		return nil, fmt.Errorf("%w: %d bytes declared, limit is %d", ErrBodyTooLarge, req.ContentLength, r.cfg.maxBody)
	}

	// The body is hashed while it is read (HMAC per secret of the
	// delivery's environment; a large body's XXH3-128 for the delivery ID).
	room := auth.take()
	defer auth.set.put(room)
	h := room.h
	var prefix []byte
	if auth.sig != nil {
		prefix = auth.sig.Prefix
	}
	h.reset(!r.cfg.insecure, prefix)
	_, end := r.stage(ctx, StageRead)
	var body []byte
	clock := r.newBodyClock(w, start)
	held, pre, preErr, err := r.reserve(ctx, req, &clock)
	if err == nil {
		defer r.unreserve(held)
		body, err = r.readBody(req, h, &clock, pre, preErr)
	}
	out.BodyBytes = int64(len(body))
	end(err)
	if err != nil {
		return nil, err
	}
	*consumed = true
	if req.Body != nil {
		// Read to its end: closed now, net/http does not try to read past
		// it (an io.CopyN to discard the rest) once the answer is written.
		_ = req.Body.Close()
	}

	_, end = r.stage(ctx, StageVerify)
	secretIndex := -1
	if !r.cfg.insecure {
		err = authErr
		switch {
		case err == nil && auth.sig != nil:
			secretIndex, err = matchSignature(auth.sig, h.sums)
		case err == nil:
			secretIndex = auth.tokenIndex
		}
	}
	end(err)
	if err != nil {
		return nil, err
	}
	out.SecretIndex = secretIndex

	d, rt, err := r.prepare(ctx, req, body, h, &auth, secretIndex)
	if err == nil {
		err = r.deliver(ctx, rt, d, body, out)
	}
	if err == nil && out.Ignored {
		r.keepIgnored(ctx, req, body, d, out)
	}
	if err != nil && !r.cfg.insecure {
		// Authentic and refused: kept before the answer (quarantine.go).
		err = r.keep(ctx, req, body, d, err)
	}
	return d, err
}

// prepare decodes, routes, validates and decodes the body into the
// registered type.
// A nil route with a nil error is an event nobody handles (ignored).
func (r *Router) prepare(ctx context.Context, req *http.Request, body []byte, h *bodyHashes, a *auth, secretIndex int) (*Delivery, *route, error) {
	_, end := r.stage(ctx, StageDecode)
	d, c, err := r.decode(body, h)
	if d != nil {
		a.describe(d, secretIndex)
		if err == nil {
			err = a.checkEnvironment(d)
		}
	}
	end(err)
	if err != nil {
		return d, nil, err
	}
	return r.resolve(ctx, d, c, func() (*route, []byte, error) { return r.pick(req, d, c) })
}

// resolve routes a decoded delivery (events by type, content with pick),
// then validates and decodes its content. A nil route with a nil error is
// an event nobody handles.
func (r *Router) resolve(ctx context.Context, d *Delivery, c *content, pick func() (*route, []byte, error)) (*Delivery, *route, error) {
	if d.Event != nil {
		if rt, ok := r.eventRoute(d.Event.Type); ok || c == nil || r.noKinds() {
			return d, rt, r.checkEvent(ctx, rt, d)
		}
	}

	_, end := r.stage(ctx, StageRoute)
	rt, inst, err := pick()
	end(err)
	if err != nil {
		return d, nil, err
	}
	d.Kind = rt.kind

	_, end = r.stage(ctx, StageValidate)
	err = r.check(rt, d, c, inst)
	end(err)
	return d, rt, err
}

func checkMediaType(ct string) error {
	if ct == "application/json" {
		return nil // what Retab sends, without mime.ParseMediaType's map
	}
	if ct == "" {
		return fmt.Errorf("%w: no Content-Type; send application/json", ErrUnsupportedMediaType)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return fmt.Errorf("%w: %s; send application/json", ErrUnsupportedMediaType, printable.Quote(ct, printable.MaxEcho))
	}
	return nil
}

// decode finds the body's format and decodes it, then prepares the
// extracted content. h holds what was computed while reading the body
// (nil when it was not read by the router: computed here if needed).
func (r *Router) decode(body []byte, h *bodyHashes) (*Delivery, *content, error) {
	// The envelope's own trees (metadata, likelihoods) are bounded with
	// the body; the content, often a JSON string in it, on its own below.
	runs := h.plainRuns()
	if err := r.cfg.parse.checkRuns("the body", body, runs); err != nil {
		return nil, nil, err
	}
	d, err := decodeFormats(body, runs, r.cfg.formats)
	if d == nil {
		return nil, nil, err
	}
	d.digest = h.digestOf(body)
	d.ID, d.body = d.digest.id(), body
	d.SecretIndex, d.Attempt = -1, 1
	if err != nil || d.Content == nil && d.Event != nil {
		return d, nil, err
	}
	if err := r.cfg.parse.check("the extracted content", d.Content); err != nil {
		return d, nil, err
	}
	var room *content
	if h != nil {
		room = &h.ct
	}
	r.mu.RLock()
	ct, anns, err := newContent(d.Content, r.order, room)
	r.mu.RUnlock()
	if err != nil {
		return d, nil, contentError(err)
	}
	d.Annotations = anns
	return d, ct, nil
}

// pick chooses the route. inst is the instance to decode when the content
// already passed the route's schema (when it was chosen by schema match).
func (r *Router) pick(req *http.Request, d *Delivery, c *content) (rt *route, inst []byte, err error) {
	kind := ""
	r.mu.RLock()
	n := len(r.order)
	r.mu.RUnlock()
	if n > 1 {
		if kind, err = r.cfg.route(req, d); err != nil {
			return nil, nil, err
		}
	}
	return r.choose(kind, c)
}

// choose takes the route of kind, or with kind "" the one registered type,
// else the one whose schema the content matches.
func (r *Router) choose(kind string, c *content) (rt *route, inst []byte, err error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	switch len(r.order) {
	case 0:
		return nil, nil, &RouteError{Err: ErrNoRoute}
	case 1:
		// As during a request: with one type, the route is not asked.
		return r.order[0], nil, nil
	}
	if kind != "" {
		rt, ok := r.routes[kind]
		if !ok {
			return nil, nil, r.unknownKindLocked(kind, c)
		}
		return rt, nil, nil
	}
	var matched []*route
	for _, rt := range r.order {
		if i, ok := c.matches(rt); ok {
			matched, inst = append(matched, rt), i
		}
	}
	switch len(matched) {
	case 1:
		return matched[0], inst, nil
	case 0:
		reasons := make([]string, 0, len(r.order))
		for _, rt := range r.order {
			_, err := c.validate(rt)
			reasons = append(reasons, mismatchReason(rt.kind, err))
		}
		return nil, nil, &RouteError{Err: ErrNoRoute, Reasons: reasons}
	}
	kinds := make([]string, len(matched))
	for i, rt := range matched {
		kinds[i] = rt.kind
	}
	slices.Sort(kinds)
	return nil, nil, &RouteError{Candidates: kinds, Err: ErrAmbiguousRoute}
}

// mismatchReason summarises why content does not fit a kind's schema.
func mismatchReason(kind string, err error) string {
	var se *schemas.ValidationError
	if !errors.As(err, &se) || len(se.Violations) == 0 {
		return kind + ": " + err.Error()
	}
	v := se.Violations[0]
	return fmt.Sprintf("%s: %d violation(s), first at %s: %s", kind, len(se.Violations), cutText(pointerOrRoot(v.Pointer)), cutText(v.Message))
}

// check validates the content against rt's schema (unless inst is the
// instance that already passed it), decodes the instance into rt's type
// and applies the validate rules; d.Value gets the value.
func (r *Router) check(rt *route, d *Delivery, c *content, inst []byte) error {
	var schemaVs []schemas.Violation
	if inst == nil {
		var err error
		if inst, err = c.validate(rt); err != nil {
			var se *schemas.ValidationError
			if !errors.As(err, &se) || len(se.Violations) == 0 {
				return NewViolationError(rt.kind, []schemas.Violation{{Message: err.Error()}}, ErrSchemaViolation)
			}
			// The other violations are found on the content as it is.
			schemaVs, inst = se.Violations, c.clean
		}
	}
	v, ve := r.verdict(rt, inst, schemaVs)
	if ve != nil {
		if schemaVs != nil {
			r.mu.RLock()
			ve.Matches = r.matchingLocked(c, rt) // the kind was named (or is the only one): say which fits
			r.mu.RUnlock()
		}
		return ve
	}
	d.Value = v
	if rt.review != nil {
		d.Review = rt.review.policy.reason(d)
	}
	return nil
}

// rules applies validate tags to a decoded struct value of rt's type: the
// route's rule program answers for a value that passes, and the validator
// for any other (internal/rulecheck), so errors are the validator's.
func (r *Router) rules(rt *route, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Struct {
		// The decoded value itself (what the route's decode returns):
		// the program reads it in place.
		if rt.rules.PassesAny(v) {
			return nil
		}
		return r.validate.Struct(v)
	}
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil
	}
	if rt.rules.Passes(rv) {
		return nil
	}
	return r.validate.Struct(v)
}

// run calls the route's handler, turning errors and panics into a
// *HandlerError.
func (r *Router) run(ctx context.Context, rt *route, d *Delivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &HandlerError{Kind: rt.kind, Err: &PanicError{Value: p, Stack: debug.Stack()}}
		}
	}()
	call := rt.call
	if d.Review != nil && rt.review != nil {
		call = rt.review.call
	}
	if err := call(WithDelivery(ctx, d), d); err != nil {
		var rej *RejectedError
		if errors.As(err, &rej) {
			rej.Kind = rt.kind
			return err
		}
		return &HandlerError{Kind: rt.kind, Err: err}
	}
	return nil
}

// log writes the request's line: a record built here rather than by
// Logger.LogAttrs, so that its time is ServeHTTP's (at, the clock read the
// duration ends with) and its source (HandlerOptions.AddSource) is found
// once per router (logPC) rather than by a stack walk per request; the
// same record, attrs and order as LogAttrs would give the handler.
func (r *Router) log(ctx context.Context, o Outcome, at time.Time) {
	level := slog.LevelInfo
	switch {
	case o.Status >= 500:
		level = slog.LevelError
	case o.Status >= 400:
		level = slog.LevelWarn
	}
	h := r.cfg.logger.Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	// On the stack, added at once: the record keeps 5 attrs inline and
	// the others in one allocation.
	var buf [18]slog.Attr
	attrs := append(buf[:0], slog.Int("status", o.Status), slog.Duration("duration", o.Duration), slog.Int64("body_bytes", o.BodyBytes))
	if d := o.Delivery; d != nil {
		attrs = append(attrs,
			slog.String("kind", d.Kind),
			slog.String("delivery_id", d.ID),
			slog.String("completion_id", printable.Bound(d.CompletionID, printable.MaxEcho)),
			slog.String("model", printable.Bound(d.Model, printable.MaxEcho)),
			slog.Int("secret_index", d.SecretIndex),
			slog.String("format", d.Format),
		)
		if d.Scheme != "" {
			attrs = append(attrs, slog.String("scheme", d.Scheme))
		}
		if d.Formula != "" {
			attrs = append(attrs, slog.String("formula", string(d.Formula)))
		}
		if d.Event != nil {
			attrs = append(attrs, slog.String("event_type", d.Event.Type), slog.String("event_id", d.Event.ID))
		}
		if d.Environment != "" {
			attrs = append(attrs, slog.String("environment", d.Environment))
		}
	}
	if o.Err != nil {
		attrs = append(attrs, slog.String("problem", ProblemOf(o.Err).Slug), slog.String("error", o.Err.Error()))
		if o.QuarantineID != "" {
			attrs = append(attrs, slog.String("quarantine_id", o.QuarantineID))
		}
		var ve *ViolationError
		if errors.As(o.Err, &ve) {
			attrs = append(attrs, slog.Int("violations", ve.Total()))
		}
		var pe *PanicError
		if errors.As(o.Err, &pe) {
			attrs = append(attrs, slog.String("stack", string(pe.Stack)))
		}
	}
	rec := slog.NewRecord(at, level, "retabhook delivery", r.logPC())
	rec.AddAttrs(attrs...)
	_ = h.Handle(ctx, rec)
}

// logPC is the program counter of the delivery line, what a handler with
// AddSource reports (framework/router.go, (*Router).log): found by
// runtime.Callers on the first line, then kept.
func (r *Router) logPC() uintptr {
	if pc := r.pc.Load(); pc != 0 {
		return pc
	}
	var pcs [1]uintptr
	runtime.Callers(2, pcs[:]) // skip Callers and logPC: the line in log
	r.pc.Store(pcs[0])
	return pcs[0]
}
