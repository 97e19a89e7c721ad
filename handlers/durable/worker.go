package durable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/retabhook/retabhook/framework"
)

// ErrRunning is returned by [Engine.Run] when it is already running.
var ErrRunning = errors.New("durable: Run is already running")

// ErrUnfinished is the error a delivery is dead-lettered with when its
// handler ran [WithMaxAttempts] times without ever finishing: the process
// running it stopped each time (killed, out of memory, a crash in C code,
// or a shutdown past the grace). It is not run again.
var ErrUnfinished = errors.New("durable: the handler never finished its attempts (the process running it stopped each time: killed, out of memory or crashed?)")

// deliverMargin is how many deliveries past WithMaxAttempts the server
// makes (MaxDeliver) before it gives up on a message: the first is the
// one a worker dead-letters with ErrUnfinished. Run watches the server's
// advisory for a message it gave up on and dead-letters it.
const deliverMargin = 3

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
// holds but has not started once its pull has stopped, waits up to
// [WithShutdownGrace] for running handlers, then cancels their context
// and hands back the deliveries of those still running. It returns nil after a cancellation, or the error
// that stopped the consumer.
func (e *Engine) Run(ctx context.Context, p Processor) error {
	if e.closed.Load() {
		return ErrClosed
	}
	if e.running.Swap(true) {
		return ErrRunning
	}
	defer e.running.Store(false)
	it, err := e.cons.Messages(e.pullOptions()...)
	if err != nil {
		return fmt.Errorf("durable: consuming the inbox: %w", err)
	}
	e.pull.Store(&it)
	defer func() { e.pull.Store(nil); it.Stop() }()
	giveUps, err := e.nc.Subscribe(e.giveUpsSubject(), func(m *nats.Msg) {
		var adv struct {
			StreamSeq  uint64 `json:"stream_seq"`
			Deliveries int    `json:"deliveries"`
		}
		if json.Unmarshal(m.Data, &adv) == nil && adv.StreamSeq > 0 {
			go e.deadLetterGivenUp(adv.StreamSeq, adv.Deliveries)
		}
	})
	if err != nil {
		return fmt.Errorf("durable: watching the server's redelivery cap: %w", err)
	}
	defer func() { _ = giveUps.Unsubscribe() }()

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
	stop := context.AfterFunc(ctx, func() {
		if p := e.pull.Swap(nil); p != nil {
			(*p).Drain()
		}
	})
	defer stop()

	// held are the deliveries taken after the cancellation. They are
	// handed back once the pull has stopped: handed back while it still
	// runs, the server gives each straight back to this draining pull,
	// and every round trip counts as a delivery toward MaxDeliver (a slow
	// machine then dead-letters deliveries whose handler never ran).
	var held []jetstream.Msg
	var runErr error
	for {
		msg, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() == nil && e.repull.Swap(false) {
			// The embedded server was healed: pull again from its new
			// consumer rather than wait for the old pull to time out.
			next, nerr := e.cons.Messages(e.pullOptions()...)
			if nerr != nil {
				runErr = fmt.Errorf("durable: consuming the inbox: %w", nerr)
				break
			}
			it = next
			e.pull.Store(&it)
			if ctx.Err() != nil {
				it.Drain()
			}
			continue
		}
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
			held = append(held, msg)
			continue
		}
		select {
		case work <- msg:
		case <-ctx.Done():
			held = append(held, msg)
		}
	}
	close(work)
	// The pull's subscription is gone (the iterator is closed): the
	// server gives these to another consumer, or to the next run.
	for _, m := range held {
		e.handBack(m)
	}

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

// pullExpiry is how long each pull request of Run waits at the server.
// nats.go's iterator skips a pull it needs when the previous one is still
// being sent (as on a loaded machine), and only pulls again on its next
// message or when it misses two heartbeats of the request (half the
// expiry each): with nats.go's 30 s default, deliveries could wait 30 s
// in the inbox while workers were idle.
const pullExpiry = 5 * time.Second

