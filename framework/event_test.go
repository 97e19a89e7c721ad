package framework_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// The known-answer vectors were computed with openssl, independently of
// this code:
//
//	printf '%s' "$T.$BODY" | openssl dgst -sha256 -hmac "$SECRET"   # timestamped
//	printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET"      # body only
var eventVectors = []struct {
	name, secret, body string
	t                  int64
	timestamped, plain string
}{
	{"reference", "whsec_test", `{"hello":"world"}`, 1715000000,
		"aa557083e1a13ecc0ee5e5e2f3a9af58953630561371cb4ba37662f7f51d05cc",
		"07ea4d7892d3dc4bae220d9930afa38c458a997b2f716a0a6159e17798be1d28"},
	{"event", "whsec_prod_2", `{"id":"evt_1","type":"workflow.run.completed","environment":"production","data":{}}`, 1800000000,
		"3e7c42808826de0900ed4b105aa3b21c78cf3aebd0f9baf4bef802049976083d",
		"2b06ad7fd41920ac3be948825970f4bc35c9c5963a6feade62b69ffa7508aa0d"},
}

func TestSignTimestampedKnownAnswers(t *testing.T) {
	for _, v := range eventVectors {
		t.Run(v.name, func(t *testing.T) {
			at := time.Unix(v.t, 0)
			assert.Equal(t, "t="+jsonInt(v.t)+",v1="+v.timestamped, framework.SignTimestamped(v.secret, at, []byte(v.body), framework.FormulaTimestamped))
			assert.Equal(t, "t="+jsonInt(v.t)+",v1="+v.plain, framework.SignTimestamped(v.secret, at, []byte(v.body), framework.FormulaBody))
			assert.Equal(t, v.plain, framework.Sign(v.secret, []byte(v.body)))
		})
	}
}

func jsonInt(n int64) string { return strconv.FormatInt(n, 10) }

// vectorRouter accepts the known-answer events at their own time.
func vectorRouter(t *testing.T, at int64, secret string, opts ...framework.Option) (*framework.Router, *int) {
	t.Helper()
	r, err := framework.NewRouter(append([]framework.Option{framework.WithSecrets(secret), framework.WithLogger(quietLogger()),
		framework.WithClock(func() time.Time { return time.Unix(at, 0) })}, opts...)...)
	require.NoError(t, err)
	calls := 0
	framework.HandleEvent(r, "workflow.run.completed", func(context.Context, json.RawMessage) error { calls++; return nil })
	return r, &calls
}

func postEvent(r http.Handler, body, sig, env string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-Retab-Signature", sig)
	}
	if env != "" {
		req.Header.Set(framework.EnvironmentHeader, env)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// TestEventVectorsThroughRouter checks the openssl vectors end to end: the
// default formula accepts the timestamped one and refuses the body-only
// one, and WithTimestampFormula(FormulaBody) the reverse.
func TestEventVectorsThroughRouter(t *testing.T) {
	v := eventVectors[1]
	ts := "t=" + jsonInt(v.t) + ",v1="
	r, calls := vectorRouter(t, v.t, v.secret)
	require.Equal(t, 200, postEvent(r, v.body, ts+v.timestamped, "production").Code)
	require.Equal(t, 1, *calls)
	w := postEvent(r, v.body, ts+v.plain, "production")
	require.Equal(t, 401, w.Code)
	assert.Contains(t, w.Body.String(), "no configured secret matches")

	rb, calls := vectorRouter(t, v.t, v.secret, framework.WithTimestampFormula(framework.FormulaBody))
	require.Equal(t, 200, postEvent(rb, v.body, ts+v.plain, "production").Code)
	require.Equal(t, 401, postEvent(rb, v.body, ts+v.timestamped, "production").Code)
	require.Equal(t, 1, *calls)
}

func TestTimestampTolerance(t *testing.T) {
	v := eventVectors[1]
	const tol = 5 * time.Minute
	tests := []struct {
		name   string
		now    time.Time
		status int
		reason framework.SignatureReason
	}{
		{"same second", time.Unix(v.t, 0), 200, ""},
		{"exactly the tolerance late", time.Unix(v.t, 0).Add(tol), 200, ""},
		{"exactly the tolerance early", time.Unix(v.t, 0).Add(-tol), 200, ""},
		{"one second late", time.Unix(v.t, 0).Add(tol + time.Second), 401, framework.SignatureExpired},
		{"one second early", time.Unix(v.t, 0).Add(-tol - time.Second), 401, framework.SignatureFuture},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen error
			r, err := framework.NewRouter(framework.WithSecrets(v.secret), framework.WithLogger(quietLogger()),
				framework.WithClock(func() time.Time { return tt.now }),
				framework.WithObserver(finishFunc(func(o framework.Outcome) { seen = o.Err })))
			require.NoError(t, err)
			framework.HandleEvent(r, "workflow.run.completed", func(context.Context, json.RawMessage) error { return nil })
			w := postEvent(r, v.body, "t="+jsonInt(v.t)+",v1="+v.timestamped, "production")
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.reason != "" {
				var se *framework.SignatureError
				require.ErrorAs(t, seen, &se)
				assert.Equal(t, tt.reason, se.Reason)
				assert.ErrorIs(t, seen, framework.ErrInvalidSignature)
				assert.Contains(t, w.Body.String(), string(tt.reason)+":")
			}
		})
	}
	// A narrower tolerance by option.
	r, err := framework.NewRouter(framework.WithSecrets(v.secret), framework.WithLogger(quietLogger()),
		framework.WithTimestampTolerance(time.Minute), framework.WithClock(func() time.Time { return time.Unix(v.t+61, 0) }))
	require.NoError(t, err)
	framework.HandleEvent(r, "workflow.run.completed", func(context.Context, json.RawMessage) error { return nil })
	assert.Equal(t, 401, postEvent(r, v.body, "t="+jsonInt(v.t)+",v1="+v.timestamped, "production").Code)
}

