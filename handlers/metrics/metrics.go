package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/printable"
)

// NoKind is the kind label of a delivery that failed before it was routed
// to a registered type (bad signature, malformed envelope, no route...).
const NoKind = "none"

// OtherPointer is the pointer label that stands for every pointer of a
// kind beyond the first [WithMaxPointers] distinct ones.
const OtherPointer = "other"

// RootPointer is the pointer label of a violation of the whole object
// (for example a missing property, which JSON Schema reports on the
// parent).
const RootPointer = "/"

// MaxLabelBytes is the longest label value recorded: a longer pointer or
// keyword (a pointer names the content's members, which a sender chooses)
// is cut to it and ends in "...", so /metrics stays small whatever the
// deliveries hold.
const MaxLabelBytes = 128

// labelValue cuts s to MaxLabelBytes.
func labelValue(s string) string {
	head, rest := printable.Cut(s, MaxLabelBytes-3)
	if rest == 0 {
		return s
	}
	return head + "..."
}

// DefaultMaxPointers is the default of [WithMaxPointers].
const DefaultMaxPointers = 100

// Collector records retabhook's metrics. It is a prometheus.Collector
// (register it with a prometheus.Registerer), a framework.Observer (give
// it to framework.WithObserver) and a framework.QueueObserver (give it to
// a durable engine). It is safe for concurrent use.
type Collector struct {
	maxPointers int

	deliveries       *prometheus.CounterVec
	requestDuration  *prometheus.HistogramVec
	handlerDuration  *prometheus.HistogramVec
	dispatchDuration *prometheus.HistogramVec
	bodyBytes        prometheus.Histogram
	inFlight         prometheus.Gauge
	verifyFailures   *prometheus.CounterVec
	verified         *prometheus.CounterVec
	violations       *prometheus.CounterVec
	queueEvents      *prometheus.CounterVec
	quarantined      *prometheus.CounterVec
	quarantineDrops  *prometheus.CounterVec
	queueHandlerTime *prometheus.HistogramVec
	queueStats       QueueStatsFunc
	queueDepthDesc   *prometheus.Desc
	deadLettersDesc  *prometheus.Desc
	statsTimeout     time.Duration

	mu       sync.Mutex
	pointers map[string]map[string]struct{} // kind -> normalised pointers seen

	children sync.Map // finishKey -> *finishChildren, the metrics Finish updates
	// last is the children Finish updated last: steady traffic (one kind,
	// one outcome) finds them by comparing their key, without hashing it.
	last atomic.Pointer[finishChildren]
}

// finishKey is the labels Finish gives the metrics every request updates.
type finishKey struct {
	kind, outcome, env  string
	status, secretIndex int
}

// finishChildren are the metrics of one finishKey, looked up in their
// vectors once (label hashing, a lock, strconv) rather than at every
// request. Their number is that of the vectors' own children.
type finishChildren struct {
	key       finishKey
	delivered prometheus.Counter
	duration  prometheus.Observer
	verified  prometheus.Counter // nil when no secret matched
	// The stage histograms get their series when first observed (a
	// durable receiver exports no handler_duration_seconds).
	handler, dispatch lazyObserver
}

// lazyObserver is a histogram child looked up when first used.
type lazyObserver struct{ v atomic.Value }

func (l *lazyObserver) get(vec *prometheus.HistogramVec, kind string) prometheus.Observer {
	if o, ok := l.v.Load().(prometheus.Observer); ok {
		return o
	}
	o := vec.WithLabelValues(kind)
	l.v.Store(o)
	return o
}

func (c *Collector) childrenOf(k finishKey) *finishChildren {
	if ch := c.last.Load(); ch != nil && ch.key == k {
		return ch
	}
	if ch, ok := c.children.Load(k); ok {
		c.last.Store(ch.(*finishChildren))
		return ch.(*finishChildren)
	}
	ch := &finishChildren{
		key:       k,
		delivered: c.deliveries.WithLabelValues(k.kind, strconv.Itoa(k.status), k.outcome),
		duration:  c.requestDuration.WithLabelValues(k.kind),
	}
	if k.secretIndex >= 0 {
		ch.verified = c.verified.WithLabelValues(k.env, strconv.Itoa(k.secretIndex))
	}
	got, _ := c.children.LoadOrStore(k, ch)
	c.last.Store(got.(*finishChildren))
	return got.(*finishChildren)
}

var (
	_ prometheus.Collector      = (*Collector)(nil)
	_ framework.Observer        = (*Collector)(nil)
	_ framework.RequestObserver = (*Collector)(nil)
	_ framework.QueueObserver   = (*Collector)(nil)
)

// Option configures a [Collector].
type Option func(*config)

type config struct {
	namespace       string
	constLabels     prometheus.Labels
	maxPointers     int
	durationBuckets []float64
	sizeBuckets     []float64
	queueStats      QueueStatsFunc
}

