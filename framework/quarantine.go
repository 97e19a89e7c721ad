package framework

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ErrNotQuarantined is wrapped by the error of a quarantine operation on
// an id the store does not hold (never stored, replayed, discarded or
// dropped by the bounds).
var ErrNotQuarantined = errors.New("retabhook: no such quarantined delivery")

// Default bounds of a quarantine store: past them the oldest entries are
// dropped, with a log line and a [QuarantineObserver] call.
const (
	// DefaultQuarantineMaxBytes bounds the bytes a store holds (bodies and
	// records): 1 GiB, sixteen bodies of the default 64 MiB limit or about
	// 250,000 typical 4 KiB deliveries.
	DefaultQuarantineMaxBytes int64 = 1 << 30
	// DefaultQuarantineMaxAge bounds how long an entry is kept: 30 days,
	// time for someone to read the alert, fix the type and replay.
	DefaultQuarantineMaxAge = 30 * 24 * time.Hour
)

// QuarantineEntry is a delivery that passed authentication and was then
// refused, kept with everything needed to examine it and run it again: its
// exact body, the request headers needed to verify or route it again (never
// a secret), the path it arrived on and the refusal. It does not depend on
// the delivery's format: the body is kept as bytes.
type QuarantineEntry struct {
	// ID names the entry: "q_", 12 hex digits of the receiving time in
	// milliseconds and 8 random ones, so ids sort by time.
	ID string `json:"id"`
	// ReceivedAt is when the router received the delivery.
	ReceivedAt time.Time `json:"received_at"`
	// Kind is the kind the delivery was routed to or asked for (path,
	// metadata); "" when it failed before.
	Kind string `json:"kind,omitempty"`
	// Route is what the router's [RouteFunc] chose when the delivery
	// arrived ("" for schema match); a replay routes with it.
	Route string `json:"route,omitempty"`
	// DeliveryID is [Delivery.ID], when the envelope decoded.
	DeliveryID string `json:"delivery_id,omitempty"`
	// Path is the request's URL path.
	Path string `json:"path"`
	// Header holds the request headers kept: Content-Type, the signature
	// headers, and every header whose name starts with "Retab-",
	// "X-Retab-" or "Webhook-".
	Header http.Header `json:"header,omitempty"`
	// Problem is the refusal, as answered (its QuarantineID is ID).
	Problem ProblemDocument `json:"problem"`
	// Size is the body's size in bytes.
	Size int64 `json:"size"`
	// Body is the body, byte for byte as received. List leaves it nil.
	Body []byte `json:"-"`
}

// FirstViolation is a one-line reason: the first violation, with its JSON
// Pointer, or else the problem's detail.
func (e *QuarantineEntry) FirstViolation() string {
	if v := e.Problem.Violations; len(v) > 0 {
		return pointerOrRoot(v[0].Pointer) + ": " + v[0].Message
	}
	return e.Problem.Detail
}

// QuarantineStore keeps quarantined deliveries. Put must return only once
// the entry is stored for good (it survives a crash of the process): the
// router answers with the entry's id only after Put returned nil. A store
// is used concurrently, possibly by several processes (the receiver and
// its command line). [OpenDiskQuarantine] is one, on local disk; package
// handlers/durable has one in JetStream, shared by every instance.
type QuarantineStore interface {
	// Put stores e (with its Body), replacing an entry of the same ID.
	Put(ctx context.Context, e *QuarantineEntry) error
	// Get returns an entry with its body, or an error wrapping
	// [ErrNotQuarantined].
	Get(ctx context.Context, id string) (*QuarantineEntry, error)
	// List returns the entries, oldest first, without their bodies.
	List(ctx context.Context) ([]QuarantineEntry, error)
	// Delete removes an entry, or returns an error wrapping
	// [ErrNotQuarantined].
	Delete(ctx context.Context, id string) error
}

// QuarantineObserver is told when a store drops an entry to stay within
// its bounds (reason "size" or "age"). Metrics packages implement it.
type QuarantineObserver interface {
	QuarantineDropped(ctx context.Context, e QuarantineEntry, reason string)
}

// WithQuarantine keeps every delivery that passed authentication and was
// then refused in s, before answering: the answer's problem document
// carries the entry's id (quarantine_id). Kept: an unrecognised format, a malformed envelope,
// missing or invalid content, no route, an ambiguous route, an unknown
// kind, schema and rule violations, a handler's [Reject], and, in the
// synchronous mode, a handler that failed or panicked (Retab sends a
// completion once, so that delivery is otherwise gone). Never kept: a
// delivery whose signature did not verify, or any delivery when
// verification is off ([WithInsecureSkipVerify]), since nothing then is
// authentic. When Put fails the answer is unchanged, without an id, and
// the failure is logged. [Router.Replay] runs an entry again. Default:
// none.
func WithQuarantine(s QuarantineStore) Option {
	return func(c *config) error {
		if s == nil {
			return errors.New("retabhook: WithQuarantine(nil)")
		}
		c.quarantine = s
		return nil
	}
}

