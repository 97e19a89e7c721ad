package framework

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/retabhook/retabhook/internal/jsonpointer"
	"github.com/retabhook/retabhook/internal/jsonscan"
)

// ReviewPolicy says when a delivery of a type goes to its review handler
// ([WithReview]) instead of its normal one. It trips when any of its
// conditions holds.
type ReviewPolicy struct {
	// Threshold trips the policy when a field's consensus likelihood
	// (completion.likelihoods) is below it, strictly: a field at the
	// threshold passes. 0 checks no likelihood. A delivery without
	// likelihoods (no consensus) never trips it.
	Threshold float64
	// Fields are the JSON Pointers of the fields Threshold applies to
	// ("/total"); a pointer to an object or an array covers every field
	// under it ("/line_items"). Empty means every field that has a
	// likelihood.
	Fields []string
	// RequiresHumanReview trips the policy when the completion's
	// requires_human_review is true.
	RequiresHumanReview bool
}

// FieldLikelihood is one field's consensus likelihood.
type FieldLikelihood struct {
	// Pointer is the field's JSON Pointer ("/line_items/0/amount").
	Pointer string
	// Likelihood is its score, in [0,1].
	Likelihood float64
}

// ReviewReason says why a delivery went to review.
type ReviewReason struct {
	// Fields are the fields below the threshold, in pointer order.
	Fields []FieldLikelihood
	// RequiresHumanReview reports that the completion asked for a person
	// (and the policy listens to it).
	RequiresHumanReview bool
}

// Review is what a review handler receives: the decoded, validated value
// and why it was sent to review.
type Review[T any] struct {
	Value T
	ReviewReason
}

// review is a registration's review policy and handler.
type review struct {
	policy ReviewPolicy
	typ    reflect.Type
	call   HandlerFunc // receives d.Review set; middleware applied at registration
}

// WithReview gives a type a review policy and a review handler: a
// delivery that trips the policy goes to h instead of the handler given to
// [Handle] (same middleware, same outcomes: [Reject], errors, panics).
// The answer says so: 200 {"status":"review",...} in the synchronous mode,
// 202 {"status":"accepted","review":true,...} in the durable mode (the
// workers call h), and [Outcome.Review] is set for metrics
// (outcome="review"). Registration fails when T is not the type handled,
// or when the policy can never trip.
func WithReview[T any](p ReviewPolicy, h func(ctx context.Context, rv Review[T]) error) HandleOption {
	return func(c *handleConfig) {
		c.review = &review{policy: p, typ: reflect.TypeFor[T](), call: func(ctx context.Context, d *Delivery) error {
			if h == nil {
				return fmt.Errorf("retabhook: nil review handler")
			}
			v, ok := d.Value.(T)
			if !ok {
				return fmt.Errorf("retabhook: delivery value is %T, want %s", d.Value, reflect.TypeFor[T]())
			}
			rv := Review[T]{Value: v}
			if d.Review != nil {
				rv.ReviewReason = *d.Review
			}
			return h(ctx, rv)
		}}
	}
}

// checkReview validates a registration's review policy.
func checkReview(rv *review, typ reflect.Type) error {
	if rv == nil {
		return nil
	}
	p := rv.policy
	switch {
	case rv.typ != typ:
		return fmt.Errorf("%w: WithReview for %s on the registration of %s", ErrRegistration, rv.typ, typ)
	case p.Threshold < 0 || p.Threshold > 1:
		return fmt.Errorf("%w: %s: review threshold %v is not in [0,1]", ErrRegistration, typ, p.Threshold)
	case p.Threshold == 0 && !p.RequiresHumanReview:
		return fmt.Errorf("%w: %s: the review policy never trips (no threshold, no requires_human_review)", ErrRegistration, typ)
	case p.Threshold == 0 && len(p.Fields) > 0:
		return fmt.Errorf("%w: %s: review fields without a threshold", ErrRegistration, typ)
	}
	for _, f := range p.Fields {
		if !strings.HasPrefix(f, "/") {
			return fmt.Errorf("%w: %s: review field %q is not a JSON Pointer such as \"/total\"", ErrRegistration, typ, f)
		}
	}
	return nil
}

// reason returns why d trips the policy, or nil.
func (p ReviewPolicy) reason(d *Delivery) *ReviewReason {
	var rr ReviewReason
	rr.RequiresHumanReview = p.RequiresHumanReview && d.RequiresHumanReview
	if p.Threshold > 0 && len(d.Likelihoods) > 0 && mayHoldBelow(d.Likelihoods, p.Threshold) {
		for _, l := range likelihoodLeaves(d.Likelihoods) {
			if l.Likelihood < p.Threshold && covered(l.Pointer, p.Fields) {
				rr.Fields = append(rr.Fields, l)
			}
		}
	}
	if !rr.RequiresHumanReview && len(rr.Fields) == 0 {
		return nil
	}
	out := rr // rr itself stays on the stack when the policy does not trip
	return &out
}

// covered reports whether the field at pointer is one of fields or under
// one of them; every field when fields is empty.
func covered(pointer string, fields []string) bool {
	if len(fields) == 0 {
		return true
	}
	for _, f := range fields {
		if pointer == f || strings.HasPrefix(pointer, f+"/") {
			return true
		}
	}
	return false
}

// mayHoldBelow reports whether raw may hold a likelihood below
// threshold, so that reason need not decode what cannot trip the policy
// (the typical likelihoods, {} or numbers above it). It is false only
// when every number in raw's text outside strings is at least threshold,
// or out of float64's range (which likelihoodLeaves skips): the leaves
// likelihoodLeaves lists are among those numbers, each the same text (a
// run of number bytes that is one JSON number is read whole by the
// decoder). A run that is not one JSON number is a yes.
func mayHoldBelow(raw []byte, threshold float64) bool {
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; {
		case c == '"':
			for i++; i < len(raw) && raw[i] != '"'; i++ {
				if raw[i] == '\\' {
					i++
				}
			}
		case c == '-' || '0' <= c && c <= '9':
			j := i + 1
			for j < len(raw) && isNumberByte(raw[j]) {
				j++
			}
			if end, _, ok := jsonscan.Number(raw, i); !ok || end != j {
				return true // not one JSON number: "01" decodes as 0 at the top
			}
			f, err := strconv.ParseFloat(string(raw[i:j]), 64)
			if err == nil && f < threshold || err != nil && !errors.Is(err, strconv.ErrRange) {
				return true
			}
			i = j - 1
		}
	}
	return false
}

// isNumberByte reports whether c may be part of a JSON number.
func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

// likelihoodLeaves lists the numbers of a likelihoods object with their
// pointers, sorted by pointer (array indices numerically). Anything that
// is not JSON gives none.
func likelihoodLeaves(raw json.RawMessage) []FieldLikelihood {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	var out []FieldLikelihood
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				walk(prefix+"/"+jsonpointer.Escape(k), x[k])
			}
		case []any:
			for i, e := range x {
				walk(prefix+"/"+strconv.Itoa(i), e)
			}
		case json.Number:
			if f, err := x.Float64(); err == nil {
				out = append(out, FieldLikelihood{Pointer: prefix, Likelihood: f})
			}
		}
	}
	walk("", v)
	return out
}
