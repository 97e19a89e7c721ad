package durable

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/retabhook/retabhook/framework"
)

// Headers of the messages the engine stores.
const (
	HeaderKind       = "Retabhook-Kind"
	HeaderDeliveryID = "Retabhook-Delivery-Id"
	HeaderKey        = "Retabhook-Key"
	HeaderAttempts   = "Retabhook-Attempts"
	HeaderError      = "Retabhook-Error"
	HeaderFailedAt   = "Retabhook-Failed-At"
	HeaderAcceptedAt = "Retabhook-Accepted-At"
	HeaderReplayOf   = "Retabhook-Replay-Of"
	// HeaderSeen is the delivery's key in the de-duplication bucket
	// (the hex SHA-256 of its key), which a worker marks done.
	HeaderSeen = "Retabhook-Seen"
)

// Values in the de-duplication bucket.
const (
	seenAccepted = "accepted"   // durable mode: recorded before the delivery is stored in the inbox
	seenDone     = "done"       // processed (or, durable mode, dead-lettered): no longer in the inbox
	seenClaim    = "processing" // synchronous mode: a handler is running (older versions added its start time)
)

// msgID turns a de-duplication key into the Nats-Msg-Id and the bucket key:
// its hex SHA-256, which is short and a valid subject token whatever the
// key holds.
func msgID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Dispatch stores a valid delivery in the inbox stream and returns once
// the server (a majority of the replicas in a cluster) has stored both the
// delivery and its de-duplication record. A delivery whose key was
// accepted within the de-duplication window is reported as a duplicate
// and not stored again. It implements framework.Dispatcher.
//
// The record is written first, atomically (a key-value create), then the
// delivery, each awaited, all within [WithPublishWait]: an error means the
// delivery was not accepted, except when the store's acknowledgement of
// the delivery itself was lost; then it may have been stored, and a
// re-send of the same body is answered duplicate (if it was) or stored (if
// it was not), never processed twice.
func (e *Engine) Dispatch(ctx context.Context, s framework.Submission) (framework.Acceptance, error) {
	if e.closed.Load() {
		return framework.Acceptance{}, ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.publishWait)
	defer cancel()
	id := msgID(s.Key)
	dup := framework.QueueEvent{Type: framework.QueueDuplicate, Kind: s.Delivery.Kind, DeliveryID: s.Delivery.ID}
	var known string // the record's value when the key was there already
	var rev uint64   // the record's revision when this copy created it
	err := e.retry(ctx, "recording the de-duplication key", func(ctx context.Context) error {
		var err error
		rev, err = e.seen.Create(ctx, id, []byte(seenAccepted))
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return err
		}
		entry, err := e.seen.Get(ctx, id)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return errRetry // it expired or was released meanwhile
		}
		if err == nil {
			known = string(entry.Value())
		}
		return err
	})
	if err != nil {
		e.noteStoreErr(err, len(s.Body))
		return framework.Acceptance{}, err
	}
	if known != "" && known != seenAccepted {
		// Processed (or dead-lettered), or a synchronous receiver's claim.
		e.event(ctx, dup)
		return framework.Acceptance{Duplicate: true}, nil
	}

	msg := nats.NewMsg(e.inSubj)
	msg.Data = s.Body
	msg.Header.Set(HeaderKind, s.Delivery.Kind)
	msg.Header.Set(HeaderDeliveryID, s.Delivery.ID)
	msg.Header.Set(HeaderKey, headerValue(s.Key, 512))
	msg.Header.Set(HeaderSeen, id)
	if e.cfg.propagator != nil {
		e.cfg.propagator.Inject(ctx, func(k, v string) { msg.Header.Set(k, v) })
	}
	// known == seenAccepted: an earlier copy recorded the key; whether it
	// was stored too, the stream's Nats-Msg-Id window says (it covers every
	// message still in the inbox, across restarts): a duplicate if so.
	// Otherwise (its answer was a 503) this copy is stored now.
	// The store gets the budget but a reserve, in which a failure removes
	// the record this copy created.
	deadline, _ := ctx.Deadline()
	pctx, pcancel := context.WithDeadline(ctx, deadline.Add(-min(tryWait, e.cfg.publishWait/4)))
	stored, err := e.publish(pctx, msg, id, known == "")
	pcancel()
	if err != nil {
		e.noteStoreErr(err, len(s.Body))
		if known == "" {
			// Not needed for safety (a re-send finds the delivery in the
			// stream's window if the failure was a lost acknowledgement),
			// but a refused delivery leaves no trace.
			if derr := e.seen.Delete(ctx, id, jetstream.LastRevision(rev)); derr != nil {
				e.log.WarnContext(ctx, "durable: could not remove the de-duplication record of a refused delivery", "delivery_id", s.Delivery.ID, "error", derr.Error())
			}
		}
		return framework.Acceptance{}, err
	}
	e.refused.Store(0)
	if !stored {
		e.event(ctx, dup)
		return framework.Acceptance{Duplicate: true}, nil
	}
	e.event(ctx, framework.QueueEvent{Type: framework.QueueAccepted, Kind: s.Delivery.Kind, DeliveryID: s.Delivery.ID})
	return framework.Acceptance{}, nil
}

