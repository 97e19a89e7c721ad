package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/retabhook/retabhook/internal/jsonpointer"
)

// ErrInvalidJSON is returned by [ParseInstance] for content that is not a
// single JSON value.
var ErrInvalidJSON = errors.New("schemas: content is not valid JSON")

// Annotation prefixes: keys Retab's model adds next to a field when the
// schema asks for reasoning (X-ReasoningPrompt) or source quotes
// (X-SourceQuote, formerly X-ReferenceQuote).
const (
	ReasoningPrefix = "reasoning___"
	SourcePrefix    = "source___"
	QuotePrefix     = "quote___"
)

// Annotation is one reasoning___, source___ or quote___ value set aside
// from the extracted object.
type Annotation struct {
	// Prefix is ReasoningPrefix, SourcePrefix or QuotePrefix.
	Prefix string `json:"prefix"`
	// Pointer is the JSON Pointer of the object that held the key
	// ("" for the root).
	Pointer string `json:"pointer"`
	// Field is the key without its prefix: a property name, or "root" and
	// "item" for the root object and array items.
	Field string `json:"field"`
	// Value is the annotation as decoded (usually a string).
	Value any `json:"value"`
}

// Instance is an extracted object ready to validate.
type Instance struct {
	// Value is the object after [Prepare]'s rewrites (annotations removed,
	// integral numbers written as integers), made of map[string]any, []any,
	// string, bool, nil and json.Number.
	Value any
	// Annotations are the keys set aside, sorted by Pointer, then Prefix,
	// then Field.
	Annotations []Annotation
	// Clean is the content after [Prepare]'s rewrites: the bytes Value was
	// decoded from.
	Clean []byte
}

// ParseInstance prepares extracted content with [Prepare] and decodes the
// result. The error wraps [ErrInvalidJSON], or is a *[RepeatedKeyError].
func ParseInstance(content []byte) (*Instance, error) {
	clean, anns, err := Prepare(content)
	if err != nil {
		return nil, err
	}
	v, err := decodeTree(clean)
	if err != nil {
		return nil, err
	}
	return &Instance{Value: v, Annotations: anns, Clean: clean}, nil
}

// decodeTree decodes prepared content, numbers as json.Number.
func decodeTree(clean []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(clean))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	return v, nil
}

// Annotation looks up the annotation with the given prefix for the field
// at pointer (the JSON Pointer of the annotated field: "/total" for
// reasoning___total at the root, "" for reasoning___root).
func (in *Instance) Annotation(prefix, pointer string) (any, bool) {
	for _, a := range in.Annotations {
		if a.Prefix == prefix && a.target() == pointer {
			return a.Value, true
		}
	}
	return nil, false
}

func (a Annotation) target() string {
	if a.Field == "root" || a.Field == "item" {
		return a.Pointer
	}
	return a.Pointer + "/" + jsonpointer.Escape(a.Field)
}
