package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/metrics"
	"github.com/retabhook/retabhook/internal/fixtures"
)

const (
	secret    = "whsec_metrics_test"
	newSecret = "whsec_metrics_rotated"
)

type Invoice struct {
	Number string     `json:"number" validate:"required"`
	Lines  []LineItem `json:"line_items" validate:"min=1,dive"`
	Total  float64    `json:"total" validate:"gte=0"`
}

type LineItem struct {
	Description string `json:"description" validate:"required"`
	Quantity    int    `json:"quantity" validate:"gt=0"`
}

type CalendarEvent struct {
	Name string `json:"name"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

const goodInvoice = `{"number":"INV-1","line_items":[{"description":"Widget","quantity":2}],"total":21}`

// newRouter builds a router with Invoice and CalendarEvent, observed by a
// fresh Collector registered on a fresh registry.
func newRouter(t *testing.T, opts ...metrics.Option) (*framework.Router, *prometheus.Registry, *metrics.Collector) {
	t.Helper()
	m := metrics.New(opts...)
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	r, err := framework.NewRouter(framework.WithSecrets(secret, newSecret), framework.WithObserver(m),
		framework.WithLogger(nopLogger()))
	require.NoError(t, err)
	framework.Handle(r, func(ctx context.Context, inv Invoice) error {
		if inv.Number == "FAIL" {
			return errors.New("ledger unavailable")
		}
		return nil
	})
	framework.Handle(r, func(context.Context, CalendarEvent) error { return nil })
	return r, reg, m
}

func post(t *testing.T, h http.Handler, path string, body []byte, signature string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("X-Retab-Signature", signature)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code
}

func mux(r http.Handler) *http.ServeMux {
	m := http.NewServeMux()
	m.Handle("POST /webhook/{kind}", r)
	m.Handle("POST /webhook", r)
	return m
}

// series finds one series of a gathered family by its labels: the value
// of a counter or gauge, the sample count of a histogram. It fails the
// test when the series does not exist.
func series(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	v, ok := lookup(t, reg, name, labels...)
	require.True(t, ok, "no series %s%v", name, labels)
	return v
}

func lookup(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) (float64, bool) {
	t.Helper()
	fams, err := reg.Gather()
	require.NoError(t, err)
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue next
				}
			}
			if len(got) != len(want) {
				continue
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.GetCounter().GetValue(), true
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue(), true
			case dto.MetricType_HISTOGRAM:
				return float64(m.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

// TestScriptedDeliveries sends a fixed sequence of good and bad
// deliveries and checks every metric's values afterwards.
func TestScriptedDeliveries(t *testing.T) {
	r, reg, _ := newRouter(t)
	h := mux(r)
	inv := fixtures.ContentEnvelope(goodInvoice)
	ev := fixtures.ContentEnvelope(fixtures.SeedContent)
	badRules := fixtures.ContentEnvelope(`{"number":"","line_items":[{"description":"a","quantity":0},{"description":"b","quantity":0},{"description":"","quantity":1}],"total":1}`)
	badSchema := fixtures.ContentEnvelope(`{"number":"INV-3","line_items":[{"description":"a","quantity":"two"},{"description":"b","quantity":"three"}],"total":"12"}`)
	failing := fixtures.ContentEnvelope(strings.Replace(goodInvoice, "INV-1", "FAIL", 1))

	steps := []struct {
		path   string
		body   []byte
		sig    string
		status int
	}{
		{"/webhook/invoice", inv, framework.Sign(secret, inv), 200},
		{"/webhook/invoice", inv, framework.Sign(newSecret, inv), 200},
		{"/webhook/invoice", inv, framework.Sign(newSecret, inv), 200},
		{"/webhook", ev, framework.Sign(secret, ev), 200},
		{"/webhook/invoice", inv, framework.Sign("whsec_old", inv), 401},
		{"/webhook/invoice", inv, "", 401},
		{"/webhook/invoice", inv, "sha256=abc", 401},
		{"/webhook/invoice", badRules, framework.Sign(secret, badRules), 422},
		{"/webhook/invoice", badRules, framework.Sign(secret, badRules), 422},
		{"/webhook/invoice", badSchema, framework.Sign(newSecret, badSchema), 422},
		{"/webhook/invoice", failing, framework.Sign(secret, failing), 500},
		{"/webhook/receipt", inv, framework.Sign(secret, inv), 422},
		{"/webhook", []byte(`{"completion":`), framework.Sign(secret, []byte(`{"completion":`)), 400},
	}
	for i, s := range steps {
		require.Equal(t, s.status, post(t, h, s.path, s.body, s.sig), "step %d", i)
	}

	// deliveries_total, exactly, through client_golang's testutil.
	want := `
# HELP retabhook_deliveries_total Webhook requests answered, by registered kind ("none" before routing), HTTP status and outcome (processed, accepted, duplicate, review (sent to the review handler; 200, or 202 in the durable mode) or the problem slug).
# TYPE retabhook_deliveries_total counter
retabhook_deliveries_total{kind="calendar_event",outcome="processed",status="200"} 1
retabhook_deliveries_total{kind="invoice",outcome="handler-failed",status="500"} 1
retabhook_deliveries_total{kind="invoice",outcome="processed",status="200"} 3
retabhook_deliveries_total{kind="invoice",outcome="schema-violation",status="422"} 3
retabhook_deliveries_total{kind="none",outcome="invalid-signature",status="401"} 2
retabhook_deliveries_total{kind="none",outcome="malformed-envelope",status="400"} 1
retabhook_deliveries_total{kind="none",outcome="missing-signature",status="401"} 1
retabhook_deliveries_total{kind="none",outcome="unknown-kind",status="422"} 1
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want), "retabhook_deliveries_total"))

	// Verification: failures by reason, successes by secret.
	assert.Equal(t, 1.0, series(t, reg, "retabhook_verification_failures_total", "reason", "mismatch"))
	assert.Equal(t, 1.0, series(t, reg, "retabhook_verification_failures_total", "reason", "missing"))
	assert.Equal(t, 1.0, series(t, reg, "retabhook_verification_failures_total", "reason", "malformed"))
	assert.Equal(t, 7.0, series(t, reg, "retabhook_verified_total", "environment", "none", "secret_index", "0"), "even when a later stage fails")
	assert.Equal(t, 3.0, series(t, reg, "retabhook_verified_total", "environment", "none", "secret_index", "1"))

	// Validation failures: array indices folded, once per delivery.
	vf := func(problem, pointer, keyword string) float64 {
		return series(t, reg, "retabhook_validation_failures_total", "kind", "invoice", "problem", problem, "pointer", pointer, "keyword", keyword)
	}
	// The validate rules are in the schema (required is minLength 1, gt=0
	// exclusiveMinimum 0): the schema refuses what they would.
	assert.Equal(t, 2.0, vf("schema-violation", "/number", "minLength"))
	assert.Equal(t, 2.0, vf("schema-violation", "/line_items/*/quantity", "exclusiveMinimum"))
	assert.Equal(t, 2.0, vf("schema-violation", "/line_items/*/description", "minLength"))
	assert.Equal(t, 1.0, vf("schema-violation", "/line_items/*/quantity", "type"))
	assert.Equal(t, 1.0, vf("schema-violation", "/total", "type"))
	n, err := testutil.GatherAndCount(reg, "retabhook_validation_failures_total")
	require.NoError(t, err)
	assert.Equal(t, 5, n, "no other validation series")

	// Durations: one request duration per answer, one handler duration
	// per handler run (3 successes and 1 failure).
	assert.Equal(t, 4.0, series(t, reg, "retabhook_handler_duration_seconds", "kind", "invoice"))
	assert.Equal(t, 1.0, series(t, reg, "retabhook_handler_duration_seconds", "kind", "calendar_event"))
	assert.Equal(t, 7.0, series(t, reg, "retabhook_request_duration_seconds", "kind", "invoice"))
	assert.Equal(t, 5.0, series(t, reg, "retabhook_request_duration_seconds", "kind", "none"))
	// The two refused at their signature header are answered unread.
	assert.Equal(t, float64(len(steps)-2), series(t, reg, "retabhook_request_body_bytes"))
	assert.Equal(t, 0.0, series(t, reg, "retabhook_requests_in_flight"))

	// No engine: no queue series at all.
	n, err = testutil.GatherAndCount(reg, "retabhook_queue_events_total", "retabhook_queue_depth", "retabhook_queue_dead_letters")
	require.NoError(t, err)
	assert.Zero(t, n)

	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems, "metric names and help follow Prometheus conventions")
}

