package framework

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/retabhook/retabhook/internal/envelope"
	"github.com/retabhook/retabhook/internal/jsonscan"
)

// ErrUnrecognizedFormat is answered when the body is none of the router's
// formats ([WithFormats]); the detail names the formats understood. A
// [Format] wraps it to say "not mine", and the router tries the next one.
var ErrUnrecognizedFormat = &Problem{"unrecognized-format", "Unrecognised delivery format", http.StatusBadRequest}

// Format is a delivery format: the shape of a body and where the
// extracted object sits in it. The router tries its formats
// ([WithFormats]; by default [CompletionFormat], [EventFormat] and
// [EndNodeFormat]) in order on the verified body; the first that does not
// answer [ErrUnrecognizedFormat] decides. A user adds one for a sender
// that re-wraps deliveries (a proxy, a queue), typically by unwrapping the
// body and calling a built-in format's Decode on the inner bytes.
type Format interface {
	// Name names the format in logs, metrics, Delivery.Format and the
	// 400 answered for an unrecognised body.
	Name() string
	// Decode decodes a body. It returns an error wrapping
	// [ErrUnrecognizedFormat] when the body is not of this format, and
	// otherwise a Delivery with Content set to the extracted object's JSON
	// bytes (routed and validated by the router), or, for an event,
	// Event set (Content too when the event carries an extraction). The
	// descriptive fields (CompletionID, Model, Likelihoods, Metadata,
	// File...) are the format's to fill; ID, Format, Scheme, SecretIndex
	// and Attempt are the router's. An error that is not
	// ErrUnrecognizedFormat (wrap [ErrMalformedEnvelope], [ErrNoContent]...)
	// is answered as is, with the Delivery when there is one.
	Decode(body []byte) (*Delivery, error)
}

// NewFormat returns a [Format] named name that decodes with decode.
func NewFormat(name string, decode func(body []byte) (*Delivery, error)) Format {
	return funcFormat{name: name, decode: decode}
}

type funcFormat struct {
	name   string
	decode func([]byte) (*Delivery, error)
}

func (f funcFormat) Name() string                          { return f.name }
func (f funcFormat) Decode(body []byte) (*Delivery, error) { return f.decode(body) }

// DefaultFormats returns the formats a router recognises when
// [WithFormats] is not given: [CompletionFormat], [EventFormat],
// [EndNodeFormat]. Append yours to keep them.
func DefaultFormats() []Format {
	return []Format{CompletionFormat(), EventFormat(), EndNodeFormat()}
}

// WithFormats sets the formats the router recognises, tried in order.
// Default: [DefaultFormats]. A [Format] of your own goes beside them:
// WithFormats(append(framework.DefaultFormats(), mine)...).
func WithFormats(fs ...Format) Option {
	return func(c *config) error {
		if len(fs) == 0 {
			return errors.New("retabhook: WithFormats needs at least one format")
		}
		for _, f := range fs {
			if f == nil {
				return errors.New("retabhook: WithFormats(nil)")
			}
		}
		c.formats = fs
		return nil
	}
}

// CompletionFormat is the automation webhook's WebhookRequest:
// {"completion": {...}, "user", "file_payload", "metadata"}; the extracted
// object is completion.choices[0].message.content. It recognises a body
// with a "completion" key.
func CompletionFormat() Format { return &completionFormat{} }

// completionFormat keeps rooms for decoding in (envelope.Room) in a
// pool: a content is decoded once, into the room, then copied to a buffer
// of its size (room grown past envelope.MaxRoom is not copied from: the
// delivery keeps it), and the envelope's own objects, which the delivery
// copies what it needs from, are the room's.
type completionFormat struct{ rooms sync.Pool }

func (*completionFormat) Name() string { return "completion" }

func (f *completionFormat) Decode(body []byte) (*Delivery, error) { return f.decodeRuns(body, nil) }

func (f *completionFormat) decodeRuns(body []byte, runs *jsonscan.PlainRuns) (*Delivery, error) {
	room, _ := f.rooms.Get().(*envelope.Room)
	if room == nil {
		room = new(envelope.Room)
	}
	d, err := f.decodeInto(body, runs, room)
	// The delivery holds nothing of the room (TestDeliveryOutlivesTheRoom).
	if room.Release() {
		f.rooms.Put(room)
	}
	return d, err
}

// decodeInto is decodeRuns with the envelope decoded into room.
func (f *completionFormat) decodeInto(body []byte, runs *jsonscan.PlainRuns, room *envelope.Room) (*Delivery, error) {
	env, err := envelope.DecodeRuns(body, runs, room)
	switch {
	case errors.Is(err, envelope.ErrNoCompletion):
		if !envelope.HasKey(body, "completion") {
			return nil, ErrUnrecognizedFormat
		}
		return nil, fmt.Errorf("%w: the body has no \"completion\" object", ErrMissingCompletion)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrMalformedEnvelope, err)
	}
	c := env.Completion
	// One allocation for the delivery and its choice, usually one.
	all := new(struct {
		d      Delivery
		choice [1]Choice
	})
	d := &all.d
	// Field by field into the new (zeroed) delivery: a composite literal
	// is built in this frame first, 520 bytes more stack on the deepest
	// path of a request (the envelope scan runs below this frame): past
	// 8 KiB, the stack the runtime shrinks an idle connection's goroutine
	// to, each request copies it to 16 KiB again.
	d.CompletionID, d.Model, d.ExtractionID = c.ID, c.Model, c.ExtractionID
	d.Likelihoods, d.Usage, d.RequiresHumanReview = c.Likelihoods, c.Usage, c.RequiresHumanReview
	if n, err := c.Created.Int64(); err == nil && n > 0 {
		d.Created = time.Unix(n, 0).UTC()
	}
	if len(c.Choices) == len(all.choice) {
		d.Choices = all.choice[:]
	} else {
		d.Choices = make([]Choice, len(c.Choices))
	}
	var contentErr error
	for i, ch := range c.Choices {
		d.Choices[i] = Choice{Index: ch.Index}
		if ch.FinishReason != nil {
			d.Choices[i].FinishReason = *ch.FinishReason
		}
		var err error
		d.Choices[i].Content, err = env.Content(i)
		if i == 0 {
			contentErr = err
		}
	}
	if env.User != nil {
		d.User = *env.User
	}
	if m, ok := env.DecodedMetadata(); ok {
		d.Metadata = m
	} else if err := decodeMetadata(env.Metadata, &d.Metadata); err != nil {
		return d, err
	}
	if env.FilePayload != nil {
		d.File = newFile(env.FilePayload.Filename, env.FilePayload.URL)
	}
	if len(c.Choices) == 0 {
		contentErr = envelope.ErrNoChoice
	}
	if contentErr != nil {
		return d, fmt.Errorf("%w: %w", ErrNoContent, contentReason(contentErr))
	}
	d.Content = d.Choices[0].Content
	return d, nil
}

