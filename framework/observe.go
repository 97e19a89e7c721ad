package framework

import (
	"context"
	"net/http"
	"time"
)

// RequestObserver is an [Observer] that is also told when a request
// arrives, before any stage runs. The router checks for it with a type
// assertion, so an Observer gains the hook by adding the method.
//
// StartRequest returns the context the rest of the request runs in: the
// stages' contexts, the handler's context and the one given to Finish
// derive from it. A tracer opens its root span here (from the request's
// trace headers) and ends it in Finish; a metrics collector counts the
// request in flight. Finish is called exactly once for every StartRequest.
type RequestObserver interface {
	Observer
	StartRequest(ctx context.Context, r *http.Request) context.Context
}

// observers combines several observers into one, called in the order
// given; stage ends and Finish run in reverse order, so each observer's
// hooks nest like middleware.
type observers []Observer

// combineObservers returns nil for none, the observer itself for one, and
// an observers value otherwise.
func combineObservers(obs []Observer) Observer {
	switch len(obs) {
	case 0:
		return nil
	case 1:
		return obs[0]
	}
	return observers(obs)
}

// StartRequest calls every observer that is a [RequestObserver].
func (os observers) StartRequest(ctx context.Context, r *http.Request) context.Context {
	for _, o := range os {
		if ro, ok := o.(RequestObserver); ok {
			ctx = ro.StartRequest(ctx, r)
		}
	}
	return ctx
}

// StartStage calls every observer; the returned function ends their
// stages in reverse order.
func (os observers) StartStage(ctx context.Context, s Stage) (context.Context, func(error)) {
	ends := make([]func(error), len(os))
	for i, o := range os {
		ctx, ends[i] = o.StartStage(ctx, s)
	}
	return ctx, func(err error) {
		for i := len(ends) - 1; i >= 0; i-- {
			ends[i](err)
		}
	}
}

// Finish calls every observer, in reverse order.
func (os observers) Finish(ctx context.Context, o Outcome) {
	for i := len(os) - 1; i >= 0; i-- {
		os[i].Finish(ctx, o)
	}
}

// QueueObserver is told what a durable engine does with the deliveries it
// accepted: stored, de-duplicated, processed, retried, dead-lettered,
// replayed, handed back. Engines take one as an option and call it from
// their dispatch path and their workers; metrics packages implement it.
// QueueEvent must be fast and safe for concurrent use.
type QueueObserver interface {
	QueueEvent(ctx context.Context, e QueueEvent)
}

// QueueObserverFunc adapts a function to a [QueueObserver].
type QueueObserverFunc func(ctx context.Context, e QueueEvent)

// QueueEvent calls f.
func (f QueueObserverFunc) QueueEvent(ctx context.Context, e QueueEvent) { f(ctx, e) }

// QueueEventType says what happened to a delivery in a durable engine.
type QueueEventType string

// The events a durable engine reports.
const (
	// QueueAccepted: the delivery was stored (answered 202); it waits for
	// a worker.
	QueueAccepted QueueEventType = "accepted"
	// QueueDuplicate: the delivery's de-duplication key was already
	// accepted within the window; it was answered without being stored
	// again.
	QueueDuplicate QueueEventType = "duplicate"
	// QueueProcessed: the handler accepted the delivery on attempt
	// Attempt, after Duration.
	QueueProcessed QueueEventType = "processed"
	// QueueRetry: the handler failed on attempt Attempt (Err, Duration);
	// the delivery will be tried again after Delay.
	QueueRetry QueueEventType = "retry"
	// QueueDeadLettered: the handler failed its last attempt (Err,
	// Duration), or the delivery can never succeed (Attempt may then be
	// 0); it moved to the dead letters.
	QueueDeadLettered QueueEventType = "dead_lettered"
	// QueueReplayed: a dead letter was put back in the queue.
	QueueReplayed QueueEventType = "replayed"
	// QueueHandedBack: the engine stopped while the delivery waited or
	// its handler ran; it was handed back for another worker.
	QueueHandedBack QueueEventType = "handed_back"
)

// QueueEvent is one report from a durable engine.
type QueueEvent struct {
	Type QueueEventType
	// Kind is the registered kind of the delivery.
	Kind string
	// DeliveryID is the delivery's ID, when known.
	DeliveryID string
	// Attempt is the 1-based attempt the event is about (processed,
	// retry, dead_lettered).
	Attempt int
	// Err is the handler's error (retry, dead_lettered).
	Err error
	// Delay is the wait before the next attempt (retry).
	Delay time.Duration
	// Duration is how long the handler ran on that attempt (processed,
	// retry, dead_lettered).
	Duration time.Duration
}
