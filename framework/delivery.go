package framework

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/retabhook/retabhook/internal/jsonpointer"
	"github.com/retabhook/retabhook/schemas"
)

// Delivery is everything Retab sent with an extraction. A handler reaches
// it with [DeliveryFrom]; middleware receives it directly.
type Delivery struct {
	// ID identifies the delivery: [DeliveryIDPrefix] ("dlv2_") and the 32
	// hex digits of the body's XXH3-128 ([DeliveryID]). A rerun sends the
	// same body, so it has the same ID. Versions before gave "dlv_" and
	// the start of the body's SHA-256 ([LegacyDeliveryIDPrefix]): stored
	// IDs of that form keep naming what they named ([IsDeliveryID]).
	ID string
	// Kind is the registered type the delivery was routed to.
	Kind string
	// Value is the decoded, validated value (of the registered type).
	Value any
	// SecretIndex is the index, in WithSecrets, of the secret that signed
	// the delivery; -1 when verification is off.
	SecretIndex int
	// Attempt is 1 for a synchronous delivery; durable engines count
	// retries from there.
	Attempt int

	// Format is the name of the delivery format the body was decoded with
	// ("completion", "event", "end_node", "api_call", or a [Format] of
	// your own).
	Format string
	// Scheme is the name of the signature scheme that verified the
	// delivery ("hex", "timestamped", ...; "" when verification is off),
	// and Formula what its signature covers.
	Scheme  string
	Formula Formula
	// SignedAt is the timestamp of a timestamped signature (zero
	// otherwise).
	SignedAt time.Time
	// Environment is the Retab environment ("test", "production") the
	// delivery came from: its X-Retab-Environment header, else the
	// environment of the secret that verified it ([WithEnvironmentSecrets]);
	// "" when neither says.
	Environment string
	// Event is the event envelope of an event delivery; nil for other
	// formats.
	Event *Event
	// Response is the JSON an API Call handler's result encoded to
	// ([HandleCall]), answered with 200; nil for webhooks.
	Response json.RawMessage

	// CompletionID, Model, ExtractionID and Created describe the
	// completion.
	CompletionID string
	Model        string
	ExtractionID string
	Created      time.Time
	// Choices are all the completion's choices; choice 0 is the one
	// decoded into Value (with consensus, the consolidated answer).
	Choices []Choice
	// Likelihoods mirrors the extracted object with a score in [0,1] per
	// leaf field (consensus only; may be empty).
	Likelihoods json.RawMessage
	// RequiresHumanReview is the completion's requires_human_review.
	RequiresHumanReview bool
	// Review is why the delivery goes to its type's review handler
	// ([WithReview]); nil when it goes to the normal handler.
	Review *ReviewReason
	// Usage is the completion's token usage, as sent.
	Usage json.RawMessage
	// Content is the extracted object of choice 0, as sent (annotation
	// keys included).
	Content json.RawMessage
	// Annotations are the reasoning___, source___ and quote___ values set
	// aside from Content before validation.
	Annotations []schemas.Annotation

	// User is the Retab user the extraction ran for, if any.
	User string
	// Metadata is the automation's metadata object, if any.
	Metadata map[string]any
	// File is the source document.
	File File

	// digest is the digest of the body the delivery was decoded from
	// (ID and KeyByBody); body is that body (its slices are already held
	// by Content and File).
	digest bodyDigest
	body   []byte
}

// Choice is one of the completion's choices.
type Choice struct {
	Index        int
	FinishReason string
	// Content is the choice's extracted object as JSON (nil when null).
	Content json.RawMessage
}

// Annotation returns the annotation with the given prefix
// (schemas.ReasoningPrefix...) for the field at a JSON Pointer ("/total",
// or "" for reasoning___root).
func (d *Delivery) Annotation(prefix, pointer string) (any, bool) {
	in := schemas.Instance{Annotations: d.Annotations}
	return in.Annotation(prefix, pointer)
}