type finishFunc func(framework.Outcome)

func (f finishFunc) StartStage(ctx context.Context, _ framework.Stage) (context.Context, func(error)) {
	return ctx, func(error) {}
}
func (f finishFunc) Finish(_ context.Context, o framework.Outcome) { f(o) }

func TestTimestampHeaderForms(t *testing.T) {
	v := eventVectors[1]
	good := v.timestamped
	other := strings.Repeat("0", 64)
	r, calls := vectorRouter(t, v.t, v.secret)
	tests := []struct {
		name, header string
		status       int
		detail       string
	}{
		{"several v1, the right one last", "t=1800000000,v1=" + other + ",v1=" + good, 200, ""},
		{"several v1, the right one first", "t=1800000000,v1=" + good + ",v1=" + other, 200, ""},
		{"unknown keys ignored, spaces", "t=1800000000, v0=abc, v1=" + good + ", x=y", 200, ""},
		{"uppercase hex", "t=1800000000,v1=" + strings.ToUpper(good), 200, ""},
		{"no v1", "t=1800000000", 401, "no v1="},
		{"no t", "v1=" + good, 401, "no t="},
		{"t twice", "t=1800000000,t=1800000000,v1=" + good, 401, "twice"},
		{"t not a number", "t=soon,v1=" + good, 401, "not a number"},
		{"negative t", "t=-1,v1=" + good, 401, "not a number"},
		{"short v1", "t=1800000000,v1=abc", 401, "64 hex digits"},
		{"v1 not hex", "t=1800000000,v1=" + strings.Repeat("z", 64), 401, "not hexadecimal"},
		{"item without =", "t=1800000000,v1=" + good + ",junk", 401, "no '='"},
		{"wrong v1 only", "t=1800000000,v1=" + other, 401, "no configured secret matches"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := postEvent(r, v.body, tt.header, "production")
			require.Equal(t, tt.status, w.Code, w.Body.String())
			assert.Contains(t, w.Body.String(), tt.detail)
			assert.NotContains(t, w.Body.String(), good)
		})
	}
	assert.Equal(t, 4, *calls)
}

