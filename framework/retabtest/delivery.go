package retabtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/jsonpointer"
	"github.com/retabhook/retabhook/internal/jsontree"
	"github.com/retabhook/retabhook/schemas"
)

// Secret is the secret deliveries are signed with unless [WithSecret] says
// otherwise. Give it to the router under test:
// framework.WithSecrets(retabtest.Secret).
const Secret = "whsec_retabtest"

// Signature header names. Retab sends [SignatureHeader] today; older
// automations sent [LegacySignatureHeader].
const (
	SignatureHeader       = "X-Retab-Signature"
	LegacySignatureHeader = "Retab-Signature"
)

// DefaultModel is the model a delivery names unless [WithModel] says
// otherwise.
const DefaultModel = "gpt-4.1-2025-04-14"

// DefaultCreated is the completion's creation time, in Unix seconds,
// unless [WithCreated] says otherwise: 2025-08-01T09:15:48Z, the time of
// Retab's quick-start sample, so that a delivery built twice from the same
// inputs is the same bytes.
const DefaultCreated int64 = 1754039748

// ErrContent is wrapped by [NewDelivery]'s errors about the extracted
// value: it does not marshal to JSON (or its JSON text is not valid JSON
// in UTF-8), or an option refers to a field the value does not have.
var ErrContent = errors.New("retabtest: content")

// Delivery is a signed webhook delivery: the exact bytes Retab would POST
// and the headers it would send with them. Change Body after it is built
// and the signature no longer matches, as a tampered request would.
type Delivery struct {
	// Body is the WebhookRequest JSON: completion, user, file_payload,
	// metadata.
	Body []byte
	// Header holds Content-Type and the signature header.
	Header http.Header
}

// Request returns a server-side request for the delivery, as
// httptest.NewRequest builds it, to hand to an http.Handler. The target
// is a path such as "/webhook" or "/webhook/invoice"; it panics on a
// malformed target, as httptest.NewRequest does.
func (d *Delivery) Request(target string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(d.Body))
	for k, vs := range d.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	return req
}

// NewRequest returns a client request that POSTs the delivery to url, for
// an http.Client. It can be re-sent (GetBody is set).
func (d *Delivery) NewRequest(ctx context.Context, url string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		return nil, err
	}
	for k, vs := range d.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	return req, nil
}

// Signed returns a delivery of body, signed with secret in the
// X-Retab-Signature header: how to re-send a body captured earlier. The
// arguments are in the order of framework.Sign.
func Signed(secret string, body []byte) *Delivery {
	return &Delivery{Body: body, Header: http.Header{
		"Content-Type":  {"application/json"},
		SignatureHeader: {framework.Sign(secret, body)},
	}}
}

// Option configures [NewDelivery].
type Option func(*builder)

type annotation struct {
	prefix, pointer string
	value           any
}

type builder struct {
	secret      string
	header      string
	wrongSig    bool
	unsigned    bool
	model       string
	created     time.Time
	id          string
	user        *string
	metadata    map[string]any
	filename    string
	fileURL     string
	fileData    []byte
	fileSet     bool
	urlSet      bool
	agreeing    int
	votes       []any
	floatInts   bool
	nullContent bool
	text        *string
	likelihoods json.RawMessage
	humanReview bool
	annotations []annotation
	repeatCost  bool
	headerSet   bool
	noFile      bool

	env          string
	headerEnv    *string
	signedAt     time.Time
	formula      framework.Formula
	extraSecrets []string
	eventID      string
}

// WithSecret signs with secret. Default: [Secret].
func WithSecret(secret string) Option { return func(b *builder) { b.secret = secret } }

// WithWrongSignature signs with a secret other than the configured one, so
// that the router answers 401 (framework.ErrInvalidSignature). Default:
// the signature is right.
func WithWrongSignature() Option { return func(b *builder) { b.wrongSig = true } }

// WithoutSignature sends no signature header, so that the router answers
// 401 (framework.ErrMissingSignature). Default: the header is sent.
func WithoutSignature() Option { return func(b *builder) { b.unsigned = true } }

