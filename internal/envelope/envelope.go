// Package envelope decodes the body Retab POSTs to a webhook (its
// WebhookRequest): the completion, the user, the file payload and the
// metadata. It is tolerant of unknown fields and of repeated keys, as
// Retab's real output needs.
//
// A key repeated in one object, at any depth (completion, user,
// file_payload, metadata, and in the completion choices, each choice's
// message, content, ...), counting keys that differ only in case as
// repeats (encoding/json matches names case-insensitively): the last
// occurrence wins, whole. The earlier ones are ignored, as Python's json
// and JavaScript's JSON.parse do; they are not merged into it, as
// encoding/json alone would merge a repeated object, and decode a repeated
// array into the elements of the earlier one. So
// "message":{"content":"A"},"message":{} has no content, and
// "choices":[{"index":1,"message":{"content":"A"}}],"choices":[{}] has
// one choice, of index 0, without content.
//
// Decode walks the body in place (package jsonscan) and keeps slices of it
// for the large and raw parts (the file's URL, usage, likelihoods, each
// choice's content), so a document of many megabytes in file_payload.url
// is checked but never copied. Whatever that walk does not handle with
// certainty (a repeated or differently-cased known key, a value of an
// unexpected JSON type, invalid JSON) is decoded by encoding/json instead,
// which defines the result (with the rule for repeated keys above, which
// the types' UnmarshalJSON methods implement): the two agree on every input
// (see the differential and fuzz tests).
package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// Errors returned by Decode and Content.
var (
	// ErrMalformed: the body is not a JSON object of the expected shape.
	ErrMalformed = errors.New("envelope: malformed JSON")
	// ErrNoCompletion: the body has no "completion" object.
	ErrNoCompletion = errors.New("envelope: no completion")
	// ErrNoChoice: the completion has no choices.
	ErrNoChoice = errors.New("envelope: completion has no choices")
	// ErrNullContent: choices[0].message.content is null or absent.
	ErrNullContent = errors.New("envelope: content is null")
	// ErrEmptyContent: choices[0].message.content is an empty string.
	ErrEmptyContent = errors.New("envelope: content is empty")
	// ErrContentType: choices[0].message.content is neither a string nor an object.
	ErrContentType = errors.New("envelope: content is neither a JSON string nor an object")
)

// Envelope is Retab's WebhookRequest. Its raw fields may be slices of the
// decoded body: the body must not be modified while they are in use.
type Envelope struct {
	Completion  *Completion     `json:"completion"`
	User        *string         `json:"user"`
	FilePayload *FilePayload    `json:"file_payload"`
	Metadata    json.RawMessage `json:"metadata"`

	// texts are the decoded values of the choices' string contents, by
	// choice, when the scan decoded them as it read them (see Content).
	texts []contentText
	// meta is Metadata decoded by the scan, when it did (see
	// DecodedMetadata).
	meta map[string]any
}

// DecodedMetadata returns Metadata(e.Metadata) when the scan of the body
// decoded it as it read it (ok is false otherwise: decode e.Metadata).
func (e *Envelope) DecodedMetadata() (m map[string]any, ok bool) {
	return e.meta, e.meta != nil
}

// contentText is a choice's string content as decoded by the scan; ok is
// false for a choice whose content the scan did not decode.
type contentText struct {
	b  []byte
	ok bool
}

// Completion is the subset of the chat.completion object the framework
// reads; other fields are skipped.
type Completion struct {
	ID           string          `json:"id"`
	Object       string          `json:"object"`
	Created      json.Number     `json:"created"`
	Model        string          `json:"model"`
	Choices      []Choice        `json:"choices"`
	Usage        json.RawMessage `json:"usage"`
	ExtractionID string          `json:"extraction_id"`
	Likelihoods  json.RawMessage `json:"likelihoods"`
	// RequiresHumanReview is Retab's own verdict that the extraction
	// needs a person (added to the completion in 2025).
	RequiresHumanReview bool `json:"requires_human_review"`
}

// Choice is one element of completion.choices.
type Choice struct {
	Index        int     `json:"index"`
	FinishReason *string `json:"finish_reason"`
	Message      Message `json:"message"`
}

// Message is a choice's message.
type Message struct {
	// Content is kept raw: a JSON string in Retab's output, but an
	// object, null or absent are all seen in the wild.
	Content json.RawMessage `json:"content"`
}

// FilePayload is the source document. URL is the url field as decoded
// (usually a slice of the body: a data URI can be many megabytes).
type FilePayload struct {
	Filename string
	URL      []byte
}

// Decode parses a webhook body.
func Decode(body []byte) (*Envelope, error) { return DecodeRuns(body, nil, nil) }

// Room is what DecodeRuns decodes into and a caller may keep for the next
// body (in a sync.Pool): room for the contents, and the memory of the
// Envelope and of the objects it usually holds, so that a decoding
// allocates for what outlives it only (the contents, the strings, the
// metadata). The zero Room is ready.
type Room struct {
	scratch []byte
	parts   parts
}

// Release forgets the Envelope last decoded into the room, which must no
// longer be used: the room then holds no part of that body (which may be
// large) while it waits for the next. keep reports whether the room is
// worth keeping (its scratch is at most MaxRoom).
func (r *Room) Release() (keep bool) {
	r.parts = parts{}
	return cap(r.scratch) <= MaxRoom
}