func TestEventEnvironments(t *testing.T) {
	const global, test1, test2, prod = "whsec_global", "whsec_test_old", "whsec_test_new", "whsec_prod"
	r, err := framework.NewRouter(framework.WithLogger(quietLogger()), framework.WithSecrets(global),
		framework.WithEnvironmentSecrets("test", test1, test2), framework.WithEnvironmentSecrets("production", prod))
	require.NoError(t, err)
	var got []*framework.Delivery
	framework.HandleEvent(r, framework.EventWorkflowRunCompleted, func(ctx context.Context, run framework.WorkflowRun) error {
		d, _ := framework.DeliveryFrom(ctx)
		got = append(got, d)
		return nil
	})
	run := framework.WorkflowRun{ID: "run_1", Lifecycle: framework.RunLifecycle{Status: framework.RunCompleted}}
	send := func(opts ...retabtest.Option) *retabtest.Result {
		d, err := retabtest.NewEvent(framework.EventWorkflowRunCompleted, run, opts...)
		require.NoError(t, err)
		return retabtest.Serve(r, d, "/webhook")
	}
	tests := []struct {
		name   string
		opts   []retabtest.Option
		status int
		err    *framework.Problem
		index  int
	}{
		{"test, old secret", []retabtest.Option{retabtest.WithSecret(test1)}, 200, nil, 0},
		{"test, new secret", []retabtest.Option{retabtest.WithSecret(test2)}, 200, nil, 1},
		{"test, both during a rotation", []retabtest.Option{retabtest.WithSecret("whsec_retired"), retabtest.WithAlsoSignedBy(test2)}, 200, nil, 1},
		{"test signed with production's secret", []retabtest.Option{retabtest.WithSecret(prod)}, 401, framework.ErrInvalidSignature, 0},
		{"test does not take the global secret", []retabtest.Option{retabtest.WithSecret(global)}, 401, framework.ErrInvalidSignature, 0},
		{"production", []retabtest.Option{retabtest.WithSecret(prod), retabtest.WithEnvironment("production")}, 200, nil, 0},
		{"production signed with test's secret", []retabtest.Option{retabtest.WithSecret(test1), retabtest.WithEnvironment("production")}, 401, framework.ErrInvalidSignature, 0},
		{"header says production, body test", []retabtest.Option{retabtest.WithSecret(prod), retabtest.WithHeaderEnvironment("production")}, 401, framework.ErrEnvironmentMismatch, 0},
		{"no environment header", []retabtest.Option{retabtest.WithSecret(test1), retabtest.WithHeaderEnvironment("")}, 401, framework.ErrEnvironmentMismatch, 0},
		{"unknown environment", []retabtest.Option{retabtest.WithSecret(test1), retabtest.WithEnvironment("staging")}, 401, framework.ErrUnknownEnvironment, 0},
		{"expired", []retabtest.Option{retabtest.WithSecret(test1), retabtest.WithExpiredSignature()}, 401, framework.ErrInvalidSignature, 0},
		{"future", []retabtest.Option{retabtest.WithSecret(test1), retabtest.WithFutureSignature()}, 401, framework.ErrInvalidSignature, 0},
		{"body-only formula refused by default", []retabtest.Option{retabtest.WithSecret(test1), retabtest.WithFormula(framework.FormulaBody)}, 401, framework.ErrInvalidSignature, 0},
		{"no signature", []retabtest.Option{retabtest.WithoutSignature()}, 401, framework.ErrMissingSignature, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			res := send(tt.opts...)
			require.Equal(t, tt.status, res.Status, res.Body)
			if tt.err != nil {
				assert.Equal(t, tt.err.Type(), res.Problem.Type)
				assert.Empty(t, got)
				for _, s := range []string{global, test1, test2, prod} {
					assert.NotContains(t, string(res.Body), s)
				}
				return
			}
			require.Len(t, got, 1)
			assert.Equal(t, tt.index, got[0].SecretIndex)
			assert.Equal(t, got[0].Event.Environment, got[0].Environment)
			assert.Equal(t, "timestamped", got[0].Scheme)
			assert.Equal(t, framework.FormulaTimestamped, got[0].Formula)
		})
	}

	// The completion webhook names no environment: every secret verifies
	// it, and the environment is the matching secret's.
	inv := sampleInvoice(t)
	framework.Handle(r, func(context.Context, fixtures.Invoice) error { return nil })
	d, err := retabtest.NewDelivery(inv, retabtest.WithSecret(prod))
	require.NoError(t, err)
	var seen framework.Outcome
	r2, err := framework.NewRouter(framework.WithLogger(quietLogger()), framework.WithSecrets(global),
		framework.WithEnvironmentSecrets("production", prod), framework.WithObserver(finishFunc(func(o framework.Outcome) { seen = o })))
	require.NoError(t, err)
	framework.Handle(r2, func(context.Context, fixtures.Invoice) error { return nil })
	require.Equal(t, 200, retabtest.Serve(r2, d, "/webhook").Status)
	assert.Equal(t, "production", seen.Delivery.Environment)
}

