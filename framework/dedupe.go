package framework

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// DedupeKeyFunc returns the key deliveries are de-duplicated by: two
// deliveries with the same key within the window are one delivery. It is
// called after routing and validation, so d.Kind and d.Value are set.
type DedupeKeyFunc func(d *Delivery, body []byte) string

// KeyByBody is a [DedupeKeyFunc], the default for every delivery but
// events ([KeyByEvent]): [BodyKeyPrefix] ("xxh3:") and the 32 hex digits
// of the raw body's XXH3-128, the digest behind Delivery.ID. Retab's rerun
// sends the same body again, so a rerun has the same key. For a delivery
// the router decoded, the digest behind Delivery.ID is reused, so a body
// is not hashed again. Keys of earlier versions ("sha256:" or
// "sha256-doc:" and 64 hex digits, CHANGELOG.md) are never equal to one.
func KeyByBody(d *Delivery, body []byte) string {
	if d != nil && d.hasBodySum(body) {
		return d.digest.key()
	}
	dg := digestBody(body)
	return dg.key()
}

// KeyByEvent is the default [DedupeKeyFunc]: an event's id ("event:" +
// environment + ":" + id), since Retab retries an event with the same id
// (and the body of a retry need not be the same bytes); [KeyByBody] for
// every other delivery.
func KeyByEvent(d *Delivery, body []byte) string {
	if d != nil && d.Event != nil && d.Event.ID != "" {
		return "event:" + d.Event.Environment + ":" + d.Event.ID
	}
	return KeyByBody(d, body)
}

// KeyByCompletion is a [DedupeKeyFunc] that treats deliveries of the same
// kind for the same completion id as one, even when their bodies differ
// (for example in metadata): "completion:" + kind + ":" + completion id.
// A delivery without a completion id falls back to [KeyByBody].
func KeyByCompletion(d *Delivery, body []byte) string {
	if d.CompletionID == "" {
		return KeyByBody(d, body)
	}
	return "completion:" + d.Kind + ":" + d.CompletionID
}

// Deduper remembers which deliveries were processed, for the synchronous
// mode's de-duplication. [NewMemoryDeduper] keeps them in the process;
// package handlers/durable shares them between instances.
type Deduper interface {
	// Begin claims key before the handler runs. seen is true when a
	// delivery with that key was processed within the window: the router
	// answers 200 {"status":"duplicate"} without calling the handler.
	// Otherwise the caller owns the key and calls finish once with
	// processed = true to remember it for the window, or false (the
	// handler failed) to release it so that a rerun is processed. A key
	// claimed by a delivery still in progress makes Begin wait for it; an
	// error wrapping [ErrDuplicateInProgress] is returned when ctx ends
	// first. Any other error makes the router process the delivery
	// without de-duplication (it fails open) and log a warning.
	Begin(ctx context.Context, key string) (seen bool, finish func(processed bool), err error)
}

// WithDeduplication turns on de-duplication in the synchronous mode, in
// memory ([NewMemoryDeduper]): a delivery whose key ([WithDedupeKey]) was
// processed successfully within window is answered 200
// {"status":"duplicate"} and its handler is not called; a delivery whose
// handler failed is not remembered, so a rerun is processed. Use
// [WithDeduper] to share the window between instances. Default: off.
func WithDeduplication(window time.Duration) Option {
	return func(c *config) error {
		if window <= 0 {
			return fmt.Errorf("retabhook: WithDeduplication(%s): window must be positive", window)
		}
		c.deduper = NewMemoryDeduper(window)
		return nil
	}
}

// WithDeduper is [WithDeduplication] with the given store, for example
// one shared by several instances. Default: none.
func WithDeduper(d Deduper) Option {
	return func(c *config) error {
		if d == nil {
			return errors.New("retabhook: WithDeduper(nil)")
		}
		c.deduper = d
		return nil
	}
}

// WithDedupeKey sets the de-duplication key, used by [WithDeduplication],
// [WithDeduper] and [WithDispatcher]. Default: [KeyByEvent] (events by
// id, other deliveries by body).
func WithDedupeKey(f DedupeKeyFunc) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("retabhook: WithDedupeKey(nil)")
		}
		c.dedupeKey = f
		return nil
	}
}