// DecodeRuns is Decode with the plain runs of body recorded while it was
// read (nil: none), which the scan of a long string jumps over, and room
// to decode in (nil: made for the call). The choices' string contents are
// decoded while they are scanned, so their bytes are read once, into the
// room's scratch, then copied into one allocation of the exact size for
// all of them; the scratch is left grown, for the next call, and the
// Envelope does not refer to it (room grown past MaxRoom is the
// Envelope's instead, and the room's scratch is left empty). The
// Envelope, and the objects it usually holds, are the room's own: they
// are valid until room.Release, which the caller calls once done with
// them and before decoding into the room again.
func DecodeRuns(body []byte, runs *jsonscan.PlainRuns, room *Room) (*Envelope, error) {
	var scratch *[]byte
	all := (*parts)(nil)
	if room != nil {
		scratch, all = &room.scratch, &room.parts
	}
	env, ok := scan(body, runs, scratch, all)
	if !ok {
		var err error
		if env, err = decodeStd(body); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, jsonError(err))
		}
	}
	if env.Completion == nil {
		return nil, ErrNoCompletion
	}
	return env, nil
}

// jsonError says what encoding/json refused in terms of the JSON: which
// member has which wrong JSON type, never the Go types it was decoded
// into ("Go struct field stdEnvelope.completion of type
// envelope.Completion").
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	where := "the body"
	if te.Field != "" {
		where = strconv.Quote(te.Field)
	}
	return &typeError{msg: fmt.Sprintf("%s must be %s, not %s", where, jsonscan.KindOf(te.Type), te.Value), err: te}
}

// typeError words a *json.UnmarshalTypeError, which it wraps, in JSON
// terms.
type typeError struct {
	msg string
	err *json.UnmarshalTypeError
}

func (e *typeError) Error() string { return e.msg }
func (e *typeError) Unwrap() error { return e.err }

// stdEnvelope is the envelope as encoding/json decodes it: the definition
// of Decode's result.
type stdEnvelope struct {
	Completion  *Completion     `json:"completion"`
	User        *string         `json:"user"`
	FilePayload *stdFilePayload `json:"file_payload"`
	Metadata    json.RawMessage `json:"metadata"`
}

type stdFilePayload struct {
	Filename string `json:"filename"`
	URL      string `json:"url"`
}

// The objects' UnmarshalJSON methods make a repeated key's last occurrence
// win whole (see the package doc): each decodes into a zero value of the
// type without its method and replaces the receiver with it, where
// encoding/json alone would decode the occurrence into the earlier one.
type (
	completionFields  Completion
	choiceFields      Choice
	messageFields     Message
	filePayloadFields stdFilePayload
)

// UnmarshalJSON implements json.Unmarshaler: the value replaces *c whole.
func (c *Completion) UnmarshalJSON(b []byte) error {
	return replaceWith(b, (*completionFields)(c))
}

// UnmarshalJSON implements json.Unmarshaler: the value replaces *ch whole.
func (ch *Choice) UnmarshalJSON(b []byte) error { return replaceWith(b, (*choiceFields)(ch)) }

// UnmarshalJSON implements json.Unmarshaler: the value replaces *m whole.
func (m *Message) UnmarshalJSON(b []byte) error { return replaceWith(b, (*messageFields)(m)) }

func (fp *stdFilePayload) UnmarshalJSON(b []byte) error {
	return replaceWith(b, (*filePayloadFields)(fp))
}

// replaceWith decodes b into a zero T and stores it in *dst (null leaves
// the zero value: an earlier occurrence does not survive it).
func replaceWith[T any](b []byte, dst *T) error {
	var v T
	err := json.Unmarshal(b, &v)
	*dst = v
	return err
}

func decodeStd(body []byte) (*Envelope, error) {
	var std stdEnvelope
	if err := json.Unmarshal(body, &std); err != nil {
		return nil, err
	}
	env := &Envelope{Completion: std.Completion, User: std.User, Metadata: std.Metadata}
	if fp := std.FilePayload; fp != nil {
		env.FilePayload = &FilePayload{Filename: fp.Filename, URL: []byte(fp.URL)}
	}
	return env, nil
}

// Content is the Completion's Content(i), with the string decoded by the
// scan when it was (the same bytes, read once).
func (e *Envelope) Content(i int) ([]byte, error) {
	if i < len(e.texts) && e.texts[i].ok && i < len(e.Completion.Choices) {
		return nonEmpty(e.texts[i].b)
	}
	return e.Completion.Content(i)
}

// Content returns the extracted object of choice i as JSON bytes: the
// decoded string when content is a JSON string, the raw value when it is an
// object.
func (c *Completion) Content(i int) ([]byte, error) {
	if i >= len(c.Choices) {
		return nil, ErrNoChoice
	}
	raw := bytes.TrimSpace(c.Choices[i].Message.Content)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, ErrNullContent
	case raw[0] == '{':
		return raw, nil
	case raw[0] != '"':
		return nil, ErrContentType
	}
	s, end, ok := jsonscan.AppendString(make([]byte, 0, len(raw)), raw, 0)
	if !ok || end != len(raw) {
		return nil, fmt.Errorf("%w: content is not a valid JSON string", ErrMalformed)
	}
	return nonEmpty(s)
}

// nonEmpty is a decoded string content, which must hold more than
// whitespace.
func nonEmpty(s []byte) ([]byte, error) {
	if len(bytes.TrimSpace(s)) == 0 {
		return nil, ErrEmptyContent
	}
	return s, nil
}

// HasKey reports whether body is a JSON object with the top-level key
// name (spelled exactly; an escaped key is decoded first).
func HasKey(body []byte, name string) bool {
	i := jsonscan.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	found := false
	jsonscan.Object(body, i, func(start, end int, flags jsonscan.StringFlags, v int) (int, bool) {
		key := body[start+1 : end-1]
		if flags&jsonscan.Escaped != 0 {
			key = jsonscan.Unquote(nil, body[start:end])
		}
		if string(key) == name {
			found = true
			return v, false
		}
		return jsonscan.Skip(body, v)
	})
	return found
}