// errRetry makes [Engine.retry] try again.
var errRetry = errors.New("durable: try again")

// tryWait bounds each try of a wait in the request path, so that a
// server that does not answer costs a retry, not the whole budget.
const tryWait = 2 * time.Second

// retry runs try until it succeeds, fails for good, or ctx ends, each try
// with a deadline of its own (tryWait, at most what is left of ctx).
// Transient failures (no responders, a timeout, a disconnection, a
// JetStream 503 while a cluster elects a leader) are retried every 100ms,
// unless the embedded server reports a write error.
func (e *Engine) retry(ctx context.Context, what string, try func(context.Context) error) error {
	for {
		tctx, tcancel := context.WithTimeout(ctx, tryWait)
		err := try(tctx)
		tcancel()
		if err == nil {
			return nil
		}
		if !transient(err) {
			return fmt.Errorf("durable: %s: %w", what, err)
		}
		if h, ok := e.srv.(Healer); ok {
			// An embedded server with a write error does not answer
			// stores at all: waiting longer does not help.
			if herr := h.Healthy(); herr != nil {
				return fmt.Errorf("durable: %s: the embedded server: %w (last error: %w)", what, herr, err)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("durable: %s: %w (last error: %w)", what, context.Cause(ctx), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// transient reports whether err may pass by itself.
func transient(err error) bool {
	if errors.Is(err, errRetry) || errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrReconnectBufExceeded) ||
		errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrConnectionDraining) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.Code == 503 && !storeFull(err)
}

// storeFull reports whether err is the inbox refusing a message for its
// limits (WithMaxBytes), which retrying within a request does not fix.
func storeFull(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (strings.Contains(apiErr.Description, "maximum bytes") ||
		strings.Contains(apiErr.Description, "maximum messages") || strings.Contains(apiErr.Description, "resource"))
}

// publish stores msg with the Nats-Msg-Id id within ctx, retrying
// transient failures. It reports whether msg was stored, false when the
// stream already held a message with id. fresh says that id was never
// recorded before: a retry the server reports as a duplicate is then this
// engine's own earlier try, which was stored.
func (e *Engine) publish(ctx context.Context, msg *nats.Msg, id string, fresh bool) (stored bool, err error) {
	tried := false
	err = e.retry(ctx, "storing the delivery", func(ctx context.Context) error {
		ack, err := e.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(e.cfg.name))
		if err != nil {
			tried = true
			if errors.Is(err, nats.ErrMaxPayload) {
				return fmt.Errorf("%w (the NATS server's max_payload is %d bytes)", err, e.nc.MaxPayload())
			}
			return err
		}
		stored = !ack.Duplicate || (fresh && tried)
		return nil
	})
	return stored, err
}

// Begin implements framework.Deduper for synchronous receivers that share
// a de-duplication window through the engine (framework.WithDeduper):
// the key is claimed in the bucket while the handler runs, so another
// instance receiving a copy waits for the outcome, watching the key (no
// polling); a processed key is kept for the window; a failed one is
// released. A claim lives [WithClaimTTL] on the server (a per-key TTL,
// NATS server 2.11+) and is renewed while its handler runs, so the claim of a
// process that died expires on the server by itself, whatever the hosts'
// clocks say, and a waiting copy takes it over.
func (e *Engine) Begin(ctx context.Context, key string) (bool, func(bool), error) {
	if e.closed.Load() {
		return false, nil, ErrClosed
	}
	id := msgID(key)
	for {
		rev, err := e.seen.Create(ctx, id, []byte(seenClaim), jetstream.KeyTTL(e.cfg.claimTTL))
		if err == nil {
			return false, e.finisher(id, rev), nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return false, nil, fmt.Errorf("durable: claiming a de-duplication key: %w", err)
		}
		done, err := e.awaitClaim(ctx, id)
		if err != nil {
			return false, nil, err
		}
		if done {
			e.event(ctx, framework.QueueEvent{Type: framework.QueueDuplicate})
			return true, nil, nil
		}
	}
}

// claimMarkerTTL is how long the bucket keeps the marker of a key that
// expired (LimitMarkerTTL), which tells the watchers of a claim.
const claimMarkerTTL = time.Second

// awaitClaim watches the key id, held by another copy, until it is done
// (true: a duplicate) or gone (false: released, expired; claim it again).
func (e *Engine) awaitClaim(ctx context.Context, id string) (done bool, err error) {
	w, err := e.seen.Watch(ctx, id)
	if err != nil {
		return false, fmt.Errorf("durable: watching a de-duplication key: %w", err)
	}
	defer func() { _ = w.Stop() }()
	held := false
	for {
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("%w: %w", framework.ErrDuplicateInProgress, context.Cause(ctx))
		case entry, ok := <-w.Updates():
			switch {
			case !ok:
				return false, errors.New("durable: watching a de-duplication key: the watch ended")
			case entry == nil: // the current value was delivered
				if !held {
					return false, nil // gone between the claim and the watch
				}
			case entry.Operation() != jetstream.KeyValuePut:
				return false, nil
			case strings.HasPrefix(string(entry.Value()), seenClaim):
				held = true
			default:
				return true, nil
			}
		}
	}
}

// finisher returns the function that ends the claim on id, and renews the
// claim until it is called. It is safe to call more than once and from
// any goroutine; only the first call counts.
func (e *Engine) finisher(id string, rev uint64) func(bool) {
	subj := "$KV." + e.cfg.name + "_SEEN." + id
	var mu sync.Mutex // guards rev
	stopRenewing := every(e.cfg.claimTTL/3, func() bool {
		if e.closed.Load() {
			return false // the claim expires: as if this process died
		}
		mu.Lock()
		defer mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), tryWait)
		defer cancel()
		ack, err := e.js.Publish(ctx, subj, []byte(seenClaim),
			jetstream.WithExpectLastSequencePerSubject(rev), jetstream.WithMsgTTL(e.cfg.claimTTL))
		if err != nil {
			e.log.Warn("durable: renewing a de-duplication claim failed", "error", err.Error())
			return true
		}
		rev = ack.Sequence
		return true
	})
	var once sync.Once
	return func(processed bool) {
		once.Do(func() {
			stopRenewing()
			mu.Lock()
			defer mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), e.cfg.publishWait)
			defer cancel()
			var err error
			if processed {
				_, err = e.seen.Update(ctx, id, []byte(seenDone), rev)
			} else {
				err = e.seen.Delete(ctx, id, jetstream.LastRevision(rev))
			}
			if err != nil {
				e.log.Warn("durable: could not record a de-duplication key", "error", err.Error())
			}
		})
	}
}

// headerValue makes s safe for a NATS header: one line, at most n bytes.
func headerValue(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
	if len(s) > n {
		s = s[:n]
	}
	return s
}
