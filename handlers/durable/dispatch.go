package durable

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
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
)

// Values in the de-duplication bucket.
const (
	seenAccepted = "accepted"   // durable mode: stored in the inbox
	seenDone     = "done"       // synchronous mode: processed
	seenClaim    = "processing" // synchronous mode: a handler is running, "processing <unix nanos>"
)

// staleClaim is how long a synchronous claim can last before another
// instance takes it over (its process presumably died).
const staleClaim = 10 * time.Minute

// claimPoll is how often a synchronous duplicate checks whether the claim
// it waits for has ended.
const claimPoll = 50 * time.Millisecond

// msgID turns a de-duplication key into the Nats-Msg-Id and the bucket key:
// its hex SHA-256, which is short and a valid subject token whatever the
// key holds.
func msgID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Dispatch stores a valid delivery in the inbox stream and returns once
// the server (a majority of the replicas in a cluster) has stored it. A
// delivery whose key was accepted within the de-duplication window is
// reported as a duplicate and not stored. It implements
// framework.Dispatcher.
func (e *Engine) Dispatch(ctx context.Context, s framework.Submission) (framework.Acceptance, error) {
	if e.closed.Load() {
		return framework.Acceptance{}, ErrClosed
	}
	id := msgID(s.Key)
	// The bucket remembers keys across restarts; the stream's own
	// Nats-Msg-Id window covers the keys being written to the bucket and
	// concurrent copies.
	if entry, err := e.seen.Get(ctx, id); err == nil && entry.Operation() == jetstream.KeyValuePut {
		e.event(ctx, framework.QueueEvent{Type: framework.QueueDuplicate, Kind: s.Delivery.Kind, DeliveryID: s.Delivery.ID})
		return framework.Acceptance{Duplicate: true}, nil
	} else if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		e.log.WarnContext(ctx, "durable: de-duplication bucket unavailable; relying on the stream's window", "error", err.Error())
	}

	msg := nats.NewMsg(e.inSubj)
	msg.Data = s.Body
	msg.Header.Set(HeaderKind, s.Delivery.Kind)
	msg.Header.Set(HeaderDeliveryID, s.Delivery.ID)
	msg.Header.Set(HeaderKey, headerValue(s.Key, 512))
	if e.cfg.propagator != nil {
		e.cfg.propagator.Inject(ctx, func(k, v string) { msg.Header.Set(k, v) })
	}
	dup, err := e.publish(ctx, msg, id)
	if err != nil {
		return framework.Acceptance{}, err
	}
	if dup {
		e.event(ctx, framework.QueueEvent{Type: framework.QueueDuplicate, Kind: s.Delivery.Kind, DeliveryID: s.Delivery.ID})
		return framework.Acceptance{Duplicate: true}, nil
	}
	if _, err := e.js.PublishAsync("$KV."+e.cfg.name+"_SEEN."+id, []byte(seenAccepted)); err != nil {
		e.log.WarnContext(ctx, "durable: could not record a de-duplication key", "delivery_id", s.Delivery.ID, "error", err.Error())
	}
	e.event(ctx, framework.QueueEvent{Type: framework.QueueAccepted, Kind: s.Delivery.Kind, DeliveryID: s.Delivery.ID})
	return framework.Acceptance{}, nil
}

// publish stores msg with the Nats-Msg-Id id, retrying transient failures
// (no responders or a timeout while a cluster elects a leader) for up to
// WithPublishWait. A retry that the server reports as a duplicate of the
// engine's own earlier try is not a duplicate.
func (e *Engine) publish(ctx context.Context, msg *nats.Msg, id string) (duplicate bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.publishWait)
	defer cancel()
	tried := false
	for {
		tctx, tcancel := context.WithTimeout(ctx, 2*time.Second)
		ack, err := e.js.PublishMsg(tctx, msg, jetstream.WithMsgID(id), jetstream.WithExpectStream(e.cfg.name))
		tcancel()
		if err == nil {
			return ack.Duplicate && !tried, nil
		}
		var apiErr *jetstream.APIError
		if errors.Is(err, nats.ErrMaxPayload) || (errors.As(err, &apiErr) && apiErr.Code != 503) {
			return false, fmt.Errorf("durable: storing the delivery: %w", err)
		}
		tried = true
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("durable: storing the delivery: %w (last error: %w)", context.Cause(ctx), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Begin implements framework.Deduper for synchronous receivers that share
// a de-duplication window through the engine (framework.WithDeduper):
// the key is claimed in the bucket while the handler runs, so another
// instance receiving a copy waits for the outcome; a processed key is
// kept for the window; a failed one is released. A claim older than ten
// minutes is taken to belong to a dead process and is taken over.
func (e *Engine) Begin(ctx context.Context, key string) (bool, func(bool), error) {
	if e.closed.Load() {
		return false, nil, ErrClosed
	}
	id := msgID(key)
	for {
		entry, err := e.seen.Get(ctx, id)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			rev, err := e.seen.Create(ctx, id, claimValue())
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue
			}
			if err != nil {
				return false, nil, fmt.Errorf("durable: claiming a de-duplication key: %w", err)
			}
			return false, e.finisher(id, rev), nil
		case err != nil:
			return false, nil, fmt.Errorf("durable: reading a de-duplication key: %w", err)
		}
		v := string(entry.Value())
		at, claimed := strings.CutPrefix(v, seenClaim+" ")
		if !claimed {
			e.event(ctx, framework.QueueEvent{Type: framework.QueueDuplicate})
			return true, nil, nil
		}
		if n, _ := strconv.ParseInt(at, 10, 64); time.Since(time.Unix(0, n)) > staleClaim {
			rev, err := e.seen.Update(ctx, id, claimValue(), entry.Revision())
			if err == nil {
				return false, e.finisher(id, rev), nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return false, nil, fmt.Errorf("%w: %w", framework.ErrDuplicateInProgress, context.Cause(ctx))
		case <-time.After(claimPoll):
		}
	}
}

func claimValue() []byte {
	return []byte(seenClaim + " " + strconv.FormatInt(time.Now().UnixNano(), 10))
}

func (e *Engine) finisher(id string, rev uint64) func(bool) {
	done := false
	return func(processed bool) {
		if done {
			return
		}
		done = true
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
