package retabtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/retabhook/retabhook/framework"
)

// NewEndNodeDelivery builds a signed workflow End-node webhook whose
// extracted object is v (a Go value, or JSON text as a json.RawMessage):
// {"document": {"filename", "url"}, "data": v}, signed as the End-node is,
// plain hex HMAC-SHA256 of the body, in [LegacySignatureHeader]
// ("Retab-Signature", the header the End-node's docs name) unless
// [WithSignatureHeader] says otherwise. The options that apply: the
// signature ones ([WithSecret], [WithWrongSignature], [WithoutSignature],
// [WithSignatureHeader]), [WithFile] and [WithFileURL] (the document),
// [WithoutFile] (document null), [WithReasoning] and [WithAnnotation],
// [WithIntegersAsFloats], and [WithNullContent] (data null).
func NewEndNodeDelivery(v any, opts ...Option) (*Delivery, error) {
	b := newBuilder(opts)
	if !b.headerSet {
		b.header = LegacySignatureHeader
	}
	data, err := b.contentBytes(v)
	if err != nil {
		return nil, err
	}
	var doc *filePayload
	if !b.noFile {
		file, err := b.file()
		if err != nil {
			return nil, err
		}
		doc = &filePayload{Filename: file.name, URL: file.url}
	}
	body, err := marshal(struct {
		Document *filePayload    `json:"document"`
		Data     json.RawMessage `json:"data"`
	}{doc, data})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrContent, err)
	}
	return b.signHex(body), nil
}

// WithoutFile sends no document: an End-node's document null. Default: a
// document (see [WithFile]).
func WithoutFile() Option { return func(b *builder) { b.noFile = true } }

// newBuilder applies the options over the defaults.
func newBuilder(opts []Option) *builder {
	b := &builder{secret: Secret, header: SignatureHeader, model: DefaultModel}
	for _, o := range opts {
		o(b)
	}
	return b
}

// contentBytes is v as the JSON of an extracted object, with the
// annotation and number options applied (null under WithNullContent).
func (b *builder) contentBytes(v any) (json.RawMessage, error) {
	if b.nullContent {
		return json.RawMessage("null"), nil
	}
	content, err := b.content(v)
	if err != nil {
		return nil, err
	}
	return compact(content), nil
}

// signHex returns the delivery of body with the plain hex signature the
// options ask for.
func (b *builder) signHex(body []byte) *Delivery {
	d := &Delivery{Body: body, Header: http.Header{"Content-Type": {"application/json"}}}
	if !b.unsigned {
		d.Header.Set(b.header, framework.Sign(b.signingSecret(), body))
	}
	return d
}

// signingSecret is the secret the options sign with (a wrong one under
// WithWrongSignature).
func (b *builder) signingSecret() string {
	if b.wrongSig {
		return "not-" + b.secret
	}
	return b.secret
}

// DefaultEnvironment is the environment events name unless
// [WithEnvironment] says otherwise.
const DefaultEnvironment = framework.EnvironmentTest

// ExtractionEventType is the event type [NewExtractionEvent] sends. Retab
// documents only workflow.run.completed; this name is a guess.
const ExtractionEventType = "extraction.completed"

// WithEnvironment sets an event's environment, in its body and in its
// X-Retab-Environment header. Default: [DefaultEnvironment].
func WithEnvironment(env string) Option {
	return func(b *builder) { b.env = env }
}

// WithHeaderEnvironment sends X-Retab-Environment: env whatever the body
// says ("" sends no header): the wrong-environment case, refused 401
// framework.ErrEnvironmentMismatch. Default: the body's environment.
func WithHeaderEnvironment(env string) Option {
	return func(b *builder) { b.headerEnv = &env }
}

// WithSignedAt sets an event signature's timestamp t. Default: the time
// the delivery is built.
func WithSignedAt(t time.Time) Option { return func(b *builder) { b.signedAt = t } }

// WithExpiredSignature signs an event 6 minutes in the past, beyond the
// default tolerance (401, reason "expired"). Default: now.
func WithExpiredSignature() Option {
	return func(b *builder) { b.signedAt = time.Now().Add(-framework.DefaultTimestampTolerance - time.Minute) }
}

// WithFutureSignature signs an event 6 minutes in the future, beyond the
// default tolerance (401, reason "future"). Default: now.
func WithFutureSignature() Option {
	return func(b *builder) { b.signedAt = time.Now().Add(framework.DefaultTimestampTolerance + time.Minute) }
}

// WithFormula sets what an event's v1 is computed over:
// framework.FormulaTimestamped (t + "." + body) or framework.FormulaBody.
// Default: framework.FormulaTimestamped, the router's default.
func WithFormula(f framework.Formula) Option { return func(b *builder) { b.formula = f } }

// WithAlsoSignedBy adds one v1 per secret to an event's signature header,
// after the one of [WithSecret], as a sender in the middle of a rotation
// does. Default: one v1.
func WithAlsoSignedBy(secrets ...string) Option {
	return func(b *builder) { b.extraSecrets = append(b.extraSecrets, secrets...) }
}

// WithEventID sets an event's id. Default: "evt_" and a digest of the type
// and data, so the same event built twice is one event (a retry).
func WithEventID(id string) Option { return func(b *builder) { b.eventID = id } }

