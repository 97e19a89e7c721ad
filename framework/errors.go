package framework

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/retabhook/retabhook/internal/printable"
	"github.com/retabhook/retabhook/schemas"
)

// Problem is the kind of every error the router answers with: each
// sentinel below is a *Problem, and every error the pipeline produces wraps
// exactly one of them, so [StatusOf] and errors.Is work on all of them.
type Problem struct {
	// Slug names the problem; the problem document's type is
	// "urn:retabhook:problem:" + Slug.
	Slug string
	// Title is the short human-readable summary.
	Title string
	// Status is the HTTP status code.
	Status int
}

// Error implements error.
func (p *Problem) Error() string { return "retabhook: " + strings.ToLower(p.Title) }

// Type returns the RFC 9457 problem type URI.
func (p *Problem) Type() string { return "urn:retabhook:problem:" + p.Slug }

// The pipeline's errors, in the order the pipeline can produce them.
var (
	ErrMethodNotAllowed     = &Problem{"method-not-allowed", "Method not allowed", http.StatusMethodNotAllowed}
	ErrUnsupportedMediaType = &Problem{"unsupported-media-type", "Unsupported media type", http.StatusUnsupportedMediaType}
	ErrBodyTooLarge         = &Problem{"body-too-large", "Body too large", http.StatusRequestEntityTooLarge}
	ErrBodyRead             = &Problem{"body-read", "Body could not be read", http.StatusBadRequest}
	ErrMissingSignature     = &Problem{"missing-signature", "Missing signature", http.StatusUnauthorized}
	ErrInvalidSignature     = &Problem{"invalid-signature", "Invalid signature", http.StatusUnauthorized}
	ErrMalformedEnvelope    = &Problem{"malformed-envelope", "Malformed envelope", http.StatusBadRequest}
	ErrMissingCompletion    = &Problem{"missing-completion", "Missing completion", http.StatusBadRequest}
	ErrNoContent            = &Problem{"no-content", "No extracted content", http.StatusUnprocessableEntity}
	ErrInvalidContent       = &Problem{"invalid-content", "Extracted content is not JSON", http.StatusUnprocessableEntity}
	ErrRepeatedKey          = &Problem{"repeated-key", "Extracted content repeats a key", http.StatusUnprocessableEntity}
	ErrNoRoute              = &Problem{"no-route", "No registered type matches", http.StatusUnprocessableEntity}
	ErrAmbiguousRoute       = &Problem{"ambiguous-route", "Several registered types match", http.StatusUnprocessableEntity}
	ErrUnknownKind          = &Problem{"unknown-kind", "Unknown kind", http.StatusUnprocessableEntity}
	ErrSchemaViolation      = &Problem{"schema-violation", "Content does not match the schema", http.StatusUnprocessableEntity}
	ErrRuleViolation        = &Problem{"rule-violation", "Content breaks a validate rule", http.StatusUnprocessableEntity}
	ErrRejected             = &Problem{"rejected", "The handler rejected the delivery", http.StatusUnprocessableEntity}
	ErrHandler              = &Problem{"handler-failed", "Handler failed", http.StatusInternalServerError}
	ErrPanic                = &Problem{"handler-panicked", "Handler panicked", http.StatusInternalServerError}
)

// MaxViolations is the most violations a [ViolationError] holds, and so
// the most a problem document and a log line list: content with 60,000
// wrong line items is answered with the first 100 and the count of the
// others ([ViolationError.Omitted]), not with megabytes.
const MaxViolations = 100

// maxViolationText bounds a violation's pointer and message: a pointer
// names members of the content, which may be as long as the body.
const maxViolationText = 512

// ViolationError reports content that fails the JSON Schema
// ([ErrSchemaViolation]) or a `validate` rule ([ErrRuleViolation]) of the
// type it was routed to. Build it with [NewViolationError].
type ViolationError struct {
	Kind string
	// Violations holds at most MaxViolations, sorted by pointer
	// (schemas.CompareViolations) when the router built it: the schema's,
	// the decoding's and the validate rules' together; each pointer and
	// message is cut to 512 bytes.
	Violations []schemas.Violation
	// Omitted counts the violations beyond Violations.
	Omitted int
	// Matches lists, when the delivery named its kind (a path's {kind},
	// metadata) and that kind's schema refused the content, the other
	// registered kinds whose schema the content does match: the delivery
	// was most likely sent to the wrong kind. The problem document's
	// candidates and the text list at most [MaxListedKinds].
	Matches []string
	Err     *Problem // ErrSchemaViolation, ErrRuleViolation or ErrRepeatedKey
}

