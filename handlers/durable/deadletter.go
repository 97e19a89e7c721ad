package durable

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/retabhook/retabhook/framework"
)

// ErrNotFound is returned for a dead letter that does not exist (or was
// replayed or discarded meanwhile).
var ErrNotFound = errors.New("durable: no such dead letter")

// DeadLetter is a delivery whose handler failed its last attempt, kept
// with its last error until it is replayed or discarded.
type DeadLetter struct {
	// ID is the delivery id (framework.Delivery.ID).
	ID string
	// Kind is the kind it was routed to.
	Kind string
	// Key is its de-duplication key.
	Key string
	// Attempts is the number of times its handler ran.
	Attempts int
	// Error is the last error's text.
	Error string
	// AcceptedAt is when it was stored in the inbox; FailedAt when it
	// moved to the dead letters.
	AcceptedAt, FailedAt time.Time
	// Size is the body's size in bytes.
	Size int
	// Body is the raw body as accepted; [Engine.DeadLetters] leaves it
	// nil, [Engine.DeadLetter] sets it.
	Body []byte
}

// deadLetter moves msg to the dead-letter stream with the last error, then
// acknowledges it. If the dead letter cannot be stored the delivery stays
// in the inbox and is tried again later.
func (e *Engine) deadLetter(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, ev framework.QueueEvent) {
	id := ev.DeliveryID
	if _, err := e.storeDeadLetter(ctx, msg.Data(), msg.Headers(), md.Timestamp, md.Sequence.Stream, ev); err != nil {
		e.log.Error("durable: storing a dead letter failed; the delivery stays in the inbox", "delivery_id", id, "error", err.Error())
		_ = msg.NakWithDelay(e.cfg.backoffMin)
		return
	}
	e.markDone(ctx, msg.Headers())
	if err := msg.DoubleAck(ctx); err != nil {
		e.log.Warn("durable: acknowledging a dead-lettered delivery failed", "delivery_id", id, "error", err.Error())
	}
	e.log.Error("durable: handler failed its last attempt; delivery moved to the dead letters",
		"kind", ev.Kind, "delivery_id", id, "attempts", ev.Attempt, "error", ev.Err.Error())
	ev.Type = framework.QueueDeadLettered
	e.event(ctx, ev)
}

// storeDeadLetter stores the dead letter of the inbox message with body
// data and headers h, stored at acceptedAt with stream sequence seq. It
// reports a duplicate when that dead letter was stored already.
func (e *Engine) storeDeadLetter(ctx context.Context, data []byte, h nats.Header, acceptedAt time.Time, seq uint64, ev framework.QueueEvent) (duplicate bool, err error) {
	id := ev.DeliveryID
	dl := nats.NewMsg(e.dlSubj + "." + token(id))
	dl.Data = data
	for _, k := range []string{HeaderKind, HeaderDeliveryID, HeaderKey, HeaderSeen, HeaderReplayOf} {
		if v := h.Get(k); v != "" {
			dl.Header.Set(k, v)
		}
	}
	dl.Header.Set(HeaderAttempts, strconv.Itoa(ev.Attempt))
	dl.Header.Set(HeaderError, headerValue(ev.Err.Error(), 4096))
	dl.Header.Set(HeaderAcceptedAt, acceptedAt.UTC().Format(time.RFC3339Nano))
	dl.Header.Set(HeaderFailedAt, time.Now().UTC().Format(time.RFC3339Nano))
	ack, err := e.js.PublishMsg(ctx, dl, jetstream.WithMsgID("dead:"+id+":"+strconv.FormatUint(seq, 10)))
	if err != nil {
		return false, err
	}
	return ack.Duplicate, nil
}

// giveUpsSubject is the advisory the server sends when it stops
// redelivering a message of the workers' consumer (MaxDeliver).
func (e *Engine) giveUpsSubject() string {
	return "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + e.cfg.name + "." + consumerName
}

// deadLetterGivenUp moves to the dead letters the inbox message seq that
// the server stopped redelivering after deliveries attempts: the worker's
// own dead-lettering failed each time (ErrUnfinished). Without it the
// message would stay in the inbox, never delivered again. Several
// instances may do it at once: the dead letter is stored once.
func (e *Engine) deadLetterGivenUp(seq uint64, deliveries int) {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.publishWait)
	defer cancel()
	raw, err := e.inbox.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return // settled meanwhile
	}
	if err != nil {
		e.log.Error("durable: reading a delivery the server gave up on failed; it stays in the inbox (replay it from there)", "sequence", seq, "error", err.Error())
		return
	}
	ev := framework.QueueEvent{Type: framework.QueueDeadLettered, Kind: raw.Header.Get(HeaderKind), DeliveryID: raw.Header.Get(HeaderDeliveryID),
		Attempt: deliveries, Err: fmt.Errorf("%w: the server stopped redelivering it after %d deliveries", ErrUnfinished, deliveries)}
	dup, err := e.storeDeadLetter(ctx, raw.Data, raw.Header, raw.Time, seq, ev)
	if err != nil {
		e.log.Error("durable: storing the dead letter of a delivery the server gave up on failed; it stays in the inbox", "delivery_id", ev.DeliveryID, "error", err.Error())
		return
	}
	e.markDone(ctx, raw.Header)
	if err := e.inbox.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		e.log.Warn("durable: removing a dead-lettered delivery from the inbox failed", "delivery_id", ev.DeliveryID, "error", err.Error())
	}
	if !dup {
		e.log.Error("durable: the server stopped redelivering a delivery; moved to the dead letters",
			"kind", ev.Kind, "delivery_id", ev.DeliveryID, "deliveries", deliveries)
		e.event(ctx, ev)
	}
}