// WithSignatureHeader sends the signature in the named header. Default:
// [SignatureHeader]; [LegacySignatureHeader] reproduces older automations.
func WithSignatureHeader(name string) Option {
	return func(b *builder) { b.header, b.headerSet = name, true }
}

// WithModel names the model. Default: [DefaultModel].
func WithModel(model string) Option { return func(b *builder) { b.model = model } }

// WithCreated sets the completion's creation time; the request, first
// and last token times follow it. Default: [DefaultCreated].
func WithCreated(t time.Time) Option { return func(b *builder) { b.created = t.UTC() } }

// WithCompletionID sets completion.id (the extraction id is derived from
// it). Default: derived from the content, model and time, so the same
// inputs give the same body, as a Retab rerun does; give distinct ids to
// make otherwise equal deliveries distinct.
func WithCompletionID(id string) Option { return func(b *builder) { b.id = id } }

// WithUser sets the envelope's user. Default: null.
func WithUser(user string) Option { return func(b *builder) { b.user = &user } }

// WithMetadata sets the envelope's metadata object. Default: null.
func WithMetadata(m map[string]any) Option { return func(b *builder) { b.metadata = m } }

// WithFile sets the source document: file_payload gets filename and a
// base64 data URI of data with the media type [MIMEType] finds. Default:
// "document.pdf", a one-page [PDF].
func WithFile(filename string, data []byte) Option {
	return func(b *builder) {
		b.filename, b.fileData, b.fileSet, b.urlSet = filename, data, true, false
	}
}

// WithFileURL sets file_payload to filename and a URL as is (a URL that is
// not a data URI carries no bytes: framework.File.Data fails with
// framework.ErrNoFileData). Default: see [WithFile].
func WithFileURL(filename, url string) Option {
	return func(b *builder) {
		b.filename, b.fileURL, b.urlSet, b.fileSet = filename, url, true, false
	}
}

// WithConsensus adds n choices that agree with choice 0, as Retab's
// consensus does (choice 0 is the consolidated answer, each later choice
// one model call). Combine with [WithVote] for dissent. Default: one
// choice.
func WithConsensus(n int) Option { return func(b *builder) { b.agreeing += n } }

// WithVote adds one choice holding v (a Go value, or JSON text as a
// json.RawMessage) as a model call that disagrees with choice 0; the
// likelihoods of the fields it disagrees on drop accordingly.
func WithVote(v any) Option { return func(b *builder) { b.votes = append(b.votes, v) } }

// WithLikelihoods sets completion.likelihoods as given (for example
// json.RawMessage("{}"), what Retab sends without consensus). Default: the
// content's shape with, at each leaf field, the share of the consensus
// choices that agree with choice 0 (1.0 without consensus).
func WithLikelihoods(l json.RawMessage) Option { return func(b *builder) { b.likelihoods = l } }

// WithRequiresHumanReview sets the completion's requires_human_review to
// true, as Retab does for an extraction it wants a person to check.
// Default: the key is absent.
func WithRequiresHumanReview() Option { return func(b *builder) { b.humanReview = true } }

// WithIntegersAsFloats writes every integer of the content as a float
// (3 as 3.0), as Retab's strict schemas (integer turned into number) make
// the model do. Default: numbers as given.
func WithIntegersAsFloats() Option { return func(b *builder) { b.floatInts = true } }

// WithReasoning adds the reasoning___ key that X-ReasoningPrompt makes the
// model write for the field at pointer: reasoning___<field> next to the
// field, reasoning___item inside an array item ("/line_items/0"),
// reasoning___root in the root object (""). Default: none.
func WithReasoning(pointer, text string) Option {
	return WithAnnotation(schemas.ReasoningPrefix, pointer, text)
}

// WithAnnotation adds an annotation key (schemas.ReasoningPrefix,
// schemas.SourcePrefix or schemas.QuotePrefix) for the field at pointer,
// placed as [WithReasoning] places reasoning. Default: none.
func WithAnnotation(prefix, pointer string, value any) Option {
	return func(b *builder) { b.annotations = append(b.annotations, annotation{prefix, pointer, value}) }
}