func TestBodySizeBuckets(t *testing.T) {
	r, reg, _ := newRouter(t)
	small := fixtures.ContentEnvelope(fixtures.SeedContent)
	require.Equal(t, 200, post(t, r, "/webhook", small, framework.Sign(secret, small)))
	fams, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != "retabhook_request_body_bytes" {
			continue
		}
		h := f.GetMetric()[0].GetHistogram()
		assert.Equal(t, uint64(1), h.GetSampleCount())
		assert.Equal(t, float64(len(small)), h.GetSampleSum())
		assert.Equal(t, 1024.0, h.GetBucket()[0].GetUpperBound())
		assert.Equal(t, float64(64<<20), h.GetBucket()[len(h.GetBucket())-1].GetUpperBound())
		return
	}
	t.Fatal("no body size histogram")
}

func TestInFlight(t *testing.T) {
	m := metrics.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithObserver(m), framework.WithLogger(nopLogger()))
	require.NoError(t, err)
	entered, release := make(chan struct{}), make(chan struct{})
	framework.Handle(r, func(context.Context, CalendarEvent) error {
		entered <- struct{}{}
		<-release
		return nil
	})
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { post(t, r, "/webhook", body, framework.Sign(secret, body)) })
	}
	for range 3 {
		<-entered
	}
	assert.Equal(t, 3.0, series(t, reg, "retabhook_requests_in_flight"))
	close(release)
	wg.Wait()
	assert.Equal(t, 0.0, series(t, reg, "retabhook_requests_in_flight"))
}

