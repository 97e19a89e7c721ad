package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/retabhook/retabhook/framework"
)

// Recover turns a handler panic into a *framework.PanicError (matching
// framework.ErrPanic through the router), so that middleware outside it
// (retries, logging) sees an ordinary error. The router recovers panics
// by itself; Recover is for stacks that must observe them.
func Recover() framework.Middleware {
	return func(next framework.HandlerFunc) framework.HandlerFunc {
		return func(ctx context.Context, d *framework.Delivery) (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = &framework.PanicError{Value: p, Stack: debug.Stack()}
				}
			}()
			return next(ctx, d)
		}
	}
}

// ErrTimeout is returned by a handler that [Timeout] stopped waiting for.
var ErrTimeout = errors.New("handlers: handler timed out")

// Timeout gives the handler a context that is cancelled after d, and
// returns an error wrapping ErrTimeout when the handler returns after
// that with an error of its context. A handler that ignores its context
// is not interrupted.
func Timeout(d time.Duration) framework.Middleware {
	return func(next framework.HandlerFunc) framework.HandlerFunc {
		return func(ctx context.Context, dl *framework.Delivery) error {
			ctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			err := next(ctx, dl)
			if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w after %s: %w", ErrTimeout, d, err)
			}
			return err
		}
	}
}

// Log logs each handler call with its kind, delivery id, attempt,
// duration and error, at Debug on success and Error on failure.
func Log(logger *slog.Logger) framework.Middleware {
	return func(next framework.HandlerFunc) framework.HandlerFunc {
		return func(ctx context.Context, d *framework.Delivery) error {
			start := time.Now()
			err := next(ctx, d)
			attrs := []slog.Attr{
				slog.String("kind", d.Kind),
				slog.String("delivery_id", d.ID),
				slog.Int("attempt", d.Attempt),
				slog.Duration("duration", time.Since(start)),
			}
			if err != nil {
				logger.LogAttrs(ctx, slog.LevelError, "handler failed", append(attrs, slog.String("error", err.Error()))...)
			} else {
				logger.LogAttrs(ctx, slog.LevelDebug, "handler done", attrs...)
			}
			return err
		}
	}
}

// FanOut returns one handler that calls each of hs in order with the same
// value, so several consumers (storage, notification, analytics) can share
// one registration. Every handler runs even if an earlier one fails; the
// result joins their errors (errors.Is matches each).
func FanOut[T any](hs ...func(ctx context.Context, v T) error) func(ctx context.Context, v T) error {
	return func(ctx context.Context, v T) error {
		var errs []error
		for _, h := range hs {
			if err := h(ctx, v); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}