func (r *Router) dedupeKey(d *Delivery, body []byte) string {
	if r.cfg.dedupeKey == nil {
		return KeyByEvent(d, body)
	}
	return r.cfg.dedupeKey(d, body)
}

// MemoryDeduper is a [Deduper] that keeps keys in the process's memory for
// a window. It is safe for concurrent use.
//
// A processed key is remembered by a 128-bit hash of it (two
// [hash/maphash] sums with seeds of the deduper's own) and the time it was
// processed, in a map without pointers: 24 bytes per key, which the
// garbage collector does not scan, however many a long window holds.
// Two different keys are taken for one with a probability below 2^-64
// even among 2^32 keys. Keys in progress are kept as they are.
type MemoryDeduper struct {
	window time.Duration
	start  time.Time // what its times count from (monotonic): see elapsed
	seeds  [2]maphash.Seed

	mu     sync.Mutex
	done   map[dedupeSum]int64     // processed keys: when, in ns since start
	claims map[string]*dedupeEntry // keys in progress
	swept  int64                   // the last sweep, in ns since start
}

// dedupeSum is a key's hash in MemoryDeduper.done.
type dedupeSum [2]uint64

type dedupeEntry struct {
	m        *MemoryDeduper
	key      string
	sum      dedupeSum
	finished bool          // the claim ended (finish was called)
	wait     chan struct{} // made by the first waiter, closed when the claim ends
}

// NewMemoryDeduper returns a [MemoryDeduper] that remembers a processed key
// for window.
func NewMemoryDeduper(window time.Duration) *MemoryDeduper {
	return &MemoryDeduper{window: window, start: time.Now(), seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		done: map[dedupeSum]int64{}, claims: map[string]*dedupeEntry{}}
}

func (m *MemoryDeduper) sum(key string) dedupeSum {
	return dedupeSum{maphash.String(m.seeds[0], key), maphash.String(m.seeds[1], key)}
}

// elapsed is the time since m was made, as done counts it: one read of
// the monotonic clock (time.Now reads the wall clock too).
func (m *MemoryDeduper) elapsed() int64 {
	return int64(time.Since(m.start))
}

// Begin implements [Deduper].
func (m *MemoryDeduper) Begin(ctx context.Context, key string) (bool, func(bool), error) {
	sum := m.sum(key)
	for {
		m.mu.Lock()
		now := m.elapsed()
		m.sweep(now)
		at, ok := m.done[sum]
		if ok && now-at < int64(m.window) {
			m.mu.Unlock()
			return true, nil, nil
		}
		if e, ok := m.claims[key]; ok {
			if e.wait == nil {
				e.wait = make(chan struct{})
			}
			wait := e.wait
			m.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return false, nil, fmt.Errorf("%w: %w", ErrDuplicateInProgress, context.Cause(ctx))
			}
		}
		if ok {
			delete(m.done, sum) // expired: the key is in one map at a time
		}
		e := &dedupeEntry{m: m, key: key, sum: sum}
		m.claims[key] = e
		m.mu.Unlock()
		return false, e.finish, nil
	}
}

// finish ends the claim of e.key (the first call only): processed
// remembers it for the window, otherwise it is released.
func (e *dedupeEntry) finish(processed bool) {
	m := e.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.finished {
		return
	}
	e.finished = true
	if m.claims[e.key] == e {
		delete(m.claims, e.key)
	}
	if processed {
		m.done[e.sum] = m.elapsed()
	}
	if e.wait != nil {
		close(e.wait)
	}
}

// Len returns the number of keys remembered or in progress.
func (m *MemoryDeduper) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(m.elapsed())
	return len(m.done) + len(m.claims)
}

// sweep forgets expired keys, at most ten times per window; now is
// elapsed's.
func (m *MemoryDeduper) sweep(now int64) {
	if now-m.swept < int64(m.window/10) {
		return
	}
	m.swept = now
	cut := now - int64(m.window)
	for k, at := range m.done {
		if at <= cut {
			delete(m.done, k)
		}
	}
}