// WithNullContent sends choice 0's message.content as null (the router
// answers 422 framework.ErrNoContent). Default: the content.
func WithNullContent() Option { return func(b *builder) { b.nullContent = true } }

// WithContentText sends text as choice 0's message.content string as is,
// JSON or not: "" or "not json" reproduce empty and broken extractions.
// Default: the content.
func WithContentText(text string) Option { return func(b *builder) { b.text = &text } }

// WithRepeatedAPICost writes completion.api_cost twice, as real Retab
// output has done. Default: once.
func WithRepeatedAPICost() Option { return func(b *builder) { b.repeatCost = true } }

// NewDelivery builds a complete, signed delivery whose extracted object is
// v: a Go value (an Invoice{...}), or the content's JSON text as a
// json.RawMessage or []byte, kept as written (key order, a repeated key,
// 3.0); JSON text that is not valid UTF-8 is refused with [ErrContent],
// as Retab's content is always Unicode.
//
// The body is what Retab sends: a chat.completion with id, model,
// created, choices (message.content is the object as a JSON string,
// written the way Python's json.dumps writes it, and message.parsed the
// object), usage, extraction_id, likelihoods, request/first/last token
// times and api_cost; a file_payload with the document as a base64 data
// URI; user and metadata. Usage and cost are plausible figures derived
// from the sizes, not Retab's accounting. The same inputs give the same
// bytes.
func NewDelivery(v any, opts ...Option) (*Delivery, error) {
	b := newBuilder(append([]Option{WithCreated(time.Unix(DefaultCreated, 0))}, opts...))
	content, err := b.content(v)
	if err != nil {
		return nil, err
	}

	votes := make([]*node, 0, b.agreeing+len(b.votes))
	for range b.agreeing {
		votes = append(votes, content)
	}
	for i, v := range b.votes {
		t, err := contentTree(v)
		if err != nil {
			return nil, fmt.Errorf("WithVote %d: %w", i, err)
		}
		if b.floatInts {
			floatIntegers(t)
		}
		votes = append(votes, t)
	}

	file, err := b.file()
	if err != nil {
		return nil, err
	}
	c := b.completion(content, votes, len(file.data))
	cjson, err := marshal(c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrContent, err)
	}
	if b.repeatCost {
		cost, _ := marshal(c.APICost)
		cjson = append(cjson[:len(cjson)-1], append(append([]byte(`,"api_cost":`), cost...), '}')...)
	}
	body, err := marshal(envelope{
		Completion:  cjson,
		User:        b.user,
		FilePayload: filePayload{Filename: file.name, URL: file.url},
		Metadata:    b.metadata,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: metadata: %w", ErrContent, err)
	}

	return b.signHex(body), nil
}

// content is v as the extracted object's JSON tree, with the annotation
// and number options applied.
func (b *builder) content(v any) (*node, error) {
	content, err := contentTree(v)
	if err != nil {
		return nil, err
	}
	if err := b.annotate(content); err != nil {
		return nil, err
	}
	if b.floatInts {
		floatIntegers(content)
	}
	return content, nil
}

// contentTree turns the value given for a choice into a JSON tree.
func contentTree(v any) (*node, error) {
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	default:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return nil, fmt.Errorf("%w: %T does not marshal to JSON: %w", ErrContent, v, err)
		}
		raw = buf.Bytes()
	}
	t, err := parseTree(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: not valid JSON: %w", ErrContent, err)
	}
	return t, nil
}

func (b *builder) annotate(root *node) error {
	for _, a := range b.annotations {
		raw, err := json.Marshal(a.value)
		if err != nil {
			return fmt.Errorf("%w: annotation %s%q: %w", ErrContent, a.prefix, a.pointer, err)
		}
		val, err := parseTree(raw)
		if err != nil {
			return fmt.Errorf("%w: annotation %s%q: %w", ErrContent, a.prefix, a.pointer, err)
		}
		if err := place(root, a.prefix, a.pointer, val); err != nil {
			return fmt.Errorf("%w: annotation %s at %q: %w", ErrContent, a.prefix, a.pointer, err)
		}
	}
	return nil
}