func TestEventRouting(t *testing.T) {
	r, err := framework.NewRouter(framework.WithLogger(quietLogger()), framework.WithSecrets(retabtest.Secret),
		framework.WithDeduplication(time.Hour))
	require.NoError(t, err)
	var runs []framework.WorkflowRun
	var invoices []fixtures.Invoice
	var ds []*framework.Delivery
	framework.HandleEvent(r, framework.EventWorkflowRunCompleted, func(_ context.Context, run framework.WorkflowRun) error {
		runs = append(runs, run)
		return nil
	})
	framework.Handle(r, func(ctx context.Context, inv fixtures.Invoice) error {
		d, _ := framework.DeliveryFrom(ctx)
		invoices, ds = append(invoices, inv), append(ds, d)
		return nil
	})

	// Retab's sample: a WorkflowRun.
	sample, err := os.ReadFile("testdata/event-workflow-run-completed.json")
	require.NoError(t, err)
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(sample, &env))
	d, err := retabtest.NewEvent(framework.EventWorkflowRunCompleted, env.Data, retabtest.WithEventID("evt_01JV9Q3M7X2K8Y4N6B5C0D1E2F"))
	require.NoError(t, err)
	res := retabtest.Serve(r, d, "/webhook")
	require.Equal(t, 200, res.Status, res.Body)
	require.Len(t, runs, 1)
	assert.Equal(t, "run_8f3a2c71d4", runs[0].ID)
	assert.Equal(t, framework.RunCompleted, runs[0].Lifecycle.Status)
	assert.Equal(t, "email", runs[0].Trigger.Type)
	assert.Equal(t, "acme", runs[0].Metadata["tenant"])
	require.NotNil(t, runs[0].Timing.CompletedAt)
	assert.Equal(t, time.Date(2026, 5, 19, 11, 59, 58, 0, time.UTC), runs[0].Timing.CompletedAt.UTC())

	// A retry of the same event id is a duplicate, even re-signed later
	// and with another body.
	d2, err := retabtest.NewEvent(framework.EventWorkflowRunCompleted, json.RawMessage(`{"id":"run_8f3a2c71d4","lifecycle":{"status":"completed"}}`),
		retabtest.WithEventID("evt_01JV9Q3M7X2K8Y4N6B5C0D1E2F"), retabtest.WithSignedAt(time.Now().Add(time.Second)))
	require.NoError(t, err)
	res = retabtest.Serve(r, d2, "/webhook")
	require.Equal(t, 200, res.Status)
	assert.Contains(t, string(res.Body), `"status":"duplicate"`)
	assert.Len(t, runs, 1)

	// An event type nobody handles: 200 ignored.
	d3, err := retabtest.NewEvent("workflow.run.started", json.RawMessage(`{"id":"run_2"}`))
	require.NoError(t, err)
	res = retabtest.Serve(r, d3, "/webhook")
	require.Equal(t, 200, res.Status)
	assert.Contains(t, string(res.Body), `"status":"ignored"`)
	assert.Contains(t, string(res.Body), `"event_type":"workflow.run.started"`)

	// An extraction event: output to the struct handler, likelihoods and
	// metadata on the delivery.
	inv := sampleInvoice(t)
	d4, err := retabtest.NewExtractionEvent(inv, retabtest.WithEnvironment("production"),
		retabtest.WithLikelihoods(json.RawMessage(`{"total":0.75}`)), retabtest.WithMetadata(map[string]any{"tenant": "acme"}),
		retabtest.WithFile("invoice.pdf", retabtest.PDF("x")))
	require.NoError(t, err)
	res = retabtest.Serve(r, d4, "/webhook")
	require.Equal(t, 200, res.Status, res.Body)
	require.Len(t, invoices, 1)
	assert.Equal(t, inv, invoices[0])
	l, ok := ds[0].Likelihood("/total")
	assert.True(t, ok)
	assert.Equal(t, 0.75, l)
	assert.Equal(t, "acme", ds[0].Metadata["tenant"])
	assert.Equal(t, "invoice.pdf", ds[0].File.Filename)
	assert.Equal(t, "application/pdf", ds[0].File.MIMEType)
	assert.Equal(t, "production", ds[0].Environment)
	assert.Equal(t, "event", ds[0].Format)
	assert.Equal(t, retabtest.ExtractionEventType, ds[0].Event.Type)
	_, err = ds[0].File.Data()
	assert.True(t, errors.Is(err, framework.ErrNoFileData))

	// An extraction whose output breaks the schema is a 422 like any content.
	d5, err := retabtest.NewExtractionEvent(json.RawMessage(`{"number":"x"}`))
	require.NoError(t, err)
	res = retabtest.Serve(r, d5, "/webhook")
	require.Equal(t, 422, res.Status)
}

