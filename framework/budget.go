package framework

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// ErrBusy is answered when a request waited for room under
// [WithMaxInFlightBytes] and its context ended first (the client went
// away, or the server is shutting down). It is never answered while the
// client still waits.
var ErrBusy = &Problem{"busy", "Receiver busy", http.StatusServiceUnavailable}

// WithMaxInFlightBytes bounds the memory that request bodies hold: before
// reading, a request reserves its declared Content-Length (the body limit
// when it declares none; at most n), and it waits, first come first
// served, while the reservations of the requests in flight would exceed
// n. It waits rather than refuses because Retab does not retry a refused
// delivery. The reservation is released when the request is answered.
// A body decoded by File.Data takes 0.75x the body more, outside the
// bound. Default: 0, no bound (the heap then grows with concurrent large
// deliveries as BENCHMARKS.md describes).
func WithMaxInFlightBytes(n int64) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("retabhook: WithMaxInFlightBytes(%d): must not be negative", n)
		}
		c.maxInFlight = n
		return nil
	}
}

// budget is a weighted semaphore of bytes. Waiters are served in order,
// so a large body is not starved by a stream of small ones.
type budget struct {
	mu      sync.Mutex
	size    int64
	used    int64
	waiters list.List // of *budgetWaiter
}

type budgetWaiter struct {
	n     int64
	ready chan struct{}
}

func newBudget(size int64) *budget { return &budget{size: size} }

// acquire reserves n bytes (n <= size), waiting for room until ctx ends.
func (b *budget) acquire(ctx context.Context, n int64) error {
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.size-b.used >= n {
		b.used += n
		b.mu.Unlock()
		return nil
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	elem := b.waiters.PushBack(w)
	b.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready:
		// Granted while the context ended: give it back.
		b.used -= n
	default:
		b.waiters.Remove(elem)
	}
	b.grant()
	return ctx.Err()
}

// release returns n bytes.
func (b *budget) release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.used < 0 {
		panic(errors.New("retabhook: budget released more than acquired"))
	}
	b.grant()
}

// grant serves the waiters at the front that now fit.
func (b *budget) grant() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*budgetWaiter)
		if b.size-b.used < w.n {
			return
		}
		b.used += w.n
		b.waiters.Remove(e)
		close(w.ready)
	}
}

// reserve takes the request's share of WithMaxInFlightBytes; the returned
// function gives it back.
func (r *Router) reserve(ctx context.Context, req *http.Request) (release func(), err error) {
	if r.budget == nil || req.ContentLength > r.cfg.maxBody {
		// No bound, or a body readBody refuses (413) without reading it.
		return func() {}, nil
	}
	n := req.ContentLength
	if n < 0 {
		n = r.cfg.maxBody
	}
	n = min(n, r.budget.size)
	if err := r.budget.acquire(ctx, n); err != nil {
		return nil, fmt.Errorf("%w: the request ended while waiting for room under WithMaxInFlightBytes: %w", ErrBusy, err)
	}
	return func() { r.budget.release(n) }, nil
}