// pullOptions are Run's options of the pull: a batch of one delivery per
// worker, and a missed heartbeat pulls again without an error to log.
func (e *Engine) pullOptions() []jetstream.PullMessagesOpt {
	return []jetstream.PullMessagesOpt{
		jetstream.PullMaxMessages(e.cfg.workers),
		jetstream.PullExpiry(pullExpiry),
		jetstream.WithMessagesErrOnMissingHeartbeat(false),
	}
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
	attempt := e.startAttempt(ctx, h, int(md.NumDelivered))
	if attempt > e.cfg.maxAttempts {
		// Every earlier attempt ended without an answer: running it again
		// would likely kill this process too.
		actx, cancel := context.WithTimeout(context.Background(), e.cfg.publishWait)
		defer cancel()
		e.deadLetter(actx, msg, md, framework.QueueEvent{Kind: kind, DeliveryID: id, Attempt: attempt - 1,
			Err: fmt.Errorf("%w: %d attempts", ErrUnfinished, attempt-1)})
		return
	}
	stopProgress := e.progress(msg)
	pctx := ctx
	if e.cfg.propagator != nil {
		pctx = e.cfg.propagator.Extract(ctx, h.Get)
	}
	start := time.Now()
	_, perr := p.Process(pctx, framework.Stored{Kind: kind, Body: msg.Data(), Attempt: attempt, ID: id})
	dur := time.Since(start)
	stopProgress()

	actx, cancel := context.WithTimeout(context.Background(), e.cfg.publishWait)
	defer cancel()
	ev := framework.QueueEvent{Kind: kind, DeliveryID: id, Attempt: attempt, Err: perr, Duration: dur}
	switch {
	case perr == nil:
		e.markDone(actx, msg.Headers())
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

// seenAttempt prefixes the de-duplication record of a delivery whose
// handler is running: "attempt N".
const seenAttempt = "attempt "

// startAttempt records, before the handler runs, that attempt n of the
// delivery with headers h starts, and returns n: one more than the last
// attempt recorded, or 1 if the record says the delivery was accepted
// and no handler has started it. The record, not the server's delivery
// count (delivered, from its metadata), counts attempts: the server also
// counts a delivery handed back at a shutdown before its handler started,
// and an embedded server killed with its process may lose its own count
// of the last deliveries. Without a record of either kind (an older
// message, a failed read, or "done": a processed delivery whose ack was
// lost) the server's count is used. A record that failed to be written
// undercounts; the server's MaxDeliver (attempts + 3) still bounds the
// runs.
func (e *Engine) startAttempt(ctx context.Context, h nats.Header, delivered int) int {
	key := h.Get(HeaderSeen)
	if key == "" {
		return delivered
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.publishWait)
	defer cancel()
	n := delivered
	if entry, err := e.seen.Get(ctx, key); err == nil {
		v := string(entry.Value())
		if prev, ok := strings.CutPrefix(v, seenAttempt); ok {
			if k, err := strconv.Atoi(prev); err == nil && k >= 0 {
				n = k + 1
			}
		} else if v == seenAccepted {
			n = 1
		}
	}
	if _, err := e.seen.Put(ctx, key, []byte(seenAttempt+strconv.Itoa(n))); err != nil {
		e.log.Warn("durable: could not record the start of an attempt", "delivery_id", h.Get(HeaderDeliveryID), "attempt", n, "error", err.Error())
	}
	return n
}

// markDone records in the de-duplication bucket that msg left the inbox
// (processed or dead-lettered), before it is acknowledged: a re-send of
// it is then a duplicate even after the stream forgot its id. If the
// record fails, a re-send after a restart of the server may be stored
// and processed again.
func (e *Engine) markDone(ctx context.Context, h nats.Header) {
	key := h.Get(HeaderSeen)
	if key == "" {
		return // stored by an older version, which recorded the key itself
	}
	if _, err := e.seen.Put(ctx, key, []byte(seenDone)); err != nil {
		e.log.Warn("durable: could not record a processed delivery's de-duplication key", "delivery_id", h.Get(HeaderDeliveryID), "error", err.Error())
	}
}

// progress tells the server, every third of AckWait, that the handler of
// msg is still running, until the returned function is called.
func (e *Engine) progress(msg jetstream.Msg) func() {
	return every(e.cfg.ackWait/3, func() bool { _ = msg.InProgress(); return true })
}

// every calls f every d, until f returns false or the returned stop is
// called; stop returns once f is no longer running.
func every(d time.Duration, f func() bool) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				if !f() {
					return
				}
			}
		}
	}()
	return func() { close(quit); <-done }
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