func TestPointerCap(t *testing.T) {
	r, reg, _ := newRouter(t, metrics.WithMaxPointers(2))
	h := mux(r)
	for _, content := range []string{
		`{"number":"","line_items":[{"description":"a","quantity":1}],"total":1}`,   // /number
		`{"number":"A","line_items":[{"description":"a","quantity":1}],"total":-1}`, // /total
		`{"number":"A","line_items":[{"description":"","quantity":1}],"total":1}`,   // /line_items/*/description: over the cap
		`{"number":"A","line_items":[{"description":"a","quantity":0}],"total":1}`,  // /line_items/*/quantity: over the cap
		`{"number":"","line_items":[{"description":"a","quantity":1}],"total":1}`,   // /number again: known
	} {
		body := fixtures.ContentEnvelope(content)
		require.Equal(t, 422, post(t, h, "/webhook/invoice", body, framework.Sign(secret, body)), content)
	}
	vf := func(pointer, keyword string) float64 {
		return series(t, reg, "retabhook_validation_failures_total", "kind", "invoice", "problem", "schema-violation", "pointer", pointer, "keyword", keyword)
	}
	assert.Equal(t, 2.0, vf("/number", "minLength"))
	assert.Equal(t, 1.0, vf("/total", "minimum"))
	assert.Equal(t, 1.0, vf(metrics.OtherPointer, "minLength"))
	assert.Equal(t, 1.0, vf(metrics.OtherPointer, "exclusiveMinimum"))
	_, ok := lookup(t, reg, "retabhook_validation_failures_total", "kind", "invoice", "problem", "schema-violation", "pointer", "/line_items/*/quantity", "keyword", "exclusiveMinimum")
	assert.False(t, ok, "a pointer over the cap has no series of its own")
}

