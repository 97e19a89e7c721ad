package durable

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrInboxFull is wrapped by [Engine.Ready]'s error while the inbox has
// no room ([WithMaxBytes]) for a delivery of the size last refused.
var ErrInboxFull = errors.New("durable: the inbox is full")

// Healer is an embedded [Server] that can report its health and recover
// without a restart of the process. The embedded package's server is one:
// a NATS server that hit a write error (a full disk) refuses every write
// to the stream until it is restarted, even after space was freed; Heal
// restarts its JetStream subsystem in place.
type Healer interface {
	// Healthy returns nil when the server would store a message.
	Healthy() error
	// Heal restarts the server's JetStream subsystem, reloading the
	// streams from their files.
	Heal() error
}

// healEvery is the least time between two attempts to heal the embedded
// server.
const healEvery = 2 * time.Second

// Ready reports whether a delivery would be stored now, for a readiness
// probe: it writes a small message to the store (stream NAME_PROBE, which
// keeps only the last one), so it fails while the store refuses writes (a
// full disk, no quorum, JetStream off); and it fails while the inbox is at
// its limit ([WithMaxBytes]), or lacks room for a delivery as large as
// the last one it refused ([ErrInboxFull]). With the embedded server it also checks the
// server's own health, and restarts its JetStream subsystem when a storage
// error left it refusing writes: once the cause is gone (space freed), the
// engine accepts deliveries again without a restart of the process.
func (e *Engine) Ready(ctx context.Context) error {
	if e.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, tryWait)
	defer cancel()
	if err := e.checkServer(); err != nil {
		return err
	}
	m := nats.NewMsg(e.probeSubj)
	m.Data = []byte("ready?")
	_, err := e.js.PublishMsg(ctx, m, jetstream.WithExpectStream(e.cfg.name+"_PROBE"))
	if err != nil {
		e.noteStoreErr(err, 0)
		return fmt.Errorf("durable: the store refuses writes: %w", err)
	}
	if e.cfg.maxBytes > 0 {
		info, err := e.inbox.Info(ctx)
		if err != nil {
			return fmt.Errorf("durable: inbox stream: %w", err)
		}
		need := max(e.refused.Load(), 1)
		if used := int64(info.State.Bytes); used+need > e.cfg.maxBytes {
			return fmt.Errorf("%w: %d of %d bytes used (the last delivery refused needed %d)", ErrInboxFull, used, e.cfg.maxBytes, e.refused.Load())
		}
		e.refused.Store(0)
	}
	return nil
}

// checkServer returns the embedded server's health error, and heals it
// (at most every healEvery) while it has one.
func (e *Engine) checkServer() error {
	h, ok := e.srv.(Healer)
	if !ok {
		return nil
	}
	err := h.Healthy()
	if err == nil {
		return nil
	}
	e.heal(h)
	return fmt.Errorf("durable: the embedded server: %w", err)
}

// heal restarts the embedded server's JetStream subsystem, at most every
// healEvery, serialised with other heals.
func (e *Engine) heal(h Healer) {
	now := time.Now().UnixNano()
	last := e.lastHeal.Load()
	if now-last < int64(healEvery) || !e.lastHeal.CompareAndSwap(last, now) {
		return
	}
	e.healMu.Lock()
	defer e.healMu.Unlock()
	if h.Healthy() == nil {
		return
	}
	e.log.Warn("durable: the embedded server refuses writes (was the disk full?); restarting its JetStream")
	if err := h.Heal(); err != nil {
		e.log.Error("durable: restarting the embedded server's JetStream failed", "error", err.Error())
		return
	}
	if err := h.Healthy(); err != nil {
		e.log.Warn("durable: the embedded server still refuses writes", "error", err.Error())
		return
	}
	e.log.Info("durable: the embedded server accepts writes again")
	if p := e.pull.Load(); p != nil {
		e.repull.Store(true)
		(*p).Stop()
	}
}

// noteStoreErr records a failure to store a delivery of size bytes: a
// full inbox is remembered for [Engine.Ready]; any other error may be the
// embedded server's write error, which it heals in the background.
func (e *Engine) noteStoreErr(err error, size int) {
	if storeFull(err) && size > 0 {
		e.refused.Store(int64(size))
		return
	}
	if h, ok := e.srv.(Healer); ok && !e.closed.Load() {
		go func() {
			if h.Healthy() != nil {
				e.heal(h)
			}
		}()
	}
}