// decodeMetadata decodes a metadata object (null and absent leave it nil)
// into *dst, which is nil, as json.Unmarshal does (envelope.Metadata, when
// it is sure).
func decodeMetadata(raw json.RawMessage, dst *map[string]any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if m, ok := envelope.Metadata(raw); ok {
		*dst = m
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%w: metadata is not a JSON object", ErrMalformedEnvelope)
	}
	return nil
}

func contentReason(err error) error {
	switch {
	case errors.Is(err, envelope.ErrNoChoice):
		return errors.New("completion.choices is empty")
	case errors.Is(err, envelope.ErrNullContent):
		return errors.New("completion.choices[0].message.content is null")
	case errors.Is(err, envelope.ErrEmptyContent):
		return errors.New("completion.choices[0].message.content is an empty string")
	case errors.Is(err, envelope.ErrContentType):
		return errors.New("completion.choices[0].message.content is neither a JSON string nor an object")
	}
	return err
}

// Decode decodes a body with the first of formats ([DefaultFormats] when
// none are given) that recognises it, as the router does after the
// signature, but without routing or validating the content: tools use it
// to tell what a body is. The Delivery has Format set; ID and the
// authentication fields are the router's. A body no format recognises is
// an error wrapping [ErrUnrecognizedFormat] that names the formats.
func Decode(body []byte, formats ...Format) (*Delivery, error) {
	return decodeFormats(body, nil, formats)
}

// runsFormat is a built-in format that takes the plain runs the router
// noted while reading the body.
type runsFormat interface {
	decodeRuns(body []byte, runs *jsonscan.PlainRuns) (*Delivery, error)
}

// decodeFormats is Decode with the body's plain runs (nil: none).
func decodeFormats(body []byte, runs *jsonscan.PlainRuns, formats []Format) (*Delivery, error) {
	if len(formats) == 0 {
		formats = DefaultFormats()
	}
	for _, f := range formats {
		var d *Delivery
		var err error
		if rf, ok := f.(runsFormat); ok {
			d, err = rf.decodeRuns(body, runs)
		} else {
			d, err = f.Decode(body)
		}
		if errors.Is(err, ErrUnrecognizedFormat) {
			continue
		}
		if d == nil {
			if err == nil {
				err = fmt.Errorf("%w: format %s decoded nothing", ErrMalformedEnvelope, f.Name())
			}
			return nil, err
		}
		d.Format = f.Name()
		return d, err
	}
	return nil, fmt.Errorf("%w: the body is none of the formats understood here (%s)", ErrUnrecognizedFormat, formatNames(formats))
}

// formatNames lists the names of formats, for the unrecognised answer.
func formatNames(fs []Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name()
	}
	return strings.Join(names, ", ")
}

// EndNodeFormat is the workflow End-node webhook: {"document": {"filename",
// "url"} | null, "data": {...} | null}, signed like the completion webhook
// (plain hex HMAC of the body). data is the extracted object, routed and
// validated like a completion's content (Retab named it "json" until
// 2026-02; that key is read too); document is the delivery's File. It
// recognises a body with a "data", "json" or "document" key; data null or
// absent is 422 [ErrNoContent].
func EndNodeFormat() Format { return endNodeFormat{} }

type endNodeFormat struct{}

func (endNodeFormat) Name() string { return "end_node" }

func (f endNodeFormat) Decode(body []byte) (*Delivery, error) { return f.decodeRuns(body, nil) }

func (endNodeFormat) decodeRuns(body []byte, runs *jsonscan.PlainRuns) (*Delivery, error) {
	if !envelope.HasKey(body, "data") && !envelope.HasKey(body, "json") && !envelope.HasKey(body, "document") {
		return nil, ErrUnrecognizedFormat
	}
	n, err := envelope.DecodeEndNodeRuns(body, runs)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedEnvelope, err)
	}
	d := &Delivery{}
	if n.Document != nil {
		d.File = newFile(n.Document.Filename, n.Document.URL)
	}
	d.Content, err = objectContent(n.Data, "data")
	return d, err
}

// objectContent is the extracted object of a format that carries it as a
// JSON object (End-node data, an extraction event's output): null or
// absent is [ErrNoContent], and so is a value that is not an object.
func objectContent(raw json.RawMessage, field string) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return nil, fmt.Errorf("%w: %s is absent", ErrNoContent, field)
	case string(raw) == "null":
		return nil, fmt.Errorf("%w: %s is null", ErrNoContent, field)
	case raw[0] != '{':
		return nil, fmt.Errorf("%w: %s is not a JSON object", ErrNoContent, field)
	}
	return raw, nil
}