func TestNormalizePointer(t *testing.T) {
	tests := map[string]string{
		"":                       "/",
		"/total":                 "/total",
		"/line_items/0/amount":   "/line_items/*/amount",
		"/line_items/12/taxes/3": "/line_items/*/taxes/*",
		"/vat_2024":              "/vat_2024",
		"/a~1b/0":                "/a~1b/*",
		"/matrix/0/1":            "/matrix/*/*",
		"/items//2":              "/items//*",
	}
	for in, want := range tests {
		assert.Equal(t, want, metrics.NormalizePointer(in), in)
	}
}

// TestQueueEvents plays what a durable engine reports and checks the
// queue metrics, including the queue's state read at scrape time.
func TestQueueEvents(t *testing.T) {
	var stats metrics.QueueStats
	var statsErr error
	m := metrics.New(metrics.WithQueueStats(func(ctx context.Context) (metrics.QueueStats, error) {
		_, hasDeadline := ctx.Deadline()
		require.True(t, hasDeadline)
		return stats, statsErr
	}))
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	ctx := context.Background()
	boom := errors.New("boom")
	for _, e := range []framework.QueueEvent{
		{Type: framework.QueueAccepted, Kind: "invoice", DeliveryID: "dlv_1"},
		{Type: framework.QueueAccepted, Kind: "invoice", DeliveryID: "dlv_2"},
		{Type: framework.QueueDuplicate, Kind: "invoice", DeliveryID: "dlv_1"},
		{Type: framework.QueueProcessed, Kind: "invoice", DeliveryID: "dlv_1", Attempt: 1, Duration: 20 * time.Millisecond},
		{Type: framework.QueueRetry, Kind: "invoice", DeliveryID: "dlv_2", Attempt: 1, Duration: 3 * time.Second, Err: boom, Delay: time.Second},
		{Type: framework.QueueRetry, Kind: "invoice", DeliveryID: "dlv_2", Attempt: 2, Duration: 3 * time.Second, Err: boom, Delay: 2 * time.Second},
		{Type: framework.QueueDeadLettered, Kind: "invoice", DeliveryID: "dlv_2", Attempt: 3, Duration: 3 * time.Second, Err: boom},
		{Type: framework.QueueDeadLettered, Kind: "receipt", DeliveryID: "dlv_3", Err: framework.ErrUnknownKind},
		{Type: framework.QueueReplayed, Kind: "invoice", DeliveryID: "dlv_2"},
		{Type: framework.QueueHandedBack, Kind: "invoice", DeliveryID: "dlv_2"},
	} {
		m.QueueEvent(ctx, e)
	}
	ev := func(event string) float64 {
		return series(t, reg, "retabhook_queue_events_total", "kind", "invoice", "event", event)
	}
	assert.Equal(t, 2.0, ev("accepted"))
	assert.Equal(t, 1.0, ev("duplicate"))
	assert.Equal(t, 1.0, ev("processed"))
	assert.Equal(t, 2.0, ev("retry"))
	assert.Equal(t, 1.0, ev("dead_lettered"))
	assert.Equal(t, 1.0, ev("replayed"))
	assert.Equal(t, 1.0, ev("handed_back"))
	assert.Equal(t, 1.0, series(t, reg, "retabhook_queue_events_total", "kind", "receipt", "event", "dead_lettered"))
	assert.Equal(t, 1.0, series(t, reg, "retabhook_queue_handler_duration_seconds", "kind", "invoice", "result", "ok"))
	assert.Equal(t, 3.0, series(t, reg, "retabhook_queue_handler_duration_seconds", "kind", "invoice", "result", "error"))
	_, ran := lookup(t, reg, "retabhook_queue_handler_duration_seconds", "kind", "receipt", "result", "error")
	assert.False(t, ran, "a delivery dead-lettered without an attempt has no handler time")

	stats = metrics.QueueStats{Waiting: 7, InFlight: 2, DeadLetters: 1}
	assert.Equal(t, 7.0, series(t, reg, "retabhook_queue_depth", "state", "waiting"))
	assert.Equal(t, 2.0, series(t, reg, "retabhook_queue_depth", "state", "in_flight"))
	assert.Equal(t, 1.0, series(t, reg, "retabhook_queue_dead_letters"))
	stats.Waiting = 3
	assert.Equal(t, 3.0, series(t, reg, "retabhook_queue_depth", "state", "waiting"), "read at every scrape")

	statsErr = errors.New("nats: no servers available")
	_, ok := lookup(t, reg, "retabhook_queue_depth", "state", "waiting")
	assert.False(t, ok, "no stale depth when the engine cannot be read")
	assert.Equal(t, 2.0, ev("accepted"), "the rest is still collected")

	problems, err := testutil.GatherAndLint(reg)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestOptions(t *testing.T) {
	m := metrics.New(metrics.WithNamespace("hooks"), metrics.WithConstLabels(prometheus.Labels{"receiver": "billing"}),
		metrics.WithDurationBuckets([]float64{1, 2}), metrics.WithBodySizeBuckets([]float64{10}))
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithObserver(m), framework.WithLogger(nopLogger()))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, CalendarEvent) error { return nil })
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	require.Equal(t, 200, post(t, r, "/webhook", body, framework.Sign(secret, body)))
	assert.Equal(t, 1.0, series(t, reg, "hooks_deliveries_total", "kind", "calendar_event", "status", "200", "outcome", "processed", "receiver", "billing"))
	fams, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		switch f.GetName() {
		case "hooks_handler_duration_seconds":
			assert.Len(t, f.GetMetric()[0].GetHistogram().GetBucket(), 2)
		case "hooks_request_body_bytes":
			assert.Len(t, f.GetMetric()[0].GetHistogram().GetBucket(), 1)
		}
	}
}

