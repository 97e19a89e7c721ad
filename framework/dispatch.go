package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// StageDispatch is the stage in which a [Dispatcher] stores an accepted
// delivery (durable mode); it replaces [StageHandle] in requests.
const StageDispatch Stage = "dispatch"

// The errors of the durable and de-duplicating modes.
var (
	// ErrDispatch is wrapped by the error answered when the [Dispatcher]
	// could not store a valid delivery: the delivery was not accepted, so
	// the sender is told to try again later.
	ErrDispatch = &Problem{"dispatch-failed", "Delivery could not be stored", http.StatusServiceUnavailable}
	// ErrDuplicateInProgress is answered when a delivery with the same
	// de-duplication key is being processed and did not finish before the
	// request's context ended.
	ErrDuplicateInProgress = &Problem{"duplicate-in-progress", "A delivery with the same key is being processed", http.StatusConflict}
)

// Submission is a delivery the router hands to a [Dispatcher]: its
// signature was verified, its envelope decoded, it was routed, its content
// passed the schema and the validate rules, and Delivery.Value holds the
// decoded value.
type Submission struct {
	// Delivery is the decoded delivery; Delivery.Kind is the route.
	Delivery *Delivery
	// Body is the raw request body, exactly as signed. It is only valid
	// during the call: a Dispatcher that keeps it must copy it.
	Body []byte
	// Key is the delivery's de-duplication key ([WithDedupeKey]).
	Key string
}

// Acceptance is a Dispatcher's answer for an accepted submission.
// The stored delivery is named by Delivery.ID, in the 202 answer and when
// workers process it.
type Acceptance struct {
	// Duplicate reports that a delivery with the same key was already
	// accepted within the de-duplication window: it was not stored again,
	// and the router answers 200 {"status":"duplicate"}.
	Duplicate bool
}

// Dispatcher takes over valid deliveries instead of the router calling the
// handler during the request: it stores them durably and returns, and
// workers run the handlers later with [Router.Process]. Dispatch must
// return only once the delivery is stored (an error means it was not);
// it is called concurrently. Package handlers/durable has one, backed by
// NATS JetStream.
type Dispatcher interface {
	Dispatch(ctx context.Context, s Submission) (Acceptance, error)
}

// DispatcherFunc adapts a function to a [Dispatcher].
type DispatcherFunc func(ctx context.Context, s Submission) (Acceptance, error)

// Dispatch calls f.
func (f DispatcherFunc) Dispatch(ctx context.Context, s Submission) (Acceptance, error) {
	return f(ctx, s)
}

// WithDispatcher turns on the durable mode: every delivery still goes
// through method, media type, body limit, signature, envelope, routing,
// schema and validate checks during the request, and bad ones are refused
// with the same status as in the synchronous mode, never dispatched. A
// valid one is handed to d, then answered 202
// {"status":"accepted","kind":...,"delivery_id":...}, or 200
// {"status":"duplicate",...} when d reports a duplicate; when d fails the
// answer is 503 [ErrDispatch]. The handler runs later, when the engine's
// workers call [Router.Process]. De-duplication is then the dispatcher's
// job (with the key of [WithDedupeKey]); [WithDeduplication] and
// [WithDeduper] only apply to the synchronous mode. Default: none (the
// handler runs during the request).
func WithDispatcher(d Dispatcher) Option {
	return func(c *config) error {
		if d == nil {
			return errors.New("retabhook: WithDispatcher(nil)")
		}
		c.dispatcher = d
		return nil
	}
}

// Stored is a delivery a [Dispatcher] stored, handed back to the router by
// a worker.
type Stored struct {
	// Kind is the kind the delivery was routed to when it was accepted.
	Kind string
	// Body is the raw body as accepted.
	Body []byte
	// Attempt is the attempt number, from 1; it becomes Delivery.Attempt.
	Attempt int
	// ID is the Delivery.ID the delivery was accepted with, if the store
	// kept it; when it has the form of one ([IsDeliveryID]) it becomes
	// Delivery.ID, so a delivery stored by an earlier version keeps the
	// ID (of the legacy form) it was answered and logged with. Empty:
	// the ID of Body.
	ID string
}

// Process runs a stored delivery's handler: it decodes Body again, takes
// the route named by Kind (request-time routing, such as a path wildcard,
// is not available any more), checks the schema and the validate rules,
// then calls the handler with the router's and the registration's
// middleware, recovering panics, exactly as during a request. The
// signature is not checked again: the body was verified before it was
// stored, and the delivery's SecretIndex is -1. The handler sees
// Delivery.Attempt = s.Attempt (and Delivery.ID = s.ID, when set)
// through [DeliveryFrom].
//
// The error wraps the same [Problem] sentinels as a request would:
// [StatusOf] is 4xx when the stored delivery can never succeed (its kind
// is no longer registered, or it no longer matches the schema), 500 when
// the handler failed or panicked ([ErrHandler], [ErrPanic]), so an engine
// retries only the latter. The observer sees [StageHandle] only.
func (r *Router) Process(ctx context.Context, s Stored) (*Delivery, error) {
	d, c, err := r.decode(s.Body, nil)
	if d != nil && s.ID != "" {
		if ok, _ := IsDeliveryID(s.ID); ok {
			d.ID = s.ID
		}
	}
	if err != nil {
		return d, err
	}
	if s.Attempt > 0 {
		d.Attempt = s.Attempt
	}
	var rt *route
	ok := false
	if d.Event != nil {
		rt, ok = r.eventRoute(s.Kind)
	}
	if ok {
		err = r.decodeEvent(rt, d)
	} else {
		r.mu.RLock()
		rt, ok = r.routes[s.Kind]
		if !ok || c == nil {
			err := r.unknownKindLocked(s.Kind, c)
			r.mu.RUnlock()
			return d, err
		}
		r.mu.RUnlock()
		d.Kind = rt.kind
		err = r.check(rt, d, c, nil)
	}
	if err != nil {
		return d, err
	}
	hctx, end := r.stage(ctx, StageHandle)
	err = r.run(hctx, rt, d)
	end(err)
	return d, err
}