// WithNamespace sets the prefix of every metric name. Default:
// "retabhook".
func WithNamespace(ns string) Option { return func(c *config) { c.namespace = ns } }

// WithConstLabels adds labels with fixed values to every metric (for
// example the receiver's name when several share a registry). Default:
// none.
func WithConstLabels(l prometheus.Labels) Option { return func(c *config) { c.constLabels = l } }

// WithMaxPointers caps the distinct JSON Pointers recorded per kind in
// validation_failures_total; further pointers are counted under
// [OtherPointer]. Array indices are replaced by "*" before counting, so
// "/line_items/3/amount" is "/line_items/*/amount". Default:
// [DefaultMaxPointers] (100). A value below 1 is taken as 1.
func WithMaxPointers(n int) Option {
	return func(c *config) { c.maxPointers = max(n, 1) }
}

// WithDurationBuckets sets the buckets, in seconds, of the duration
// histograms. Default: 5 ms to 30 s (Retab's test tool waits 30 s):
// .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30.
func WithDurationBuckets(b []float64) Option { return func(c *config) { c.durationBuckets = b } }

// WithBodySizeBuckets sets the buckets, in bytes, of the body size
// histogram. Default: powers of 4 from 1 KiB to 64 MiB (the router's
// default body limit).
func WithBodySizeBuckets(b []float64) Option { return func(c *config) { c.sizeBuckets = b } }

// QueueStats is the state of a durable engine's queue, shared by every
// instance that uses the same queue.
type QueueStats struct {
	// Waiting is the number of stored deliveries no worker has taken yet.
	Waiting uint64
	// InFlight is the number taken by a worker and not yet done (running,
	// or waiting for a retry).
	InFlight uint64
	// DeadLetters is the number of deliveries in the dead letters.
	DeadLetters uint64
}

// QueueStatsFunc reads a durable engine's queue; it is called at every
// scrape, with a 5 s timeout.
type QueueStatsFunc func(ctx context.Context) (QueueStats, error)

// WithQueueStats makes the Collector export queue_depth{state} and
// queue_dead_letters, read from f at every scrape. Default: none (the
// synchronous mode has no queue, and the gauges are not exported).
func WithQueueStats(f QueueStatsFunc) Option { return func(c *config) { c.queueStats = f } }

// New builds a Collector. Register it before serving:
//
//	m := metrics.New()
//	prometheus.MustRegister(m)
//	r, err := framework.NewRouter(framework.WithSecrets(s), framework.WithObserver(m))
func New(opts ...Option) *Collector {
	cfg := config{
		namespace:       "retabhook",
		maxPointers:     DefaultMaxPointers,
		durationBuckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		sizeBuckets:     prometheus.ExponentialBuckets(1<<10, 4, 9),
	}
	for _, o := range opts {
		o(&cfg)
	}
	ns, cl := cfg.namespace, cfg.constLabels
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help, ConstLabels: cl}, labels)
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: name, Help: help, Buckets: buckets, ConstLabels: cl}, labels)
	}
	return &Collector{
		maxPointers: cfg.maxPointers,
		deliveries: counter("deliveries_total",
			"Webhook requests answered, by registered kind (\"none\" before routing), HTTP status and outcome (processed, accepted, duplicate, review (sent to the review handler; 200, or 202 in the durable mode) or the problem slug).",
			"kind", "status", "outcome"),
		requestDuration: histogram("request_duration_seconds",
			"Time from a request's arrival to its answer, by kind.", cfg.durationBuckets, "kind"),
		handlerDuration: histogram("handler_duration_seconds",
			"Time handlers take during requests (synchronous mode), by kind.", cfg.durationBuckets, "kind"),
		dispatchDuration: histogram("dispatch_duration_seconds",
			"Time the durable engine takes to store an accepted delivery during its request (durable mode), by kind.", cfg.durationBuckets, "kind"),
		bodyBytes: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "request_body_bytes",
			Help: "Size of request bodies read.", Buckets: cfg.sizeBuckets, ConstLabels: cl}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "requests_in_flight",
			Help: "Webhook requests being served.", ConstLabels: cl}),
		verifyFailures: counter("verification_failures_total",
			"Requests refused by signature verification, by reason: missing, malformed, mismatch.", "reason"),
		verified: counter("verified_total",
			"Requests whose signature verified, by environment (none when the delivery names none and a WithSecrets secret matched) and the index of the matching secret among that environment's.", "environment", "secret_index"),
		violations: counter("validation_failures_total",
			"Deliveries refused by the JSON Schema or a validate rule, by kind, problem (schema-violation, rule-violation), JSON Pointer (array indices as *) and keyword; counted once per delivery per pointer and keyword.",
			"kind", "problem", "pointer", "keyword"),
		queueEvents: counter("queue_events_total",
			"Durable engine events by kind and event: accepted, duplicate, processed, retry, dead_lettered, replayed, handed_back.",
			"kind", "event"),
		quarantined: counter("quarantined_total",
			"Refused authentic deliveries kept in the quarantine, by kind (\"none\" before routing) and problem slug.", "kind", "problem"),
		quarantineDrops: counter("quarantine_dropped_total",
			"Quarantine entries dropped, oldest first, to stay within the store's bounds, by reason: size or age.", "reason"),
		queueHandlerTime: histogram("queue_handler_duration_seconds",
			"Time handlers run by the durable engine's workers take, every attempt, by kind and result (ok, error).", cfg.durationBuckets, "kind", "result"),
		queueStats: cfg.queueStats,
		queueDepthDesc: prometheus.NewDesc(prometheus.BuildFQName(ns, "", "queue_depth"),
			"Deliveries stored by the durable engine and not yet processed, by state: waiting (no worker took them yet) or in_flight (running or waiting for a retry); read at scrape time.",
			[]string{"state"}, cl),
		deadLettersDesc: prometheus.NewDesc(prometheus.BuildFQName(ns, "", "queue_dead_letters"),
			"Deliveries in the durable engine's dead letters; read at scrape time.", nil, cl),
		statsTimeout: 5 * time.Second,
		pointers:     map[string]map[string]struct{}{},
	}
}