// ErrIgnoredEvent is the reason of a quarantine entry kept by
// [WithQuarantineIgnoredEvents]: an authentic event whose type no handler
// is registered for. It is no failure (the event is answered 200
// {"status":"ignored"}); its Status is 200.
var ErrIgnoredEvent = &Problem{"ignored-event", "No handler for the event type", http.StatusOK}

// WithQuarantineIgnoredEvents also keeps, in the [WithQuarantine] store,
// the authentic events whose type no handler is registered for (still
// answered 200 {"status":"ignored"}, now with their quarantine_id), so
// that they can be replayed once a handler for their type exists.
// Default: off (such events are only logged and counted).
func WithQuarantineIgnoredEvents() Option {
	return func(c *config) error { c.quarantineIgnored = true; return nil }
}

// Quarantine returns the store given to [WithQuarantine], or nil.
func (r *Router) Quarantine() QuarantineStore { return r.cfg.quarantine }

// QuarantinedError is the error answered for a delivery that was kept in
// the quarantine: it wraps the refusal (errors.Is and As see through it)
// and names the entry.
type QuarantinedError struct {
	ID  string
	Err error
}

// Error implements error.
func (e *QuarantinedError) Error() string { return e.Err.Error() + " (quarantined as " + e.ID + ")" }

// Unwrap returns the refusal.
func (e *QuarantinedError) Unwrap() error { return e.Err }

// NewQuarantineID returns a new entry id received at t.
func NewQuarantineID(t time.Time) string {
	var b [10]byte
	var ms [8]byte
	binary.BigEndian.PutUint64(ms[:], uint64(t.UnixMilli()))
	copy(b[:6], ms[2:])
	_, _ = rand.Read(b[6:])
	return "q_" + hex.EncodeToString(b[:])
}

// quarantineIDTime is the receiving time an id names.
func quarantineIDTime(id string) (time.Time, bool) {
	if !validQuarantineID(id) {
		return time.Time{}, false
	}
	var ms [8]byte
	if _, err := hex.Decode(ms[2:], []byte(id[2:14])); err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(ms[:]))), true
}