// NewViolationError returns the ViolationError of kind for vs, keeping
// the first [MaxViolations] (each pointer and message cut to 512 bytes)
// and counting the rest in Omitted. vs is not modified.
func NewViolationError(kind string, vs []schemas.Violation, p *Problem) *ViolationError {
	e := &ViolationError{Kind: kind, Err: p}
	if len(vs) > MaxViolations {
		e.Omitted = len(vs) - MaxViolations
		vs = vs[:MaxViolations]
	}
	e.Violations = make([]schemas.Violation, len(vs))
	for i, v := range vs {
		v.Pointer = cutText(v.Pointer)
		v.Message = cutText(v.Message)
		v.Keyword = cutText(v.Keyword)
		e.Violations[i] = v
	}
	return e
}

func cutText(s string) string { return printable.Bound(s, maxViolationText) }

// Total returns the number of violations found: those held and those
// omitted.
func (e *ViolationError) Total() int { return len(e.Violations) + e.Omitted }

// Error implements error.
func (e *ViolationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %s: %d violation(s)", e.Err, e.Kind, e.Total())
	for i, v := range e.Violations {
		if i == 3 {
			b.WriteString("; ...")
			break
		}
		fmt.Fprintf(&b, "; %s: %s", pointerOrRoot(v.Pointer), v.Message)
	}
	if len(e.Matches) > 0 {
		b.WriteString("; the content matches the registered kind " + quoteKinds(e.Matches) + " instead")
	}
	return b.String()
}

// Unwrap returns the sentinel.
func (e *ViolationError) Unwrap() error { return e.Err }

func pointerOrRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// RouteError reports a delivery that could not be routed to exactly one
// registered type: [ErrNoRoute], [ErrAmbiguousRoute] (Candidates lists the
// kinds that matched) or [ErrUnknownKind] (Kind names what was asked for,
// Registered the kinds there are, and Candidates those whose schema the
// content matches).
type RouteError struct {
	Kind       string
	Candidates []string
	// Registered lists, for ErrUnknownKind, the registered kinds in
	// registration order; the text and the problem document list at most
	// [MaxListedKinds] of them.
	Registered []string
	// Reasons says, for ErrNoRoute after schema matching, why each
	// registered kind did not match (its first violation).
	Reasons []string
	Err     *Problem
}

// MaxListedKinds is the most kinds a refusal lists (the registered kinds
// of an unknown kind, the kinds the content matches); the text says how
// many more there are.
const MaxListedKinds = 20

// Error implements error.
func (e *RouteError) Error() string {
	switch {
	case e.Kind != "" && e.Err == ErrUnknownKind:
		var b strings.Builder
		fmt.Fprintf(&b, "%v: %s", e.Err, printable.Quote(e.Kind, printable.MaxEcho))
		if len(e.Registered) > 0 {
			b.WriteString("; registered kinds: " + quoteKinds(e.Registered))
		}
		if len(e.Candidates) > 0 {
			b.WriteString("; the content matches " + quoteKinds(e.Candidates))
		}
		return b.String()
	case len(e.Candidates) > 0:
		return fmt.Sprintf("%v: %s", e.Err, strings.Join(e.Candidates, ", "))
	case len(e.Reasons) > 0:
		return fmt.Sprintf("%v: %s", e.Err, strings.Join(e.Reasons, "; "))
	case e.Kind != "":
		return fmt.Sprintf("%v: %s", e.Err, printable.Quote(e.Kind, printable.MaxEcho))
	default:
		return e.Err.Error()
	}
}

// quoteKinds writes kinds quoted and cut, "a", "b", at most
// MaxListedKinds of them and then "and N more".
func quoteKinds(kinds []string) string {
	q := make([]string, 0, min(len(kinds), MaxListedKinds+1))
	for i, k := range kinds {
		if i == MaxListedKinds {
			q = append(q, fmt.Sprintf("and %d more", len(kinds)-i))
			break
		}
		q = append(q, printable.Quote(k, printable.MaxEcho))
	}
	return strings.Join(q, ", ")
}

// Unwrap returns the sentinel.
func (e *RouteError) Unwrap() error { return e.Err }

// firstKinds is kinds cut to MaxListedKinds, for a problem document.
func firstKinds(kinds []string) []string { return kinds[:min(len(kinds), MaxListedKinds)] }

// HandlerError wraps the error a handler returned; errors.Is matches both
// [ErrHandler] and the handler's own error. Its text is logged, never sent.
type HandlerError struct {
	Kind string
	Err  error
}

// Error implements error.
func (e *HandlerError) Error() string { return fmt.Sprintf("%v: %s: %v", ErrHandler, e.Kind, e.Err) }

// Unwrap returns ErrHandler (or ErrPanic) and the handler's error.
func (e *HandlerError) Unwrap() []error {
	var p *PanicError
	if errors.As(e.Err, &p) {
		return []error{ErrPanic, e.Err}
	}
	return []error{ErrHandler, e.Err}
}

// RejectedError is a handler's permanent refusal, made with [Reject]:
// errors.Is matches both [ErrRejected] and the handler's own error. It is
// answered 422 with its own problem type (the handler's text is logged,
// not sent), quarantined, and in the durable mode dead-lettered at once
// instead of retried.
type RejectedError struct {
	// Kind is the kind whose handler refused (set by the router).
	Kind string
	// Err is the handler's reason; nil for none.
	Err error
}

