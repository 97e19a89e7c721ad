package durable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/retabhook/retabhook/framework"
)

// HeaderQuarantine holds a quarantine entry's record (JSON, without the
// body, which is the message's data).
const HeaderQuarantine = "Retabhook-Quarantine"

// quarantineConfig is the quarantine's part of the configuration.
type quarantineConfig struct {
	maxBytes int64
	maxAge   time.Duration
	observer framework.QuarantineObserver
}

// WithQuarantineLimits bounds the quarantine stream (NAME_QUARANTINE):
// past maxBytes or for entries older than maxAge, the oldest entries are
// dropped on the next Put, each with a warning log line and a call to
// [WithQuarantineObserver]'s observer. Default:
// framework.DefaultQuarantineMaxBytes (1 GiB) and
// framework.DefaultQuarantineMaxAge (30 days).
func WithQuarantineLimits(maxBytes int64, maxAge time.Duration) Option {
	return func(c *config) error {
		if maxBytes <= 0 || maxAge <= 0 {
			return fmt.Errorf("durable: WithQuarantineLimits(%d, %s): both must be positive", maxBytes, maxAge)
		}
		c.quarantine.maxBytes, c.quarantine.maxAge = maxBytes, maxAge
		return nil
	}
}

// WithQuarantineObserver is told of each quarantine entry dropped by the
// limits (handlers/metrics' Collector counts them). Default: none.
func WithQuarantineObserver(o framework.QuarantineObserver) Option {
	return func(c *config) error {
		if o == nil {
			return errors.New("durable: WithQuarantineObserver(nil)")
		}
		c.quarantine.observer = o
		return nil
	}
}

func (e *Engine) quarantineSubject(id string) string {
	return strings.ToLower(e.cfg.name) + ".quarantine." + id
}

// setupQuarantine creates or updates the quarantine stream: one message
// per entry id, the body as data and the record in a header.
func (e *Engine) setupQuarantine(ctx context.Context) error {
	q := &e.cfg.quarantine
	if q.maxBytes == 0 {
		q.maxBytes = framework.DefaultQuarantineMaxBytes
	}
	if q.maxAge == 0 {
		q.maxAge = framework.DefaultQuarantineMaxAge
	}
	var err error
	e.quar, err = e.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              e.cfg.name + "_QUARANTINE",
		Description:       "retabhook: authentic deliveries the receiver refused, kept for replay",
		Subjects:          []string{strings.ToLower(e.cfg.name) + ".quarantine.>"},
		Retention:         jetstream.LimitsPolicy,
		Storage:           jetstream.FileStorage,
		Replicas:          e.cfg.replicas,
		MaxMsgsPerSubject: 1,
		AllowDirect:       true,
	})
	if err != nil {
		return fmt.Errorf("durable: quarantine stream %s_QUARANTINE: %w", e.cfg.name, err)
	}
	return nil
}

// Put stores a quarantine entry, returning once the server (a majority of
// the replicas) has stored it; it implements framework.QuarantineStore,
// so that every instance of a durable receiver shares one quarantine
// (give the engine to framework.WithQuarantine). Then the oldest entries
// past the limits ([WithQuarantineLimits]) are dropped.
func (e *Engine) Put(ctx context.Context, q *framework.QuarantineEntry) error {
	if e.closed.Load() {
		return ErrClosed
	}
	if !framework.ValidQuarantineID(q.ID) {
		return fmt.Errorf("durable: quarantine id %q is not one of framework.NewQuarantineID's", q.ID)
	}
	rec, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("durable: encoding the quarantine record: %w", err)
	}
	m := nats.NewMsg(e.quarantineSubject(q.ID))
	m.Data = q.Body
	m.Header.Set(HeaderQuarantine, string(rec))
	pctx, cancel := context.WithTimeout(ctx, e.cfg.publishWait)
	defer cancel()
	if _, err := e.js.PublishMsg(pctx, m, jetstream.WithExpectStream(e.cfg.name+"_QUARANTINE")); err != nil {
		return fmt.Errorf("durable: storing the quarantine entry: %w", err)
	}
	e.boundQuarantine(ctx, q.ID)
	return nil
}