// TestDurableAndDeduplicatedRequests covers the answers of the durable
// mode (202 accepted, 200 duplicate, 503 when the store fails) and of the
// synchronous mode's de-duplication.
func TestDurableAndDeduplicatedRequests(t *testing.T) {
	m := metrics.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	seen := map[string]bool{}
	store := framework.DispatcherFunc(func(_ context.Context, s framework.Submission) (framework.Acceptance, error) {
		if s.Delivery.CompletionID == "broken" {
			return framework.Acceptance{}, errors.New("stream unavailable")
		}
		dup := seen[s.Key]
		seen[s.Key] = true
		return framework.Acceptance{Duplicate: dup}, nil
	})
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithObserver(m), framework.WithLogger(nopLogger()),
		framework.WithDispatcher(store))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, CalendarEvent) error { return nil })
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	broken := bytes.Replace(body, []byte("chatcmpl-test"), []byte("broken"), 1)
	require.Equal(t, 202, post(t, r, "/webhook", body, framework.Sign(secret, body)))
	require.Equal(t, 200, post(t, r, "/webhook", body, framework.Sign(secret, body)))
	require.Equal(t, 503, post(t, r, "/webhook", broken, framework.Sign(secret, broken)))

	d := func(status, outcome string) float64 {
		return series(t, reg, "retabhook_deliveries_total", "kind", "calendar_event", "status", status, "outcome", outcome)
	}
	assert.Equal(t, 1.0, d("202", "accepted"))
	assert.Equal(t, 1.0, d("200", "duplicate"))
	assert.Equal(t, 1.0, d("503", "dispatch-failed"))
	assert.Equal(t, 3.0, series(t, reg, "retabhook_dispatch_duration_seconds", "kind", "calendar_event"))
	_, ran := lookup(t, reg, "retabhook_handler_duration_seconds", "kind", "calendar_event")
	assert.False(t, ran, "no handler ran during a request")

	// Synchronous mode, de-duplicated in memory.
	m2 := metrics.New()
	reg2 := prometheus.NewRegistry()
	reg2.MustRegister(m2)
	r2, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithObserver(m2), framework.WithLogger(nopLogger()),
		framework.WithDeduplication(time.Hour))
	require.NoError(t, err)
	framework.Handle(r2, func(context.Context, CalendarEvent) error { return nil })
	for range 3 {
		require.Equal(t, 200, post(t, r2, "/webhook", body, framework.Sign(secret, body)))
	}
	assert.Equal(t, 1.0, series(t, reg2, "retabhook_deliveries_total", "kind", "calendar_event", "status", "200", "outcome", "processed"))
	assert.Equal(t, 2.0, series(t, reg2, "retabhook_deliveries_total", "kind", "calendar_event", "status", "200", "outcome", "duplicate"))
	assert.Equal(t, 1.0, series(t, reg2, "retabhook_handler_duration_seconds", "kind", "calendar_event"))
}

