package framework

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/retabhook/retabhook/internal/envelope"
	"github.com/retabhook/retabhook/internal/rulecheck"
)

// Event is Retab's signed event envelope: {"id": "evt_...", "type":
// "workflow.run.completed", "environment": "test", "created_at": RFC 3339,
// "data": {...}}.
type Event struct {
	// ID is the event's id, the same on every retry of one event: the
	// de-duplication key of events.
	ID string
	// Type is the event type, such as "workflow.run.completed".
	Type string
	// Environment is the environment the body names, equal to the
	// X-Retab-Environment header once the router accepted it.
	Environment string
	// OrganizationID is the sending organisation, when present.
	OrganizationID string
	// CreatedAt is when the event was created (zero when absent or not
	// RFC 3339).
	CreatedAt time.Time
	// Data is the event's data object, as sent.
	Data json.RawMessage
}

// EventWorkflowRunCompleted is the event type Retab's docs show: a
// workflow run finished; its data is a [WorkflowRun].
const EventWorkflowRunCompleted = "workflow.run.completed"

// EventFormat is Retab's signed event envelope: {"id": "evt_...", "type",
// "environment", "organization_id", "created_at", "data": {...}}, signed
// with the timestamped header ([TimestampScheme]) and sent with
// X-Retab-Environment. It recognises a body with a "type" key. Delivery.Event
// holds the envelope. When data holds an extraction (an "output" object,
// with optional "consensus.likelihoods", "file", "metadata", "id", "model":
// the shape of Retab's Extraction model, an inference), output is the
// delivery's content, routed to the struct handlers like any other, with
// likelihoods and metadata on the Delivery.
func EventFormat() Format { return eventFormat{} }

type eventFormat struct{}

func (eventFormat) Name() string { return "event" }

// eventEnvelope is the event as sent.
type eventEnvelope struct {
	ID             string          `json:"id"`
	Type           *string         `json:"type"`
	Environment    string          `json:"environment"`
	OrganizationID string          `json:"organization_id"`
	CreatedAt      string          `json:"created_at"`
	Data           json.RawMessage `json:"data"`
}

// extraction is the part of Retab's Extraction model an event's data is
// read for.
type extraction struct {
	ID     string          `json:"id"`
	Model  string          `json:"model"`
	Output json.RawMessage `json:"output"`
	File   *struct {
		Filename string `json:"filename"`
		MIMEType string `json:"mime_type"`
	} `json:"file"`
	Consensus *struct {
		Choices     []json.RawMessage `json:"choices"`
		Likelihoods json.RawMessage   `json:"likelihoods"`
	} `json:"consensus"`
	Metadata json.RawMessage `json:"metadata"`
	Usage    json.RawMessage `json:"usage"`
}

func (eventFormat) Decode(body []byte) (*Delivery, error) {
	if !envelope.HasKey(body, "type") {
		return nil, ErrUnrecognizedFormat
	}
	var env eventEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: the event is not a JSON object of the envelope's shape", ErrMalformedEnvelope)
	}
	switch {
	case env.Type == nil || *env.Type == "":
		return nil, fmt.Errorf("%w: the event's type is empty", ErrMalformedEnvelope)
	case env.ID == "":
		return nil, fmt.Errorf("%w: the event has no id", ErrMalformedEnvelope)
	}
	ev := &Event{ID: env.ID, Type: *env.Type, Environment: env.Environment, OrganizationID: env.OrganizationID, Data: env.Data}
	if t, err := time.Parse(time.RFC3339, env.CreatedAt); err == nil {
		ev.CreatedAt = t.UTC()
	}
	d := &Delivery{Event: ev, Created: ev.CreatedAt}
	var x extraction
	data := bytes.TrimSpace(env.Data)
	if len(data) == 0 || data[0] != '{' || json.Unmarshal(data, &x) != nil || len(x.Output) == 0 {
		return d, nil // no extraction: routed by type, or ignored
	}
	if x.Output = bytes.TrimSpace(x.Output); x.Output[0] != '{' {
		return d, nil
	}
	d.Content, d.ExtractionID, d.Model, d.Usage = x.Output, x.ID, x.Model, x.Usage
	d.Choices = []Choice{{Index: 0, Content: x.Output}}
	if c := x.Consensus; c != nil {
		d.Likelihoods = c.Likelihoods
		for i, ch := range c.Choices {
			d.Choices = append(d.Choices, Choice{Index: i + 1, Content: ch})
		}
	}
	if x.File != nil {
		d.File = File{Filename: x.File.Filename, MIMEType: x.File.MIMEType}
	}
	if err := decodeMetadata(x.Metadata, &d.Metadata); err != nil {
		return d, err
	}
	return d, nil
}

// HandleEvent registers the handler for events of eventType (such as
// [EventWorkflowRunCompleted]): the event's data is decoded into T (with
// encoding/json; unknown fields ignored) and checked against T's validate
// tags, then h is called; [DeliveryFrom] gives the whole delivery, with
// Delivery.Event. Such a handler takes precedence over routing an
// extraction event's output to the struct handlers. An event type nobody
// handles, whose data holds no extraction, is answered 200
// {"status":"ignored",...}. It panics on misuse like [Handle];
// [HandleEventSafely] returns the error.
func HandleEvent[T any](r *Router, eventType string, h func(ctx context.Context, v T) error, opts ...HandleOption) {
	if err := HandleEventSafely(r, eventType, h, opts...); err != nil {
		panic(err)
	}
}

// HandleEventSafely is [HandleEvent] returning an error wrapping
// [ErrRegistration] instead of panicking.
func HandleEventSafely[T any](r *Router, eventType string, h func(ctx context.Context, v T) error, opts ...HandleOption) error {
	if h == nil {
		return fmt.Errorf("%w: nil handler for event %q", ErrRegistration, eventType)
	}
	if eventType == "" {
		return fmt.Errorf("%w: empty event type", ErrRegistration)
	}
	typ := reflect.TypeFor[T]()
	if err := checkRules(r.validate, typ); err != nil {
		return err
	}
	rules := rulecheck.Compile(r.validate, typ)
	var hc handleConfig
	for _, o := range opts {
		o(&hc)
	}
	call := r.wrap(typedCall(h), hc.middleware)
	decode := contentDecoder[T]()
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.events[eventType]; ok {
		return fmt.Errorf("%w: event type %q is already registered for %s", ErrRegistration, eventType, prev.typ)
	}
	r.events[eventType] = &route{kind: eventType, typ: typ, decode: decode, call: call, rules: rules}
	return nil
}

// eventRoute returns the handler registered for an event type.
func (r *Router) eventRoute(eventType string) (*route, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	rt, ok := r.events[eventType]
	return rt, ok
}

// checkEvent decodes an event's data for its route (nil: ignored).
func (r *Router) checkEvent(ctx context.Context, rt *route, d *Delivery) error {
	if rt == nil {
		return nil
	}
	_, end := r.stage(ctx, StageValidate)
	err := r.decodeEvent(rt, d)
	end(err)
	return err
}

// decodeEvent decodes an event's data into its route's type and applies
// the validate rules.
func (r *Router) decodeEvent(rt *route, d *Delivery) error {
	d.Kind = rt.kind
	data := bytes.TrimSpace(d.Event.Data)
	if len(data) == 0 || string(data) == "null" {
		return fmt.Errorf("%w: the event's data is null or absent", ErrNoContent)
	}
	v, ve := r.verdict(rt, data, nil)
	if ve != nil {
		return ve
	}
	d.Value = v
	return nil
}