// place puts an annotation for the field at pointer where Retab's model
// writes it.
func place(root *node, prefix, pointer string, val *node) error {
	if pointer == "" {
		if root.Kind != jsontree.Object {
			return errors.New("the content is not an object")
		}
		root.InsertBefore("", prefix+"root", val)
		return nil
	}
	if !strings.HasPrefix(pointer, "/") {
		return errors.New("not a JSON Pointer (it must start with /)")
	}
	toks := strings.Split(pointer[1:], "/")
	for i, t := range toks {
		toks[i] = jsonpointer.Unescape(t)
	}
	parent := root
	for _, t := range toks[:len(toks)-1] {
		if parent = child(parent, t); parent == nil {
			return errors.New("no such field in the content")
		}
	}
	last := toks[len(toks)-1]
	target := child(parent, last)
	switch {
	case target == nil:
		return errors.New("no such field in the content")
	case parent.Kind == jsontree.Array:
		if target.Kind != jsontree.Object {
			return errors.New("an array item gets reasoning___item only when it is an object")
		}
		target.InsertBefore("", prefix+"item", val)
	default:
		parent.InsertBefore(last, prefix+last, val)
	}
	return nil
}

func child(n *node, tok string) *node {
	switch n.Kind {
	case jsontree.Object:
		return n.Get(tok)
	case jsontree.Array:
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 || i >= len(n.Elems) || strconv.Itoa(i) != tok {
			return nil
		}
		return n.Elems[i]
	}
	return nil
}

