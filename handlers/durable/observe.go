package durable

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// EventType names what happened to a delivery.
type EventType string

// The events an [Observer] is told of.
const (
	// EventAccepted: a delivery was stored in the inbox (answered 202).
	EventAccepted EventType = "accepted"
	// EventDuplicate: a delivery's key was already accepted within the
	// window (answered 200 duplicate, not stored again).
	EventDuplicate EventType = "duplicate"
	// EventProcessed: a handler returned nil; the delivery is done.
	EventProcessed EventType = "processed"
	// EventRetry: a handler failed; the delivery is retried after Delay.
	EventRetry EventType = "retry"
	// EventDeadLettered: a handler failed its last attempt (or the
	// delivery can never succeed); it moved to the dead letters.
	EventDeadLettered EventType = "dead_lettered"
	// EventReplayed: a dead letter was put back in the inbox.
	EventReplayed EventType = "replayed"
	// EventHandedBack: the engine stopped while the delivery waited or its
	// handler ran; it was handed back to the server for another worker.
	EventHandedBack EventType = "handed_back"
)

// Event is one thing that happened to a delivery.
type Event struct {
	Type       EventType
	Kind       string
	DeliveryID string
	// Attempt is the attempt number (processed, retry, dead_lettered).
	Attempt int
	// Err is the handler's error (retry, dead_lettered).
	Err error
	// Delay is the wait before the next attempt (retry).
	Delay time.Duration
	// Duration is how long the handler ran (processed, retry,
	// dead_lettered).
	Duration time.Duration
}

// Observer is told of every [Event], for metrics. Observe is called on the
// goroutine that handles the delivery and must be fast.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// ObserverFunc adapts a function to an [Observer].
type ObserverFunc func(ctx context.Context, e Event)

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context, e Event) { f(ctx, e) }

// Stats is a snapshot of the engine: the shared queue, read from the
// server, and this process's counters since [Open].
type Stats struct {
	// Waiting is the number of deliveries in the inbox no worker has
	// taken yet (shared by every instance).
	Waiting uint64
	// InFlight is the number of deliveries taken by a worker and not yet
	// done: running, or waiting for a retry (shared).
	InFlight int
	// Redelivered is the number of in-flight deliveries on their second
	// attempt or later (shared).
	Redelivered int
	// DeadLetters is the number of deliveries in the dead letters
	// (shared).
	DeadLetters uint64

	// Accepted, Duplicates, Processed, Retries, DeadLettered, Replayed
	// and HandedBack count this process's events since Open.
	Accepted, Duplicates, Processed, Retries, DeadLettered, Replayed, HandedBack uint64
}

type counters struct {
	accepted, duplicates, processed, retries, deadLettered, replayed, handedBack atomic.Uint64
}

func (e *Engine) event(ctx context.Context, ev Event) {
	switch ev.Type {
	case EventAccepted:
		e.stats.accepted.Add(1)
	case EventDuplicate:
		e.stats.duplicates.Add(1)
	case EventProcessed:
		e.stats.processed.Add(1)
	case EventRetry:
		e.stats.retries.Add(1)
	case EventDeadLettered:
		e.stats.deadLettered.Add(1)
	case EventReplayed:
		e.stats.replayed.Add(1)
	case EventHandedBack:
		e.stats.handedBack.Add(1)
	}
	if e.cfg.observer != nil {
		e.cfg.observer.Observe(ctx, ev)
	}
}

// Stats reads the queue's state from the server and this process's
// counters. It is meant for gauges scraped every few seconds, not for the
// request path.
func (e *Engine) Stats(ctx context.Context) (Stats, error) {
	s := Stats{
		Accepted:     e.stats.accepted.Load(),
		Duplicates:   e.stats.duplicates.Load(),
		Processed:    e.stats.processed.Load(),
		Retries:      e.stats.retries.Load(),
		DeadLettered: e.stats.deadLettered.Load(),
		Replayed:     e.stats.replayed.Load(),
		HandedBack:   e.stats.handedBack.Load(),
	}
	if e.closed.Load() {
		return s, ErrClosed
	}
	ci, err := e.cons.Info(ctx)
	if err != nil {
		return s, fmt.Errorf("durable: consumer info: %w", err)
	}
	s.Waiting, s.InFlight, s.Redelivered = ci.NumPending, ci.NumAckPending, ci.NumRedelivered
	di, err := e.dead.Info(ctx)
	if err != nil {
		return s, fmt.Errorf("durable: dead-letter stream info: %w", err)
	}
	s.DeadLetters = di.State.Msgs
	return s, nil
}