// Likelihood returns the consensus likelihood, in [0,1], of the extracted
// value at a JSON Pointer ("/total", "/line_items/0/amount"), read from
// Likelihoods, which mirrors the extracted object. It reports false when
// there is none: no consensus, a pointer outside the object, or a pointer
// to an object or array rather than a leaf. Likelihoods is decoded on each
// call.
func (d *Delivery) Likelihood(pointer string) (float64, bool) {
	if len(d.Likelihoods) == 0 || (pointer != "" && pointer[0] != '/') {
		return 0, false
	}
	dec := json.NewDecoder(bytes.NewReader(d.Likelihoods))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return 0, false
	}
	if pointer != "" {
		for _, tok := range strings.Split(pointer[1:], "/") {
			tok = jsonpointer.Unescape(tok)
			switch x := v.(type) {
			case map[string]any:
				var ok bool
				if v, ok = x[tok]; !ok {
					return 0, false
				}
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(x) || strconv.Itoa(i) != tok {
					return 0, false
				}
				v = x[i]
			default:
				return 0, false
			}
		}
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// ErrNoFileData is returned by [File.Data] when the file payload is not a
// base64 data URI.
var ErrNoFileData = errors.New("retabhook: file payload is not a base64 data URI")

// File is the source document of a delivery. Its bytes are decoded only
// when [File.Data] is called: until then the file is a view of the request
// body, neither copied nor decoded.
type File struct {
	// Filename is the document's name, as sent.
	Filename string
	// MIMEType is the data URI's media type ("" when unknown).
	MIMEType string
	// Size is the decoded size in bytes (0 when not a data URI).
	Size int
	url  []byte
}

func newFile(filename string, url []byte) File {
	f := File{Filename: filename, url: url}
	rest, ok := bytes.CutPrefix(url, []byte("data:"))
	if !ok {
		return f
	}
	meta, payload, ok := bytes.Cut(rest, []byte(","))
	if !ok || !bytes.HasSuffix(meta, []byte(";base64")) {
		return f
	}
	mime, _, _ := bytes.Cut(meta, []byte(";"))
	f.MIMEType = mimeType(mime)
	n := len(payload) / 4 * 3
	switch {
	case bytes.HasSuffix(payload, []byte("==")):
		n -= 2
	case bytes.HasSuffix(payload, []byte("=")):
		n--
	}
	f.Size = max(0, n)
	return f
}

// mimeType returns mime as a string, without a copy for the media types
// of the documents Retab usually sends.
func mimeType(mime []byte) string {
	switch string(mime) {
	case "application/pdf":
		return "application/pdf"
	case "image/png":
		return "image/png"
	case "image/jpeg":
		return "image/jpeg"
	case "image/webp":
		return "image/webp"
	case "text/plain":
		return "text/plain"
	}
	return string(mime)
}

// URL returns the file payload's URL as sent (a data URI carries the
// whole document, so this copies it; [File.Data] does not).
func (f File) URL() string { return string(f.url) }

// Data decodes the document's bytes from its base64 data URI.
func (f File) Data() ([]byte, error) {
	_, payload, ok := bytes.Cut(f.url, []byte(","))
	if !ok || !bytes.HasPrefix(f.url, []byte("data:")) {
		return nil, ErrNoFileData
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(payload)))
	n, err := base64.StdEncoding.Decode(b, payload)
	if err != nil {
		return nil, errors.Join(ErrNoFileData, err)
	}
	return b[:n], nil
}

type deliveryKey struct{}

// DeliveryFrom returns the delivery a handler is running for. It is how a
// handler of the plain form func(ctx, T) error reaches the file, metadata,
// likelihoods and annotations.
func DeliveryFrom(ctx context.Context) (*Delivery, bool) {
	d, ok := ctx.Value(deliveryKey{}).(*Delivery)
	return d, ok
}

// WithDelivery returns a context carrying d, as the router gives handlers.
// Engines that run handlers outside a request (retries) use it.
func WithDelivery(ctx context.Context, d *Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}

// HandlerFunc is a registered handler with its type erased: it receives
// the delivery, whose Value holds the decoded value.
type HandlerFunc func(ctx context.Context, d *Delivery) error

// Middleware wraps a HandlerFunc (recover, timeout, logging...).
type Middleware func(next HandlerFunc) HandlerFunc

// Stage names a step of the request pipeline.
type Stage string

// The pipeline's stages, in order.
const (
	StageRead     Stage = "read"
	StageVerify   Stage = "verify"
	StageDecode   Stage = "decode"
	StageRoute    Stage = "route"
	StageValidate Stage = "validate"
	StageHandle   Stage = "handle"
)

// Outcome is what happened to one request.
type Outcome struct {
	// Delivery is nil when the request failed before it was decoded; its
	// Kind is "" when it failed before routing.
	Delivery *Delivery
	// Status is the HTTP status answered.
	Status int
	// Err is nil on success.
	Err error
	// Duration is the time from the request's arrival to the answer.
	Duration time.Duration
	// BodyBytes is the number of body bytes read.
	BodyBytes int64
	// Accepted reports a delivery stored by the [Dispatcher] for its
	// workers (durable mode, answered 202).
	Accepted bool
	// Duplicate reports a delivery answered 200 without being processed
	// or stored again, because its de-duplication key was already
	// accepted within the window.
	Duplicate bool
	// Ignored reports an event whose type no handler is registered for
	// and whose data holds no extraction: answered 200
	// {"status":"ignored",...} so that the sender stops retrying it.
	Ignored bool
	// SecretIndex is the index, in WithSecrets, of the secret the
	// signature verified with, even when a later stage failed; -1 when
	// verification failed, did not run or is off.
	SecretIndex int
	// Review reports a delivery sent to its type's review handler
	// ([WithReview]): answered 200 {"status":"review"} in the synchronous
	// mode, 202 {"status":"accepted","review":true} in the durable mode.
	Review bool
	// QuarantineID names the quarantine entry the refused delivery was
	// kept in ([WithQuarantine]); "" when it was not kept.
	QuarantineID string
}

// Observer is told of each stage and of each finished request. Both
// methods are called on the request's goroutine and must be fast.
type Observer interface {
	// StartStage is called when a stage starts; it may return a derived
	// context (with a span) and must return a function called with the
	// stage's error when it ends.
	StartStage(ctx context.Context, s Stage) (context.Context, func(error))
	// Finish is called once per request, after the answer.
	Finish(ctx context.Context, o Outcome)
}

// hasBodySum reports whether d's body digest belongs to body: the very
// slice the router decoded d from, not merely an equal-length one.
func (d *Delivery) hasBodySum(body []byte) bool {
	return len(body) > 0 && len(body) == len(d.body) && &body[0] == &d.body[0]
}