func isAnnotationKey(k string) bool {
	for _, p := range [...]string{schemas.ReasoningPrefix, schemas.SourcePrefix, schemas.QuotePrefix} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

type fileData struct {
	name, url string
	data      []byte
}

func (b *builder) file() (fileData, error) {
	switch {
	case b.urlSet:
		return fileData{name: b.filename, url: b.fileURL}, nil
	case b.fileSet:
		return fileData{name: b.filename, url: DataURI(MIMEType(b.filename, b.fileData), b.fileData), data: b.fileData}, nil
	}
	data := PDF("retabtest document")
	return fileData{name: "document.pdf", url: DataURI("application/pdf", data), data: data}, nil
}

// The wire shapes, in the order Retab writes the keys.
type (
	envelope struct {
		Completion  json.RawMessage `json:"completion"`
		User        *string         `json:"user"`
		FilePayload filePayload     `json:"file_payload"`
		Metadata    map[string]any  `json:"metadata"`
	}
	filePayload struct {
		Filename string `json:"filename"`
		URL      string `json:"url"`
	}
	completion struct {
		ID                    string          `json:"id"`
		Choices               []choice        `json:"choices"`
		Created               int64           `json:"created"`
		Model                 string          `json:"model"`
		Object                string          `json:"object"`
		ServiceTier           *string         `json:"service_tier"`
		SystemFingerprint     *string         `json:"system_fingerprint"`
		Usage                 usage           `json:"usage"`
		ExtractionID          string          `json:"extraction_id"`
		Likelihoods           json.RawMessage `json:"likelihoods"`
		SchemaValidationError *struct{}       `json:"schema_validation_error"`
		RequiresHumanReview   *bool           `json:"requires_human_review,omitempty"`
		RequestAt             string          `json:"request_at"`
		FirstTokenAt          string          `json:"first_token_at"`
		LastTokenAt           string          `json:"last_token_at"`
		APICost               apiCost         `json:"api_cost"`
	}
	choice struct {
		FinishReason   string    `json:"finish_reason"`
		Index          int       `json:"index"`
		Logprobs       *struct{} `json:"logprobs"`
		Message        message   `json:"message"`
		FieldLocations *struct{} `json:"field_locations"`
		KeyMapping     *struct{} `json:"key_mapping"`
	}
	message struct {
		Content      json.RawMessage `json:"content"`
		Refusal      *string         `json:"refusal"`
		Role         string          `json:"role"`
		Annotations  *struct{}       `json:"annotations"`
		Audio        *struct{}       `json:"audio"`
		FunctionCall *struct{}       `json:"function_call"`
		ToolCalls    *struct{}       `json:"tool_calls"`
		Parsed       json.RawMessage `json:"parsed"`
	}
	usage struct {
		CompletionTokens        int            `json:"completion_tokens"`
		PromptTokens            int            `json:"prompt_tokens"`
		TotalTokens             int            `json:"total_tokens"`
		CompletionTokensDetails map[string]int `json:"completion_tokens_details"`
		PromptTokensDetails     map[string]int `json:"prompt_tokens_details"`
	}
	apiCost struct {
		Value    float64 `json:"value"`
		Currency string  `json:"currency"`
	}
)

func (b *builder) completion(content *node, votes []*node, fileSize int) *completion {
	c0 := choice{FinishReason: "stop", Message: message{Role: "assistant"}}
	switch {
	case b.nullContent:
		c0.Message.Content, c0.Message.Parsed = json.RawMessage("null"), json.RawMessage("null")
	case b.text != nil:
		c0.Message.Content, c0.Message.Parsed = jsonString(*b.text), json.RawMessage("null")
	default:
		c0.Message.Content, c0.Message.Parsed = jsonString(string(pythonText(content))), compact(content)
	}
	choices := []choice{c0}
	completionTokens := 0
	for i, v := range votes {
		text := string(pythonText(v))
		completionTokens += tokens(len(text))
		choices = append(choices, choice{FinishReason: "stop", Index: i + 1, Message: message{
			Role: "assistant", Content: jsonString(text), Parsed: compact(v),
		}})
	}
	calls := max(1, len(votes))
	if len(votes) == 0 {
		completionTokens = tokens(len(c0.Message.Content))
	}
	// A page costs a model about a thousand tokens; the prompt and schema
	// some hundreds more.
	promptTokens := calls * (600 + 1000*max(1, fileSize/50_000))

	lk := b.likelihoods
	if lk == nil {
		if b.nullContent || b.text != nil {
			lk = json.RawMessage("{}")
		} else {
			lk = compact(likelihoods(content, votes))
		}
	}

	id := b.id
	if id == "" {
		id = "chatcmpl-" + digest(29, b.model, strconv.FormatInt(b.created.Unix(), 10), string(compact(content)))
	}
	requestAt := b.created.Add(203402 * time.Microsecond)
	firstToken := requestAt.Add(870884 * time.Microsecond)
	lastToken := firstToken.Add(time.Duration(completionTokens/calls) * 5 * time.Millisecond)
	const layout = "2006-01-02T15:04:05.000000Z"
	var humanReview *bool
	if b.humanReview {
		humanReview = &b.humanReview
	}
	return &completion{
		RequiresHumanReview: humanReview,
		ID:                  id,
		Choices:             choices,
		Created:             b.created.Unix(),
		Model:               b.model,
		Object:              "chat.completion",
		ExtractionID:        "extr_" + digest(21, id),
		Usage: usage{
			CompletionTokens: completionTokens,
			PromptTokens:     promptTokens,
			TotalTokens:      completionTokens + promptTokens,
			CompletionTokensDetails: map[string]int{
				"accepted_prediction_tokens": 0, "audio_tokens": 0, "reasoning_tokens": 0, "rejected_prediction_tokens": 0,
			},
			PromptTokensDetails: map[string]int{"audio_tokens": 0, "cached_tokens": 0},
		},
		Likelihoods:  lk,
		RequestAt:    requestAt.Format(layout),
		FirstTokenAt: firstToken.Format(layout),
		LastTokenAt:  lastToken.Format(layout),
		// gpt-4.1 list prices: $2 per million prompt tokens, $8 per million
		// completion tokens.
		APICost: apiCost{
			Value:    math.Round((float64(promptTokens)*2 + float64(completionTokens)*8)) / 1e6,
			Currency: "USD",
		},
	}
}

// tokens estimates the tokens of n bytes of JSON text (about four bytes a
// token).
func tokens(n int) int { return (n + 3) / 4 }

// digest returns n URL-safe characters derived from parts.
func digest(n int, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	s := base64.RawURLEncoding.EncodeToString(h.Sum(nil))
	s = strings.NewReplacer("-", "x", "_", "y").Replace(s)
	return s[:n]
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