// boundQuarantine drops the oldest entries past the limits, never keep.
func (e *Engine) boundQuarantine(ctx context.Context, keep string) {
	lim := e.cfg.quarantine
	for range 1000 { // each turn drops one entry; a bound on the work of one Put
		info, err := e.quar.Info(ctx)
		if err != nil || info.State.Msgs == 0 {
			return
		}
		raw, err := e.quar.GetMsg(ctx, info.State.FirstSeq)
		if err != nil {
			return // deleted meanwhile by another instance: the next Put looks again
		}
		reason := ""
		switch {
		case int64(info.State.Bytes) > lim.maxBytes:
			reason = "size"
		case time.Since(raw.Time) > lim.maxAge:
			reason = "age"
		default:
			return
		}
		entry := parseQuarantine(raw)
		if entry.ID == keep {
			return // alone and over the size: the entry just stored stays
		}
		if err := e.quar.DeleteMsg(ctx, raw.Sequence); err != nil {
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue // another instance dropped it
			}
			e.log.WarnContext(ctx, "durable: quarantine limits not applied", "error", err.Error())
			return
		}
		entry.Body = nil
		e.log.WarnContext(ctx, "durable: quarantine limit reached; dropped the oldest entry", "quarantine_id", entry.ID,
			"reason", reason, "kind", entry.Kind, "problem", entry.Problem.Type, "max_bytes", lim.maxBytes, "max_age", lim.maxAge)
		if lim.observer != nil {
			lim.observer.QuarantineDropped(ctx, entry, reason)
		}
	}
}

func parseQuarantine(raw *jetstream.RawStreamMsg) framework.QuarantineEntry {
	var q framework.QuarantineEntry
	_ = json.Unmarshal([]byte(raw.Header.Get(HeaderQuarantine)), &q)
	q.Body = raw.Data
	return q
}

// Get returns a quarantine entry with its body, or an error wrapping
// framework.ErrNotQuarantined.
func (e *Engine) Get(ctx context.Context, id string) (*framework.QuarantineEntry, error) {
	raw, err := e.quarantined(ctx, id)
	if err != nil {
		return nil, err
	}
	q := parseQuarantine(raw)
	if q.ID != id || int64(len(q.Body)) != q.Size {
		return nil, fmt.Errorf("durable: quarantine entry %s: its record does not match its body", id)
	}
	return &q, nil
}

func (e *Engine) quarantined(ctx context.Context, id string) (*jetstream.RawStreamMsg, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	if !framework.ValidQuarantineID(id) {
		return nil, fmt.Errorf("%w: %q", framework.ErrNotQuarantined, id)
	}
	raw, err := e.quar.GetLastMsgForSubject(ctx, e.quarantineSubject(id))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("%w: %q", framework.ErrNotQuarantined, id)
	}
	if err != nil {
		return nil, fmt.Errorf("durable: reading quarantine entry %s: %w", id, err)
	}
	return raw, nil
}

// List returns the quarantine entries, oldest first, without their
// bodies.
func (e *Engine) List(ctx context.Context) ([]framework.QuarantineEntry, error) {
	if e.closed.Load() {
		return nil, ErrClosed
	}
	var out []framework.QuarantineEntry
	err := e.readHeaders(ctx, e.quar, func(h nats.Header) {
		var q framework.QuarantineEntry
		if json.Unmarshal([]byte(h.Get(HeaderQuarantine)), &q) == nil && q.ID != "" {
			out = append(out, q)
		}
	})
	slices.SortFunc(out, func(a, b framework.QuarantineEntry) int { return strings.Compare(a.ID, b.ID) })
	return out, err
}

// Delete removes a quarantine entry, or returns an error wrapping
// framework.ErrNotQuarantined.
func (e *Engine) Delete(ctx context.Context, id string) error {
	raw, err := e.quarantined(ctx, id)
	if err != nil {
		return err
	}
	if err := e.quar.DeleteMsg(ctx, raw.Sequence); err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("%w: %q", framework.ErrNotQuarantined, id)
		}
		return fmt.Errorf("durable: deleting quarantine entry %s: %w", id, err)
	}
	return nil
}
