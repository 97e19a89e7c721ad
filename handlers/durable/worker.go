package durable

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/retabhook/retabhook/framework"
)

// ErrRunning is returned by [Engine.Run] when it is already running.
var ErrRunning = errors.New("durable: Run is already running")

// Processor runs the handler of a stored delivery. *framework.Router is
// one (framework.Router.Process).
type Processor interface {
	Process(ctx context.Context, s framework.Stored) (*framework.Delivery, error)
}

// Run takes deliveries from the inbox and runs their handlers with p,
// [WithWorkers] at a time, until ctx is cancelled. Several processes
// running the engine on the same cluster share the work; each delivery
// goes to one worker at a time.
//
// A handler that returns nil acknowledges its delivery, which leaves the
// inbox. One that fails or panics (framework.StatusOf(err) is 500) is
// retried after a backoff ([WithBackoff]) until [WithMaxAttempts]; then
// the delivery moves to the dead letters with the last error. A delivery
// that can never succeed (a 4xx: its kind is no longer registered, or it
// no longer passes the schema) moves to the dead letters at once. A
// process that dies mid-handler leaves its delivery unacknowledged: the
// server gives it to another worker after [WithAckWait], as the next
// attempt.
//
// When ctx is cancelled, Run stops taking deliveries, hands back those it
// holds but has not started, waits up to [WithShutdownGrace] for running
// handlers, then cancels their context and hands back the deliveries of
// those still running. It returns nil after a cancellation, or the error
// that stopped the consumer.
func (e *Engine) Run(ctx context.Context, p Processor) error {
	if e.closed.Load() {
		return ErrClosed
	}
	if e.running.Swap(true) {
		return ErrRunning
	}
	defer e.running.Store(false)
	it, err := e.cons.Messages(jetstream.PullMaxMessages(e.cfg.workers))
	if err != nil {
		return fmt.Errorf("durable: consuming the inbox: %w", err)
	}
	defer it.Stop()

	hctx, hcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer hcancel()
	var inflight sync.Map // jetstream.Msg -> struct{}
	work := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for range e.cfg.workers {
		wg.Go(func() {
			for m := range work {
				inflight.Store(m, struct{}{})
				e.handle(hctx, p, m)
				inflight.Delete(m)
			}
		})
	}
	stop := context.AfterFunc(ctx, it.Drain)
	defer stop()

	var runErr error
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			break
		}
		if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
			runErr = fmt.Errorf("durable: %w", err)
			it.Stop()
			break
		}
		if err != nil {
			e.log.Warn("durable: pulling deliveries", "error", err.Error())
			continue
		}
		if ctx.Err() != nil {
			e.handBack(msg)
			continue
		}
		select {
		case work <- msg:
		case <-ctx.Done():
			e.handBack(msg)
		}
	}
	close(work)

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	grace := time.NewTimer(e.cfg.grace)
	defer grace.Stop()
	select {
	case <-done:
		return runErr
	case <-grace.C:
	}
	hcancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		// Handlers that ignore their context: hand their deliveries back
		// so that another worker can take them; whatever these handlers
		// do later is not acknowledged.
		inflight.Range(func(k, _ any) bool {
			e.handBack(k.(jetstream.Msg))
			return true
		})
		e.log.Warn("durable: handlers still running after the shutdown grace; their deliveries were handed back")
	}
	return runErr
}

// handle runs one delivery's handler and settles the message.
func (e *Engine) handle(ctx context.Context, p Processor, msg jetstream.Msg) {
	h := msg.Headers()
	kind, id := h.Get(HeaderKind), h.Get(HeaderDeliveryID)
	md, err := msg.Metadata()
	if err != nil {
		e.log.Error("durable: message without metadata; handing it back", "error", err.Error())
		e.handBack(msg)
		return
	}
	attempt := int(md.NumDelivered)
	stopProgress := e.progress(msg)
	pctx := ctx
	if e.cfg.propagator != nil {
		pctx = e.cfg.propagator.Extract(ctx, h.Get)
	}
	start := time.Now()
	_, perr := p.Process(pctx, framework.Stored{Kind: kind, Body: msg.Data(), Attempt: attempt})
	dur := time.Since(start)
	stopProgress()

	actx, cancel := context.WithTimeout(context.Background(), e.cfg.publishWait)
	defer cancel()
	ev := framework.QueueEvent{Kind: kind, DeliveryID: id, Attempt: attempt, Err: perr, Duration: dur}
	switch {
	case perr == nil:
		if err := msg.DoubleAck(actx); err != nil {
			// The delivery will be processed again after AckWait.
			e.log.Warn("durable: acknowledging a processed delivery failed; it will run again", "delivery_id", id, "error", err.Error())
		}
		ev.Type = framework.QueueProcessed
		e.event(ctx, ev)
	case ctx.Err() != nil:
		e.handBack(msg)
	case framework.StatusOf(perr) < 500 || attempt >= e.cfg.maxAttempts:
		e.deadLetter(actx, msg, md, ev)
	default:
		ev.Type, ev.Delay = framework.QueueRetry, e.backoff(attempt)
		if err := msg.NakWithDelay(ev.Delay); err != nil {
			e.log.Warn("durable: scheduling a retry failed; the server retries after AckWait", "delivery_id", id, "error", err.Error())
		}
		e.log.Warn("durable: handler failed; retrying", "kind", kind, "delivery_id", id, "attempt", attempt,
			"max_attempts", e.cfg.maxAttempts, "retry_in", ev.Delay, "error", perr.Error())
		e.event(ctx, ev)
	}
}

// progress tells the server, every third of AckWait, that the handler of
// msg is still running, until the returned function is called.
func (e *Engine) progress(msg jetstream.Msg) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(e.cfg.ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	return func() { close(stop); <-done }
}

// backoff is the delay before the attempt after attempt n: min*2^(n-1)
// capped at max, jittered to between half of it and all of it.
func (e *Engine) backoff(n int) time.Duration {
	d := e.cfg.backoffMax
	if n-1 < 40 {
		if x := e.cfg.backoffMin << (n - 1); x > 0 && x < d {
			d = x
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// handBack returns msg to the server for another worker, at once.
func (e *Engine) handBack(msg jetstream.Msg) {
	if err := msg.Nak(); err != nil {
		e.log.Warn("durable: handing back a delivery failed; the server gives it out again after AckWait", "error", err.Error())
	}
	e.event(context.Background(), framework.QueueEvent{Type: framework.QueueHandedBack, Kind: msg.Headers().Get(HeaderKind), DeliveryID: msg.Headers().Get(HeaderDeliveryID)})
}