func (c *Collector) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		c.deliveries, c.requestDuration, c.handlerDuration, c.dispatchDuration, c.bodyBytes, c.inFlight,
		c.verifyFailures, c.verified, c.violations,
		c.queueEvents, c.queueHandlerTime, c.quarantined, c.quarantineDrops,
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.collectors() {
		m.Describe(ch)
	}
	if c.queueStats != nil {
		ch <- c.queueDepthDesc
		ch <- c.deadLettersDesc
	}
}

// Collect implements prometheus.Collector. With [WithQueueStats], it reads
// the engine's queue; when that fails, the queue gauges are left out of
// this scrape (alert on their absence) and the rest is collected.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.collectors() {
		m.Collect(ch)
	}
	if c.queueStats == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.statsTimeout)
	defer cancel()
	st, err := c.queueStats(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.queueDepthDesc, prometheus.GaugeValue, float64(st.Waiting), "waiting")
	ch <- prometheus.MustNewConstMetric(c.queueDepthDesc, prometheus.GaugeValue, float64(st.InFlight), "in_flight")
	ch <- prometheus.MustNewConstMetric(c.deadLettersDesc, prometheus.GaugeValue, float64(st.DeadLetters))
}

// request is what the collector keeps about one request in flight.
type request struct {
	stage framework.Stage // StageHandle or StageDispatch
	took  time.Duration
	ran   bool
}

type requestKey struct{}

// requestContext is the context StartRequest returns: the request's
// context with the collector's request state under requestKey, one
// allocation rather than context.WithValue's and the state's.
type requestContext struct {
	context.Context
	req request
}

// Value implements context.Context.
func (c *requestContext) Value(key any) any {
	if _, ok := key.(requestKey); ok {
		return &c.req
	}
	return c.Context.Value(key)
}

// StartRequest implements framework.RequestObserver: it counts the
// request in flight until Finish.
func (c *Collector) StartRequest(ctx context.Context, _ *http.Request) context.Context {
	c.inFlight.Inc()
	return &requestContext{Context: ctx}
}

// StartStage implements framework.Observer: it times the handle stage
// (synchronous mode) and the dispatch stage (durable mode).
func (c *Collector) StartStage(ctx context.Context, s framework.Stage) (context.Context, func(error)) {
	if s != framework.StageHandle && s != framework.StageDispatch {
		return ctx, noop
	}
	req, ok := ctx.Value(requestKey{}).(*request)
	if !ok {
		return ctx, noop
	}
	start := time.Now()
	return ctx, func(error) {
		req.stage, req.took, req.ran = s, time.Since(start), true
	}
}

func noop(error) {}