// Reject marks a handler's error as permanent: the delivery can never be
// accepted as it is ("unknown vendor"), so it must not be retried. A plain
// error keeps its meaning: a failure that may pass (500, retried in the
// durable mode).
//
//	if !known(inv.Supplier.VATID) {
//		return framework.Reject(fmt.Errorf("unknown vendor %q", inv.Supplier.Name))
//	}
func Reject(err error) error { return &RejectedError{Err: err} }

// Error implements error.
func (e *RejectedError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%v: %s", ErrRejected, e.Kind)
	}
	return fmt.Sprintf("%v: %s: %v", ErrRejected, e.Kind, e.Err)
}

// Unwrap returns ErrRejected and the handler's error.
func (e *RejectedError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrRejected}
	}
	return []error{ErrRejected, e.Err}
}

// PanicError is a recovered handler panic.
type PanicError struct {
	Value any
	Stack []byte
}

// Error implements error.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// StatusOf returns the HTTP status for an error produced by the router: the
// Status of the [Problem] it wraps, 500 for any other non-nil error, and
// 200 for nil.
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var p *Problem
	if errors.As(err, &p) {
		return p.Status
	}
	return http.StatusInternalServerError
}

// ProblemOf returns the [Problem] an error wraps; errors that wrap none are
// reported as [ErrHandler].
func ProblemOf(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return ErrHandler
}

// ErrorWriterFunc writes the response for a failed delivery. The default,
// [WriteProblem], writes an RFC 9457 problem document; replace it with
// [WithErrorWriter].
type ErrorWriterFunc func(w http.ResponseWriter, r *http.Request, err error)

// ProblemDocument is the RFC 9457 body [WriteProblem] writes.
type ProblemDocument struct {
	Type       string              `json:"type"`
	Title      string              `json:"title"`
	Status     int                 `json:"status"`
	Detail     string              `json:"detail,omitempty"`
	Violations []schemas.Violation `json:"violations,omitempty"`
	// ViolationsOmitted counts the violations found beyond the
	// [MaxViolations] listed.
	ViolationsOmitted int `json:"violations_omitted,omitempty"`
	// Candidates lists registered kinds whose schema the content matches:
	// the several that matched ([ErrAmbiguousRoute]), or those that match
	// when the kind named was unknown ([ErrUnknownKind]) or refused the
	// content ([ErrSchemaViolation]); at most [MaxListedKinds].
	Candidates []string `json:"candidates,omitempty"`
	// Registered lists the registered kinds when the kind named is
	// unknown ([ErrUnknownKind]); at most [MaxListedKinds].
	Registered []string `json:"registered_kinds,omitempty"`
	// QuarantineID names the quarantine entry that keeps the delivery
	// ([WithQuarantine]), so that a person reading the sender's delivery
	// log can find it.
	QuarantineID string `json:"quarantine_id,omitempty"`
}

// NewProblemDocument builds the problem document for an error. The detail
// of handler errors, panics and dispatch failures is a fixed sentence:
// their text stays in the logs. No error the router produces holds a secret or a signature.
func NewProblemDocument(err error) ProblemDocument {
	var qe *QuarantinedError
	if errors.As(err, &qe) {
		doc := NewProblemDocument(qe.Err) // the detail is the refusal's
		doc.QuarantineID = qe.ID
		return doc
	}
	p := ProblemOf(err)
	doc := ProblemDocument{Type: p.Type(), Title: p.Title, Status: p.Status, Detail: err.Error()}
	switch p {
	case ErrHandler, ErrPanic:
		doc.Detail = "the handler did not accept the delivery; the receiver's logs have the cause"
	case ErrRejected:
		doc.Detail = "the handler refused the delivery for good; the receiver's logs have the reason"
	case ErrDispatch:
		doc.Detail = "the delivery could not be stored; it was not accepted, send it again later (the receiver's logs have the cause)"
	}
	var ve *ViolationError
	if errors.As(err, &ve) {
		doc.Violations, doc.ViolationsOmitted = ve.Violations, ve.Omitted
		doc.Candidates = firstKinds(ve.Matches)
	}
	var re *RouteError
	if errors.As(err, &re) {
		doc.Candidates = firstKinds(re.Candidates)
		doc.Registered = firstKinds(re.Registered)
	}
	return doc
}

// WriteProblem is the default [ErrorWriterFunc]: an application/problem+json
// body built by [NewProblemDocument], with the status of [StatusOf]. A 405
// also gets "Allow: POST".
func WriteProblem(w http.ResponseWriter, _ *http.Request, err error) {
	doc := NewProblemDocument(err)
	if doc.Status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(doc.Status)
	_ = json.NewEncoder(w).Encode(doc)
}