// TestLabelValuesAreBounded is issue 10's finding: deliveries whose
// unknown keys are 128 KiB long must not grow /metrics by their size.
func TestLabelValuesAreBounded(t *testing.T) {
	r, reg, _ := newRouter(t)
	h := mux(r)
	for i := range 100 {
		key := fmt.Sprintf("%03d%s", i, strings.Repeat("k", 128<<10))
		body := fixtures.ContentEnvelope(`{"number":"A","line_items":[{"description":"a","quantity":1}],"total":1,"` + key + `":1}`)
		require.Equal(t, 422, post(t, h, "/webhook/invoice", body, framework.Sign(secret, body)))
	}
	mfs, err := reg.Gather()
	require.NoError(t, err)
	size := 0
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				assert.LessOrEqual(t, len(l.GetValue()), metrics.MaxLabelBytes, l.GetName())
				size += len(l.GetValue())
			}
		}
	}
	assert.Less(t, size, 64<<10, "label values of 100 deliveries with 128 KiB keys")
}

// TestFinishCountsEachOutcome calls Finish directly with outcomes that
// differ in one label each, in runs and interleaved, and checks every
// series' count: the children Finish reuses from its last call are those
// of the same labels only.
func TestFinishCountsEachOutcome(t *testing.T) {
	m := metrics.New()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	ctx := context.Background()
	inv := &framework.Delivery{Kind: "invoice", SecretIndex: 0}
	ev := &framework.Delivery{Kind: "calendar_event", SecretIndex: 0}
	outcomes := []framework.Outcome{
		{Delivery: inv, Status: 200, SecretIndex: 0},
		{Delivery: inv, Status: 200, SecretIndex: 0, Duplicate: true},
		{Delivery: ev, Status: 200, SecretIndex: 0},
		{Delivery: inv, Status: 200, SecretIndex: 1},
		{Delivery: inv, Status: 202, SecretIndex: 0, Accepted: true},
	}
	for range 3 {
		for _, o := range outcomes { // interleaved
			m.Finish(ctx, o)
		}
		for _, o := range outcomes { // in runs of 2
			m.Finish(ctx, o)
			m.Finish(ctx, o)
		}
	}
	for _, c := range []struct{ kind, status, outcome string }{
		{"invoice", "200", "processed"}, {"invoice", "200", "duplicate"}, {"calendar_event", "200", "processed"}, {"invoice", "202", "accepted"},
	} {
		want := 9.0
		if c.kind == "invoice" && c.outcome == "processed" {
			want = 18 // secret 0 and secret 1
		}
		assert.Equal(t, want, series(t, reg, "retabhook_deliveries_total", "kind", c.kind, "status", c.status, "outcome", c.outcome), "%+v", c)
	}
	assert.Equal(t, 36.0, series(t, reg, "retabhook_verified_total", "environment", "none", "secret_index", "0"))
	assert.Equal(t, 9.0, series(t, reg, "retabhook_verified_total", "environment", "none", "secret_index", "1"))
}

// BenchmarkFinish is what the Collector costs a request that succeeds:
// StartRequest, the handler's stage and Finish.
//
//	go test -run '^$' -bench BenchmarkFinish -benchmem ./handlers/metrics
func BenchmarkFinish(b *testing.B) {
	m := metrics.New()
	prometheus.NewRegistry().MustRegister(m)
	req := httptest.NewRequest(http.MethodPost, "/webhook", nil)
	o := framework.Outcome{Delivery: &framework.Delivery{Kind: "invoice"}, Status: 200, BodyBytes: 6432, Duration: time.Millisecond}
	b.ReportAllocs()
	for b.Loop() {
		ctx := m.StartRequest(req.Context(), req)
		_, end := m.StartStage(ctx, framework.StageHandle)
		end(nil)
		m.Finish(ctx, o)
	}
}
