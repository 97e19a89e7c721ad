package durable

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/retabhook/retabhook/framework"
)

// Stats is a snapshot of the engine: the shared queue, read from the
// server, and this process's counters since [Open].
type Stats struct {
	// Waiting is the number of deliveries in the inbox no worker has
	// taken yet (shared by every instance).
	Waiting uint64
	// InFlight is the number of deliveries taken by a worker and not yet
	// done: running, or waiting for a retry (shared).
	InFlight uint64
	// Redelivered is the number of in-flight deliveries on their second
	// attempt or later (shared).
	Redelivered uint64
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

func (e *Engine) event(ctx context.Context, ev framework.QueueEvent) {
	switch ev.Type {
	case framework.QueueAccepted:
		e.stats.accepted.Add(1)
	case framework.QueueDuplicate:
		e.stats.duplicates.Add(1)
	case framework.QueueProcessed:
		e.stats.processed.Add(1)
	case framework.QueueRetry:
		e.stats.retries.Add(1)
	case framework.QueueDeadLettered:
		e.stats.deadLettered.Add(1)
	case framework.QueueReplayed:
		e.stats.replayed.Add(1)
	case framework.QueueHandedBack:
		e.stats.handedBack.Add(1)
	}
	if e.cfg.observer != nil {
		e.cfg.observer.QueueEvent(ctx, ev)
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
	s.Waiting, s.InFlight, s.Redelivered = ci.NumPending, uint64(ci.NumAckPending), uint64(ci.NumRedelivered)
	di, err := e.dead.Info(ctx)
	if err != nil {
		return s, fmt.Errorf("durable: dead-letter stream info: %w", err)
	}
	s.DeadLetters = di.State.Msgs
	return s, nil
}
