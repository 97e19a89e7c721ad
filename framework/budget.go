package framework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// ErrBusy is answered when a request waited for room under
// [WithMaxInFlightBytes] longer than [WithBusyTimeout] allows, or its
// client went away (or the server shut down) while it waited. Nothing of
// its body was kept but the first 64 KiB.
var ErrBusy = &Problem{"busy", "Receiver busy", http.StatusServiceUnavailable}

// WithMaxInFlightBytes bounds the memory that request bodies hold: before
// reading, a request that carries a well-formed signature header reserves
// its declared Content-Length (the body limit when it declares none; at
// most n), and it waits, first come first served, while the reservations
// of the requests in flight would exceed n. A request without one is
// refused before it reserves anything, so unauthenticated senders cannot
// take the room. It waits rather than refuses because Retab does not retry
// a refused delivery, but at most [WithBusyTimeout]; a waiting request
// holds at most 64 KiB of its body, outside the bound, which it reads to
// notice at once when its client goes away. The reservation is released
// when the request is answered. A body decoded by File.Data takes 0.75x
// the body more, outside the bound. Default: 0, no bound (the heap then
// grows with concurrent large deliveries as BENCHMARKS.md describes).
func WithMaxInFlightBytes(n int64) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("retabhook: WithMaxInFlightBytes(%d): must not be negative", n)
		}
		c.maxInFlight = n
		return nil
	}
}

// DefaultBusyTimeout is [WithBusyTimeout]'s default.
const DefaultBusyTimeout = 10 * time.Second

// WithBusyTimeout sets how long a request waits for room under
// [WithMaxInFlightBytes] before it is answered 503 [ErrBusy]. Default:
// [DefaultBusyTimeout] (10 s; Retab's test tool waits 30 s for an answer).
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("retabhook: WithBusyTimeout(%s): must be positive", d)
		}
		c.busyTimeout = d
		return nil
	}
}

// budget is a weighted semaphore of bytes (golang.org/x/sync/semaphore:
// waiters are served in order, so a large body is not starved by a stream
// of small ones; TryAcquire succeeds only when nobody waits; a wait ends
// with its context), with counts of the bytes reserved and the requests
// waiting, for tests and logs.
type budget struct {
	sem     *semaphore.Weighted
	size    int64
	used    atomic.Int64
	waiting atomic.Int64
}

func newBudget(size int64) *budget {
	return &budget{sem: semaphore.NewWeighted(size), size: size}
}

// tryAcquire reserves n bytes when they are free and nobody waits.
func (b *budget) tryAcquire(n int64) bool {
	if !b.sem.TryAcquire(n) {
		return false
	}
	b.used.Add(n)
	return true
}

// acquire reserves n bytes (n <= size), waiting for room until ctx ends.
func (b *budget) acquire(ctx context.Context, n int64) error {
	b.waiting.Add(1)
	err := b.sem.Acquire(ctx, n)
	b.waiting.Add(-1)
	if err == nil {
		b.used.Add(n)
	}
	return err
}

// release returns n bytes.
func (b *budget) release(n int64) {
	if b.used.Add(-n) < 0 {
		panic(errors.New("retabhook: budget released more than acquired"))
	}
	b.sem.Release(n)
}

// state reports the bytes reserved and the requests waiting for room.
func (b *budget) state() (used int64, waiting int) {
	return b.used.Load(), int(b.waiting.Load())
}

// errClientGone ends a wait for room whose client went away.
var errClientGone = errors.New("the client went away")

// reserve takes the request's share of WithMaxInFlightBytes, held bytes
// (0 without it), which the caller gives back with r.unreserve (a number,
// not a closure: nothing is allocated for it). When the request must wait,
// it reads the start of the body meanwhile (at most firstAlloc; see
// watch), and returns what it read and the error that read ended with, for
// readBody to go on from.
func (r *Router) reserve(ctx context.Context, req *http.Request, clock *bodyClock) (held int64, pre []byte, preErr error, err error) {
	if r.budget == nil {
		return 0, nil, nil, nil
	}
	n := req.ContentLength
	if n < 0 {
		n = r.cfg.maxBody
	}
	n = min(n, r.budget.size)
	if r.budget.tryAcquire(n) {
		return n, nil, nil, nil
	}

	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	wctx, stop := context.WithTimeout(wctx, r.cfg.busyTimeout)
	defer stop()
	var wt *watcher
	if req.Body != nil && req.Body != http.NoBody && !expectsContinue(req) {
		wt = watch(req, func() { cancel(errClientGone) })
	}
	err = r.budget.acquire(wctx, n)
	if err == nil {
		clock.begin() // the pending read, if any, gets the body's deadline
		pre, preErr = wt.stop()
		return n, pre, preErr, nil
	}
	gone := errors.Is(context.Cause(wctx), errClientGone)
	if clock.now() { // unblock the pending read
		_, werr := wt.stop()
		gone = gone || (werr != nil && werr != io.EOF && !errors.Is(werr, os.ErrDeadlineExceeded))
	}
	why := "it waited longer than WithBusyTimeout (" + r.cfg.busyTimeout.String() + ")"
	switch {
	case gone:
		why = "the client went away"
	case ctx.Err() != nil:
		why = "the request ended"
	}
	return 0, nil, nil, fmt.Errorf("%w: no room under WithMaxInFlightBytes: %s", ErrBusy, why)
}

// unreserve gives back what reserve held.
func (r *Router) unreserve(held int64) {
	if held > 0 {
		r.budget.release(held)
	}
}

// expectsContinue reports a request that waits for "100 Continue" before
// sending its body: reading it would send one, inviting the body.
func expectsContinue(req *http.Request) bool {
	return strings.EqualFold(req.Header.Get("Expect"), "100-continue")
}

// watcher reads the start of a body while its request waits for room: a
// read is the only way net/http tells a handler that its client closed
// the connection before the body was read. It stops when its buffer is
// full (firstAlloc), at the end of the body, or at an error other than
// the end (then the client went away, and gone is called).
type watcher struct {
	buf  []byte
	err  error
	quit atomic.Bool
	done chan struct{}
}

func watch(req *http.Request, gone func()) *watcher {
	size := firstAlloc
	if req.ContentLength >= 0 {
		size = int(min(req.ContentLength+1, firstAlloc))
	}
	wt := &watcher{buf: make([]byte, 0, size), done: make(chan struct{})}
	go func() {
		defer close(wt.done)
		for !wt.quit.Load() && len(wt.buf) < cap(wt.buf) {
			n, err := req.Body.Read(wt.buf[len(wt.buf):cap(wt.buf)])
			wt.buf = wt.buf[:len(wt.buf)+n]
			if err != nil {
				wt.err = err
				if err != io.EOF {
					gone()
				}
				return
			}
		}
	}()
	return wt
}

// stop waits for the read in progress (the caller set its deadline) and
// returns what was read.
func (wt *watcher) stop() ([]byte, error) {
	if wt == nil {
		return nil, nil
	}
	wt.quit.Store(true)
	<-wt.done
	return wt.buf, wt.err
}
