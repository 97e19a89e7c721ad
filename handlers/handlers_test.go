package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers"
	"github.com/retabhook/retabhook/internal/fixtures"
)

type CalendarEvent struct {
	Name string `json:"name"`
	Date string `json:"date"`
}

const secret = "whsec_handlers"

func send(t *testing.T, r http.Handler) *httptest.ResponseRecorder {
	t.Helper()
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", framework.Sign(secret, body))
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func newRouter(t *testing.T, opts ...framework.Option) *framework.Router {
	t.Helper()
	r, err := framework.NewRouter(append([]framework.Option{framework.WithSecrets(secret), framework.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	require.NoError(t, err)
	return r
}

func TestRecoverLetsOuterMiddlewareSeeThePanic(t *testing.T) {
	var seen error
	outer := func(next framework.HandlerFunc) framework.HandlerFunc {
		return func(ctx context.Context, d *framework.Delivery) error {
			seen = next(ctx, d)
			return seen
		}
	}
	r := newRouter(t, framework.WithMiddleware(outer, handlers.Recover()))
	framework.Handle(r, func(context.Context, CalendarEvent) error { panic("boom") })
	w := send(t, r)
	require.Equal(t, 500, w.Code)
	var pe *framework.PanicError
	require.ErrorAs(t, seen, &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.Contains(t, string(pe.Stack), "goroutine")
	assert.Contains(t, w.Body.String(), framework.ErrPanic.Type())
}

func TestTimeout(t *testing.T) {
	r := newRouter(t)
	var gotErr error
	framework.Handle(r, func(ctx context.Context, _ CalendarEvent) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Second):
			return nil
		}
	}, framework.WithHandlerMiddleware(func(next framework.HandlerFunc) framework.HandlerFunc {
		return func(ctx context.Context, d *framework.Delivery) error {
			gotErr = next(ctx, d)
			return gotErr
		}
	}, handlers.Timeout(20*time.Millisecond)))
	w := send(t, r)
	require.Equal(t, 500, w.Code)
	require.ErrorIs(t, gotErr, handlers.ErrTimeout)
	require.ErrorIs(t, gotErr, context.DeadlineExceeded)
}

func TestTimeoutPassesFastHandlers(t *testing.T) {
	r := newRouter(t, framework.WithMiddleware(handlers.Timeout(time.Minute)))
	framework.Handle(r, func(ctx context.Context, _ CalendarEvent) error {
		_, ok := ctx.Deadline()
		assert.True(t, ok)
		return nil
	})
	assert.Equal(t, 200, send(t, r).Code)
}

func TestLog(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := newRouter(t, framework.WithMiddleware(handlers.Log(logger)))
	fail := false
	framework.Handle(r, func(context.Context, CalendarEvent) error {
		if fail {
			return errors.New("calendar API down")
		}
		return nil
	})
	require.Equal(t, 200, send(t, r).Code)
	assert.Contains(t, logs.String(), `"level":"DEBUG","msg":"handler done","kind":"calendar_event"`)
	fail = true
	require.Equal(t, 500, send(t, r).Code)
	assert.Contains(t, logs.String(), `"level":"ERROR","msg":"handler failed","kind":"calendar_event"`)
	assert.Contains(t, logs.String(), `"error":"calendar API down"`)
	assert.Contains(t, logs.String(), `"attempt":1`)
}

func TestFanOut(t *testing.T) {
	errA := errors.New("a failed")
	errC := errors.New("c failed")
	var calls []string
	h := handlers.FanOut(
		func(_ context.Context, ev CalendarEvent) error { calls = append(calls, "a:"+ev.Name); return errA },
		func(_ context.Context, ev CalendarEvent) error { calls = append(calls, "b:"+ev.Name); return nil },
		func(_ context.Context, ev CalendarEvent) error { calls = append(calls, "c:"+ev.Name); return errC },
	)
	err := h(context.Background(), CalendarEvent{Name: "x"})
	assert.Equal(t, []string{"a:x", "b:x", "c:x"}, calls)
	require.ErrorIs(t, err, errA)
	require.ErrorIs(t, err, errC)
	require.NoError(t, handlers.FanOut[CalendarEvent]()(context.Background(), CalendarEvent{}))

	r := newRouter(t)
	framework.Handle(r, h)
	assert.Equal(t, 500, send(t, r).Code)
}