// Finish implements framework.Observer: it records the request's
// outcome.
func (c *Collector) Finish(ctx context.Context, o framework.Outcome) {
	req, ok := ctx.Value(requestKey{}).(*request)
	if ok {
		c.inFlight.Dec()
	}
	kind := NoKind
	if o.Delivery != nil && o.Delivery.Kind != "" {
		kind = o.Delivery.Kind
	}
	outcome := "processed"
	switch {
	case o.Err != nil:
		outcome = framework.ProblemOf(o.Err).Slug
	case o.Ignored:
		outcome = "ignored"
	case o.Duplicate:
		outcome = "duplicate"
	case o.Review:
		outcome = "review"
	case o.Accepted:
		outcome = "accepted"
	}
	env := NoKind
	if o.Delivery != nil && o.Delivery.Environment != "" {
		env = o.Delivery.Environment
	}
	ch := c.childrenOf(finishKey{kind: kind, outcome: outcome, env: env, status: o.Status, secretIndex: max(o.SecretIndex, -1)})
	ch.delivered.Inc()
	if o.QuarantineID != "" {
		problem := framework.ErrIgnoredEvent.Slug // kept with WithQuarantineIgnoredEvents
		if o.Err != nil {
			problem = framework.ProblemOf(o.Err).Slug
		}
		c.quarantined.WithLabelValues(kind, problem).Inc()
	}
	ch.duration.Observe(o.Duration.Seconds())
	if o.BodyBytes > 0 {
		c.bodyBytes.Observe(float64(o.BodyBytes))
	}
	if ok && req.ran {
		h, vec := &ch.handler, c.handlerDuration
		if req.stage == framework.StageDispatch {
			h, vec = &ch.dispatch, c.dispatchDuration
		}
		h.get(vec, kind).Observe(req.took.Seconds())
	}
	if ch.verified != nil {
		ch.verified.Inc()
	}
	if o.Err != nil {
		c.finishError(kind, o.Err)
	}
}

// finishError counts a refused request's verification failure and
// violations (apart from Finish: the targets errors.As needs would be
// allocated for every request).
func (c *Collector) finishError(kind string, err error) {
	var se *framework.SignatureError
	switch {
	case errors.As(err, &se):
		c.verifyFailures.WithLabelValues(string(se.Reason)).Inc()
	case errors.Is(err, framework.ErrMissingSignature):
		c.verifyFailures.WithLabelValues(string(framework.SignatureMissing)).Inc()
	case errors.Is(err, framework.ErrInvalidSignature):
		c.verifyFailures.WithLabelValues(string(framework.SignatureMismatch)).Inc()
	}
	var ve *framework.ViolationError
	if errors.As(err, &ve) {
		c.recordViolations(kind, ve)
	}
}

func (c *Collector) recordViolations(kind string, ve *framework.ViolationError) {
	problem := "schema-violation"
	if ve.Err != nil {
		problem = ve.Err.Slug
	}
	type key struct{ pointer, keyword string }
	seen := make(map[key]struct{}, len(ve.Violations))
	for _, v := range ve.Violations {
		k := key{c.pointerLabel(kind, v.Pointer), labelValue(v.Keyword)}
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		c.violations.WithLabelValues(kind, problem, k.pointer, k.keyword).Inc()
	}
}

// pointerLabel normalises a pointer and applies the per-kind cap.
func (c *Collector) pointerLabel(kind, pointer string) string {
	p := labelValue(NormalizePointer(pointer))
	c.mu.Lock()
	defer c.mu.Unlock()
	set := c.pointers[kind]
	if set == nil {
		set = map[string]struct{}{}
		c.pointers[kind] = set
	}
	if _, ok := set[p]; ok {
		return p
	}
	if len(set) >= c.maxPointers {
		return OtherPointer
	}
	set[p] = struct{}{}
	return p
}

// NormalizePointer returns the pointer label of a JSON Pointer: every
// token made only of digits (an array index) becomes "*", and the root
// ("") becomes [RootPointer]. "/line_items/12/amount" is
// "/line_items/*/amount".
func NormalizePointer(p string) string {
	if p == "" {
		return RootPointer
	}
	if !strings.ContainsAny(p, "0123456789") {
		return p
	}
	toks := strings.Split(p, "/")
	for i, t := range toks {
		if i > 0 && isIndex(t) {
			toks[i] = "*"
		}
	}
	return strings.Join(toks, "/")
}

func isIndex(t string) bool {
	if t == "" {
		return false
	}
	for _, r := range t {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// QuarantineDropped implements framework.QuarantineObserver: a quarantine
// store dropped its oldest entry to stay within its bounds.
func (c *Collector) QuarantineDropped(_ context.Context, _ framework.QuarantineEntry, reason string) {
	c.quarantineDrops.WithLabelValues(reason).Inc()
}

// QueueEvent implements framework.QueueObserver: a durable engine
// reports what it does with accepted deliveries.
func (c *Collector) QueueEvent(_ context.Context, e framework.QueueEvent) {
	kind := e.Kind
	if kind == "" {
		kind = NoKind
	}
	c.queueEvents.WithLabelValues(kind, string(e.Type)).Inc()
	switch e.Type {
	case framework.QueueProcessed:
		c.queueHandlerTime.WithLabelValues(kind, "ok").Observe(e.Duration.Seconds())
	case framework.QueueRetry, framework.QueueDeadLettered:
		if e.Attempt > 0 {
			c.queueHandlerTime.WithLabelValues(kind, "error").Observe(e.Duration.Seconds())
		}
	}
}
