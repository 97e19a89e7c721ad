package retabtest

import (
	"encoding/json"
	"fmt"
	"net/http"

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
	content, err := contentTree(v)
	if err != nil {
		return nil, err
	}
	if err := b.annotate(content); err != nil {
		return nil, err
	}
	if b.floatInts {
		content.floatIntegers()
	}
	return content.bytes(false), nil
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