// token makes a delivery id a valid subject token.
func token(id string) string {
	if id == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, id)
}

func parseDeadLetter(h nats.Header) DeadLetter {
	dl := DeadLetter{
		ID:    h.Get(HeaderDeliveryID),
		Kind:  h.Get(HeaderKind),
		Key:   h.Get(HeaderKey),
		Error: h.Get(HeaderError),
	}
	dl.Attempts, _ = strconv.Atoi(h.Get(HeaderAttempts))
	dl.AcceptedAt, _ = time.Parse(time.RFC3339Nano, h.Get(HeaderAcceptedAt))
	dl.FailedAt, _ = time.Parse(time.RFC3339Nano, h.Get(HeaderFailedAt))
	return dl
}

// DeadLetters lists the dead letters, oldest first, without their bodies.
func (e *Engine) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	var out []DeadLetter
	err := e.readHeaders(ctx, e.dead, func(h nats.Header) {
		dl := parseDeadLetter(h)
		dl.Size, _ = strconv.Atoi(h.Get(nats.MsgSize))
		out = append(out, dl)
	})
	if err != nil {
		return out, fmt.Errorf("durable: reading dead letters: %w", err)
	}
	return out, nil
}

// readHeaders calls each with the headers of every message of s, oldest
// first, without their data.
func (e *Engine) readHeaders(ctx context.Context, s jetstream.Stream, each func(nats.Header)) error {
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	if info.State.Msgs == 0 {
		return nil
	}
	oc, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{HeadersOnly: true})
	if err != nil {
		return err
	}
	for {
		batch, err := oc.Fetch(256, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return err
		}
		n, last := 0, false
		for msg := range batch.Messages() {
			n++
			each(msg.Headers())
			if md, err := msg.Metadata(); err == nil && md.NumPending == 0 {
				last = true
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
		if last || n == 0 {
			return nil
		}
	}
}

// DeadLetter returns one dead letter with its body, or an error wrapping
// [ErrNotFound].
func (e *Engine) DeadLetter(ctx context.Context, id string) (DeadLetter, error) {
	raw, err := e.lookup(ctx, id)
	if err != nil {
		return DeadLetter{}, err
	}
	dl := parseDeadLetter(raw.Header)
	dl.Body, dl.Size = raw.Data, len(raw.Data)
	return dl, nil
}

func (e *Engine) lookup(ctx context.Context, id string) (*jetstream.RawStreamMsg, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	raw, err := e.dead.GetLastMsgForSubject(ctx, e.dlSubj+"."+token(id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("durable: reading dead letter %q: %w", id, err)
	}
	return raw, nil
}

// Replay puts a dead letter back in the inbox, as a new delivery whose
// attempts count from 1 again, then removes it from the dead letters. Fix
// the handler first. Replaying the same dead letter twice stores it once.
func (e *Engine) Replay(ctx context.Context, id string) error {
	raw, err := e.lookup(ctx, id)
	if err != nil {
		return err
	}
	m := nats.NewMsg(e.inSubj)
	m.Data = raw.Data
	for _, k := range []string{HeaderKind, HeaderDeliveryID, HeaderKey, HeaderSeen} {
		if v := raw.Header.Get(k); v != "" {
			m.Header.Set(k, v)
		}
	}
	seq := strconv.FormatUint(raw.Sequence, 10)
	m.Header.Set(HeaderReplayOf, seq)
	ctx, cancel := context.WithTimeout(ctx, e.cfg.publishWait)
	defer cancel()
	if _, err := e.publish(ctx, m, "replay:"+token(id)+":"+seq, true); err != nil {
		return err
	}
	if err := e.dead.DeleteMsg(ctx, raw.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("durable: replayed %q, but removing its dead letter failed: %w", id, err)
	}
	e.event(ctx, framework.QueueEvent{Type: framework.QueueReplayed, Kind: raw.Header.Get(HeaderKind), DeliveryID: id})
	return nil
}

// ReplayAll replays every dead letter and returns how many it replayed.
func (e *Engine) ReplayAll(ctx context.Context) (int, error) {
	dls, err := e.DeadLetters(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, dl := range dls {
		err := e.Replay(ctx, dl.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Discard deletes a dead letter for good.
func (e *Engine) Discard(ctx context.Context, id string) error {
	raw, err := e.lookup(ctx, id)
	if err != nil {
		return err
	}
	if err := e.dead.DeleteMsg(ctx, raw.Sequence); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("durable: discarding dead letter %q: %w", id, err)
	}
	return nil
}