// TestSameValueFromEveryShape sends one invoice in the three envelope
// shapes: the handler gets the same value each time.
func TestSameValueFromEveryShape(t *testing.T) {
	inv := sampleInvoice(t)
	r, ds, got := invoiceRouter(t)
	build := map[string]func() (*retabtest.Delivery, error){
		"completion": func() (*retabtest.Delivery, error) { return retabtest.NewDelivery(inv) },
		"end_node":   func() (*retabtest.Delivery, error) { return retabtest.NewEndNodeDelivery(inv) },
		"event":      func() (*retabtest.Delivery, error) { return retabtest.NewExtractionEvent(inv) },
	}
	for _, name := range []string{"completion", "end_node", "event"} {
		d, err := build[name]()
		require.NoError(t, err)
		res := retabtest.Serve(r, d, "/webhook")
		require.Equal(t, 200, res.Status, name+": "+string(res.Body))
	}
	require.Len(t, *got, 3)
	for i, name := range []string{"completion", "end_node", "event"} {
		assert.Equal(t, inv, (*got)[i], name)
		assert.Equal(t, name, (*ds)[i].Format)
	}
}

func TestEventMalformed(t *testing.T) {
	r, _ := vectorRouter(t, time.Now().Unix(), retabtest.Secret)
	for name, body := range map[string]string{
		"type not a string": `{"id":"evt_1","type":3,"data":{}}`,
		"empty type":        `{"id":"evt_1","type":"","data":{}}`,
		"no id":             `{"type":"workflow.run.completed","data":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			w := postEvent(r, body, framework.SignTimestamped(retabtest.Secret, time.Now(), []byte(body), ""), "")
			require.Equal(t, 400, w.Code, w.Body.String())
			assert.Contains(t, w.Body.String(), "malformed-envelope")
		})
	}
	body := `{"id":"evt_1","type":"workflow.run.completed","environment":"test","data":null}`
	w := postEvent(r, body, framework.SignTimestamped(retabtest.Secret, time.Now(), []byte(body), ""), "test")
	require.Equal(t, 422, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), "no-content")
}

// TestReferenceSamples sends the reference samples of each shape, signed
// as their format is.
func TestReferenceSamples(t *testing.T) {
	r, ds, got := invoiceRouter(t)
	framework.HandleEvent(r, framework.EventWorkflowRunCompleted, func(context.Context, framework.WorkflowRun) error { return nil })
	for _, tt := range []struct{ file, format, env string }{
		{"end-node-webhook.json", "end_node", ""},
		{"event-extraction-completed.json", "event", "production"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile("testdata/" + tt.file)
			require.NoError(t, err)
			d := retabtest.Signed(retabtest.Secret, body)
			if tt.env != "" {
				d.Header.Set("X-Retab-Signature", framework.SignTimestamped(retabtest.Secret, time.Now(), body, ""))
				d.Header.Set(framework.EnvironmentHeader, tt.env)
			}
			res := retabtest.Serve(r, d, "/webhook")
			require.Equal(t, 200, res.Status, string(res.Body))
			last := (*ds)[len(*ds)-1]
			assert.Equal(t, tt.format, last.Format)
			assert.Equal(t, "INV-2024-0042", (*got)[len(*got)-1].Number)
		})
	}
	l, ok := (*ds)[1].Likelihood("/total")
	assert.True(t, ok)
	assert.Greater(t, l, 0.0)
}
