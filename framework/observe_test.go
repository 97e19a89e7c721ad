package framework_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

type ctxKey string

// traceObserver records every call it gets, prefixed with its name.
type traceObserver struct {
	name  string
	mu    *sync.Mutex
	calls *[]string
	last  framework.Outcome
}

func (o *traceObserver) add(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	*o.calls = append(*o.calls, o.name+":"+s)
}

func (o *traceObserver) StartStage(ctx context.Context, s framework.Stage) (context.Context, func(error)) {
	o.add("start " + string(s) + " " + fmt.Sprint(ctx.Value(ctxKey("request"))))
	return ctx, func(err error) {
		suffix := ""
		if err != nil {
			suffix = " " + framework.ProblemOf(err).Slug
		}
		o.add("end " + string(s) + suffix)
	}
}

func (o *traceObserver) Finish(ctx context.Context, out framework.Outcome) {
	o.add(fmt.Sprintf("finish %d %v", out.Status, ctx.Value(ctxKey("request"))))
	o.last = out
}

// requestObserver also hears of each request, and marks its context.
type requestObserver struct{ traceObserver }

func (o *requestObserver) StartRequest(ctx context.Context, r *http.Request) context.Context {
	o.add("request " + r.Method + " " + r.URL.Path)
	return context.WithValue(ctx, ctxKey("request"), o.name)
}

func TestObserverSeesEveryStageInOrder(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	a := &requestObserver{traceObserver{name: "a", mu: &mu, calls: &calls}}
	b := &traceObserver{name: "b", mu: &mu, calls: &calls}
	var handlerSaw any
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()),
		framework.WithObserver(a), framework.WithObserver(b))
	require.NoError(t, err)
	framework.Handle(r, func(ctx context.Context, ev CalendarEvent) error {
		handlerSaw = ctx.Value(ctxKey("request"))
		return nil
	})

	w := post(t, r, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent), secret)
	require.Equal(t, 200, w.Code)
	assert.Equal(t, "a", handlerSaw, "the handler's context derives from StartRequest's")
	want := []string{"a:request POST /webhook"}
	for _, s := range []framework.Stage{framework.StageRead, framework.StageVerify, framework.StageDecode, framework.StageRoute, framework.StageValidate, framework.StageHandle} {
		want = append(want, "a:start "+string(s)+" a", "b:start "+string(s)+" a", "b:end "+string(s), "a:end "+string(s))
	}
	want = append(want, "b:finish 200 a", "a:finish 200 a")
	assert.Equal(t, want, calls)
	require.NotNil(t, a.last.Delivery)
	assert.Equal(t, "calendar_event", a.last.Delivery.Kind)
	assert.Equal(t, 0, a.last.Delivery.SecretIndex)
	assert.Positive(t, a.last.BodyBytes)
}

func TestObserverSeesTheFailingStage(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	a := &requestObserver{traceObserver{name: "a", mu: &mu, calls: &calls}}
	r, _ := newTestRouter(t, framework.WithObserver(a))
	w := post(t, r, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent), "whsec_wrong")
	require.Equal(t, 401, w.Code)
	assert.Equal(t, []string{
		"a:request POST /webhook",
		"a:start read a", "a:end read",
		"a:start verify a", "a:end verify invalid-signature",
		"a:finish 401 a",
	}, calls)
	assert.ErrorIs(t, a.last.Err, framework.ErrInvalidSignature)
	assert.Nil(t, a.last.Delivery)
}

func TestWithObserverNil(t *testing.T) {
	_, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithObserver(nil))
	require.Error(t, err)
}

func TestQueueObserverFunc(t *testing.T) {
	var got []framework.QueueEvent
	var o framework.QueueObserver = framework.QueueObserverFunc(func(_ context.Context, e framework.QueueEvent) { got = append(got, e) })
	o.QueueEvent(context.Background(), framework.QueueEvent{Type: framework.QueueRetry, Kind: "invoice", Attempt: 2, Delay: time.Second})
	require.Len(t, got, 1)
	assert.Equal(t, framework.QueueRetry, got[0].Type)
	assert.Equal(t, 2, got[0].Attempt)
	assert.Equal(t, time.Second, got[0].Delay)
}

func TestSignatureErrorReason(t *testing.T) {
	body := []byte(fixtures.BodyVector)
	tests := []struct {
		name      string
		signature string
		want      framework.SignatureReason
		sentinel  error
	}{
		{"missing", "  ", framework.SignatureMissing, framework.ErrMissingSignature},
		{"short", "abc", framework.SignatureMalformed, framework.ErrInvalidSignature},
		{"not hex", "zz" + fixtures.SignatureVector[2:], framework.SignatureMalformed, framework.ErrInvalidSignature},
		{"prefixed", "sha256=" + fixtures.SignatureVector, framework.SignatureMalformed, framework.ErrInvalidSignature},
		{"other secret", framework.Sign("whsec_other", body), framework.SignatureMismatch, framework.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := framework.Verify(body, tt.signature, fixtures.SecretVector)
			var se *framework.SignatureError
			require.True(t, errors.As(err, &se), "%v", err)
			assert.Equal(t, tt.want, se.Reason)
			assert.ErrorIs(t, err, tt.sentinel)
			assert.Equal(t, framework.StatusOf(tt.sentinel), framework.StatusOf(err))
		})
	}
}