// NewEvent builds a signed event envelope: {"id", "type": eventType,
// "environment", "organization_id", "created_at", "data": data} (data a
// Go value, or JSON text as a json.RawMessage), with X-Retab-Environment
// and the timestamped signature "t=<unix>,v1=<hex>" in X-Retab-Signature.
// Options: [WithEnvironment], [WithHeaderEnvironment], [WithSignedAt],
// [WithExpiredSignature], [WithFutureSignature], [WithFormula],
// [WithAlsoSignedBy], [WithEventID], [WithCreated], and the signature ones
// ([WithSecret], [WithWrongSignature], [WithoutSignature],
// [WithSignatureHeader]).
func NewEvent(eventType string, data any, opts ...Option) (*Delivery, error) {
	b := newBuilder(opts)
	raw, err := jsonOf(data)
	if err != nil {
		return nil, err
	}
	return b.event(eventType, raw)
}

// NewExtractionEvent builds a signed event (type [ExtractionEventType])
// whose data is an extraction, in the shape of Retab's Extraction model
// (an inference): {"id", "file", "model", "output": v, "status",
// "consensus": {"likelihoods"}, "metadata"}. The options of [NewEvent]
// apply, and [WithModel], [WithFile] (file name and media type; no bytes
// travel), [WithMetadata], [WithLikelihoods], [WithReasoning] and
// [WithAnnotation].
func NewExtractionEvent(v any, opts ...Option) (*Delivery, error) {
	b := newBuilder(opts)
	output, err := b.contentBytes(v)
	if err != nil {
		return nil, err
	}
	name, mime := "document.pdf", "application/pdf"
	if b.fileSet || b.urlSet {
		name, mime = b.filename, MIMEType(b.filename, b.fileData)
	}
	type file struct {
		ID       string `json:"id"`
		Filename string `json:"filename"`
		MIMEType string `json:"mime_type"`
	}
	type consensus struct {
		Likelihoods json.RawMessage `json:"likelihoods"`
	}
	x := struct {
		ID        string          `json:"id"`
		File      file            `json:"file"`
		Model     string          `json:"model"`
		Output    json.RawMessage `json:"output"`
		Status    string          `json:"status"`
		Error     *string         `json:"error"`
		Consensus *consensus      `json:"consensus,omitempty"`
		Metadata  map[string]any  `json:"metadata"`
	}{
		ID:     "extr_" + digest(12, string(output)),
		File:   file{ID: "file_" + digest(8, name), Filename: name, MIMEType: mime},
		Model:  b.model,
		Output: output,
		Status: "completed",
	}
	if b.likelihoods != nil {
		x.Consensus = &consensus{Likelihoods: b.likelihoods}
	}
	if b.metadata != nil {
		x.Metadata = b.metadata
	}
	raw, err := marshal(x)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrContent, err)
	}
	return b.event(ExtractionEventType, raw)
}

// jsonOf is a value as JSON, kept as is when it already is JSON text.
func jsonOf(v any) (json.RawMessage, error) {
	switch x := v.(type) {
	case json.RawMessage:
		return x, nil
	case []byte:
		return x, nil
	}
	raw, err := marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrContent, err)
	}
	return raw, nil
}

// event builds and signs the envelope of an event.
func (b *builder) event(eventType string, data json.RawMessage) (*Delivery, error) {
	env := b.env
	if env == "" {
		env = DefaultEnvironment
	}
	id := b.eventID
	if id == "" {
		id = "evt_" + digest(26, eventType, env, string(data))
	}
	created := b.created
	if created.IsZero() {
		created = time.Unix(DefaultCreated, 0).UTC()
	}
	body, err := marshal(struct {
		ID             string          `json:"id"`
		Type           string          `json:"type"`
		Environment    string          `json:"environment"`
		OrganizationID string          `json:"organization_id"`
		CreatedAt      string          `json:"created_at"`
		Data           json.RawMessage `json:"data"`
	}{id, eventType, env, "org_retabtest", created.Format(time.RFC3339), data})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrContent, err)
	}
	d := &Delivery{Body: body, Header: http.Header{"Content-Type": {"application/json"}}}
	headerEnv := env
	if b.headerEnv != nil {
		headerEnv = *b.headerEnv
	}
	if headerEnv != "" {
		d.Header.Set(framework.EnvironmentHeader, headerEnv)
	}
	if b.unsigned {
		return d, nil
	}
	at := b.signedAt
	if at.IsZero() {
		at = time.Now()
	}
	sig := framework.SignTimestamped(b.signingSecret(), at, body, b.formula)
	for _, s := range b.extraSecrets {
		extra := framework.SignTimestamped(s, at, body, b.formula)
		sig += extra[strings.Index(extra, ",v1="):]
	}
	d.Header.Set(b.header, sig)
	return d, nil
}

// NewAPICall builds the request a workflow's API Call block sends: the
// body is v as JSON (a Go value, or JSON text as a json.RawMessage), with
// "Authorization: Bearer <token>" (no token: no header). Serve it to a
// router built with framework.WithAPICallToken.
func NewAPICall(v any, token string) (*Delivery, error) {
	body, err := jsonOf(v)
	if err != nil {
		return nil, err
	}
	d := &Delivery{Body: body, Header: http.Header{"Content-Type": {"application/json"}}}
	if token != "" {
		d.Header.Set("Authorization", "Bearer "+token)
	}
	return d, nil
}