// deliver is the last step of a request: the handler (synchronous mode,
// with de-duplication when configured) or the dispatcher (durable mode).
func (r *Router) deliver(ctx context.Context, rt *route, d *Delivery, body []byte, out *Outcome) error {
	if rt == nil {
		// An event nobody handles: answered 2xx so that the sender stops
		// retrying it, logged and counted as ignored.
		out.Ignored = true
		return nil
	}
	if r.cfg.dispatcher != nil {
		return r.dispatch(ctx, d, body, out)
	}
	if r.cfg.deduper == nil {
		return r.handle(ctx, rt, d)
	}
	seen, finish, err := r.cfg.deduper.Begin(ctx, r.dedupeKey(d, body))
	switch {
	case errors.Is(err, ErrDuplicateInProgress):
		return err
	case err != nil:
		// Failing open: a delivery processed twice is better than a
		// delivery refused, which Retab would not send again.
		r.cfg.logger.WarnContext(ctx, "retabhook: de-duplication unavailable; processing the delivery", "delivery_id", d.ID, "error", err.Error())
		return r.handle(ctx, rt, d)
	case seen:
		out.Duplicate = true
		return nil
	}
	err = r.handle(ctx, rt, d)
	finish(err == nil)
	return err
}

func (r *Router) handle(ctx context.Context, rt *route, d *Delivery) error {
	hctx, end := r.stage(ctx, StageHandle)
	err := r.run(hctx, rt, d)
	end(err)
	return err
}

func (r *Router) dispatch(ctx context.Context, d *Delivery, body []byte, out *Outcome) error {
	_, end := r.stage(ctx, StageDispatch)
	rc, err := r.cfg.dispatcher.Dispatch(ctx, Submission{Delivery: d, Body: body, Key: r.dedupeKey(d, body)})
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrDispatch, err)
	}
	end(err)
	if err != nil {
		return err
	}
	out.Duplicate = rc.Duplicate
	out.Accepted = !rc.Duplicate
	return nil
}

// ignoredBody is the JSON answered for an event nobody handles.
type ignoredBody struct {
	Status     string `json:"status"`
	EventType  string `json:"event_type"`
	EventID    string `json:"event_id"`
	DeliveryID string `json:"delivery_id"`
	// QuarantineID names the quarantine entry (WithQuarantineIgnoredEvents).
	QuarantineID string `json:"quarantine_id,omitempty"`
}

// writeAnswer answers a delivery that succeeded: 200 processed, 202
// accepted, or 200 duplicate. The answer's bytes are written from a
// buffer of r.answers (ResponseWriter.Write does not keep them).
func (r *Router) writeAnswer(w http.ResponseWriter, d *Delivery, out *Outcome) {
	status, word := http.StatusOK, "processed"
	out.Review = d.Review != nil && !out.Duplicate
	switch {
	case d.Response != nil:
		writeResponse(w, d, out)
		return
	case out.Ignored:
		out.Status = status
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(ignoredBody{Status: "ignored", EventType: d.Event.Type, EventID: d.Event.ID, DeliveryID: d.ID, QuarantineID: out.QuarantineID})
		return
	case out.Duplicate:
		word = "duplicate"
	case out.Accepted:
		status, word = http.StatusAccepted, "accepted"
	case out.Review:
		word = "review"
	}
	out.Status = status
	// What Header.Set does, without canonicalising a key that already is.
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(status)
	buf, _ := r.answers.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	*buf = appendOK((*buf)[:0], okBody{Status: word, Kind: d.Kind, DeliveryID: d.ID, Review: out.Review && out.Accepted})
	_, _ = w.Write(*buf)
	if cap(*buf) <= answerMax {
		r.answers.Put(buf)
	}
}

// answerMax is the largest answer buffer kept for the next answer (a
// kind of a few hundred bytes is written from one of its own).
const answerMax = 512

// appendOK appends a as json.Encoder writes it (what the answer was
// before: TestAnswerAgreesWithEncodingJSON), without its reflection and
// buffers.
func appendOK(dst []byte, a okBody) []byte {
	dst = append(dst, `{"status":`...)
	dst = appendJSONString(dst, a.Status)
	dst = append(dst, `,"kind":`...)
	dst = appendJSONString(dst, a.Kind)
	dst = append(dst, `,"delivery_id":`...)
	dst = appendJSONString(dst, a.DeliveryID)
	if a.Review {
		dst = append(dst, `,"review":true`...)
	}
	return append(dst, "}\n"...)
}

// appendJSONString appends s as a JSON string, as encoding/json writes it:
// printable ASCII other than '"', '\\' and the characters it escapes for
// HTML ('<', '>', '&') as it is, anything else by json.Marshal.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