// validQuarantineID reports whether id has the shape of NewQuarantineID's,
// so that a store can use it as a file name or subject token.
func validQuarantineID(id string) bool {
	if len(id) != 22 || !strings.HasPrefix(id, "q_") {
		return false
	}
	for _, c := range id[2:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ValidQuarantineID reports whether id is shaped like an entry id; stores
// answer [ErrNotQuarantined] for any other without looking.
func ValidQuarantineID(id string) bool { return validQuarantineID(id) }

// quarantinable reports whether a refusal is kept.
func (r *Router) quarantinable(err error) bool {
	switch ProblemOf(err) {
	case ErrUnrecognizedFormat, ErrMalformedEnvelope, ErrMissingCompletion, ErrNoContent, ErrInvalidContent,
		ErrNoRoute, ErrAmbiguousRoute, ErrUnknownKind, ErrSchemaViolation, ErrRuleViolation, ErrRejected, ErrIgnoredEvent:
		return true
	case ErrHandler, ErrPanic:
		return r.cfg.dispatcher == nil
	}
	return false
}

// quarantineHeaders are the request headers an entry keeps.
func (r *Router) quarantineHeaders(h http.Header) http.Header {
	out := http.Header{}
	for name, vs := range h {
		keep := name == "Content-Type" || strings.HasPrefix(name, "Retab-") ||
			strings.HasPrefix(name, "X-Retab-") || strings.HasPrefix(name, "Webhook-")
		for _, s := range r.cfg.signatureHeaders {
			keep = keep || http.CanonicalHeaderKey(s) == name
		}
		if keep {
			out[name] = append([]string(nil), vs...)
		}
	}
	return out
}

// keep stores a refused, authenticated delivery and returns the error to
// answer: a *QuarantinedError when it was stored, err otherwise.
func (r *Router) keep(ctx context.Context, req *http.Request, body []byte, d *Delivery, err error) error {
	if r.cfg.quarantine == nil || !r.quarantinable(err) {
		return err
	}
	now := time.Now().UTC()
	e := &QuarantineEntry{
		ID:         NewQuarantineID(now),
		ReceivedAt: now,
		Path:       req.URL.Path,
		Header:     r.quarantineHeaders(req.Header),
		Size:       int64(len(body)),
		Body:       body,
	}
	rd := d
	if rd == nil {
		rd = &Delivery{}
	}
	if kind, rerr := r.cfg.route(req, rd); rerr == nil {
		e.Route = kind
	}
	e.Kind = e.Route
	if d != nil {
		e.DeliveryID = d.ID
		if d.Kind != "" {
			e.Kind = d.Kind
		}
	}
	return r.store(ctx, e, err)
}

// keepIgnored stores an ignored event when [WithQuarantineIgnoredEvents]
// asks for it, and names the entry in out.
func (r *Router) keepIgnored(ctx context.Context, req *http.Request, body []byte, d *Delivery, out *Outcome) {
	if !r.cfg.quarantineIgnored || r.cfg.quarantine == nil || r.cfg.insecure {
		return
	}
	var qe *QuarantinedError
	if errors.As(r.keep(ctx, req, body, d, fmt.Errorf("%w: %q", ErrIgnoredEvent, d.Event.Type)), &qe) {
		out.QuarantineID = qe.ID
	}
}

// store puts e with err as its refusal, returning the error to answer.
func (r *Router) store(ctx context.Context, e *QuarantineEntry, err error) error {
	e.Problem = NewProblemDocument(err)
	e.Problem.QuarantineID = e.ID
	if perr := r.cfg.quarantine.Put(ctx, e); perr != nil {
		r.cfg.logger.ErrorContext(ctx, "retabhook: the refused delivery could not be quarantined; it is answered without a quarantine id",
			"delivery_id", e.DeliveryID, "problem", e.Problem.Type, "error", perr.Error())
		return err
	}
	return &QuarantinedError{ID: e.ID, Err: err}
}

// ReplayResult is what [Router.Replay] did with an entry.
type ReplayResult struct {
	// Delivery is the delivery as decoded again (nil when the envelope
	// does not decode).
	Delivery *Delivery
	// Err is nil when the delivery reached its handler (or, in the
	// durable mode, the engine) and the entry was removed; otherwise the
	// new refusal, with which the entry was stored again.
	Err error
}

// Replay runs a quarantined delivery again through the router's current
// registrations, as if it had just arrived, without checking its
// signature again (it was verified when it was kept): after a fix to a
// type or a schema, the extraction reaches its handler. The route is the
// one chosen on arrival (Route), else schema match. On success the entry
// is deleted; when the delivery is refused again the entry stays, with the
// new refusal. The error is about the store (an id that does not exist
// wraps [ErrNotQuarantined]); the outcome is in the result. In the durable
// mode a replayed delivery is dispatched to the engine, whose workers run
// the handler.
func (r *Router) Replay(ctx context.Context, id string) (ReplayResult, error) {
	if r.cfg.quarantine == nil {
		return ReplayResult{}, fmt.Errorf("%w: no quarantine (WithQuarantine)", ErrNotQuarantined)
	}
	e, err := r.cfg.quarantine.Get(ctx, id)
	if err != nil {
		return ReplayResult{}, err
	}
	d, rerr := r.rerun(ctx, e)
	res := ReplayResult{Delivery: d, Err: rerr}
	if rerr == nil {
		if err := r.cfg.quarantine.Delete(ctx, id); err != nil && !errors.Is(err, ErrNotQuarantined) {
			return res, fmt.Errorf("retabhook: %s was delivered, but removing it from the quarantine failed: %w", id, err)
		}
		r.cfg.logger.InfoContext(ctx, "retabhook: quarantined delivery replayed", "quarantine_id", id, "kind", d.Kind, "delivery_id", d.ID)
		return res, nil
	}
	if d != nil && d.Kind != "" {
		e.Kind = d.Kind
	}
	e.Problem = NewProblemDocument(rerr)
	e.Problem.QuarantineID = e.ID
	if err := r.cfg.quarantine.Put(ctx, e); err != nil {
		return res, fmt.Errorf("retabhook: %s was refused again, and storing the new reason failed: %w", id, err)
	}
	r.cfg.logger.WarnContext(ctx, "retabhook: quarantined delivery refused again; it stays", "quarantine_id", id,
		"problem", ProblemOf(rerr).Slug, "error", rerr.Error())
	return res, nil
}

// rerun is the pipeline after the signature, for a kept delivery.
func (r *Router) rerun(ctx context.Context, e *QuarantineEntry) (*Delivery, error) {
	d, c, err := r.decode(e.Body, nil)
	if err != nil {
		return d, err
	}
	d, rt, err := r.resolve(ctx, d, c, func() (*route, []byte, error) { return r.choose(e.Route, c) })
	if err != nil {
		return d, err
	}
	if rt == nil {
		return d, fmt.Errorf("%w: %q", ErrIgnoredEvent, d.Event.Type)
	}
	var out Outcome
	return d, r.deliver(ctx, rt, d, e.Body, &out)
}
