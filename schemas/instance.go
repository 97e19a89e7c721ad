package schemas

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
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
	// Value is the object with annotations removed and integral numbers
	// normalised, made of map[string]any, []any, string, bool, nil and
	// json.Number.
	Value any
	// Annotations are the keys set aside, sorted by Pointer, then Prefix,
	// then Field.
	Annotations []Annotation
}

// ParseInstance decodes extracted content, sets aside annotation keys at
// every depth and rewrites integral numbers written with a fraction or an
// exponent (3.0, 3e0) as integers.
func ParseInstance(content []byte) (*Instance, error) {
	dec := json.NewDecoder(bytes.NewReader(content))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the top-level value", ErrInvalidJSON)
	}
	inst := &Instance{}
	inst.Value = clean(v, "", &inst.Annotations)
	slices.SortFunc(inst.Annotations, func(a, b Annotation) int {
		return cmp.Or(strings.Compare(a.Pointer, b.Pointer), strings.Compare(a.Prefix, b.Prefix), strings.Compare(a.Field, b.Field))
	})
	return inst, nil
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
	return a.Pointer + "/" + escapePointer(a.Field)
}

func clean(v any, ptr string, anns *[]Annotation) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if p := annotationPrefix(k); p != "" {
				*anns = append(*anns, Annotation{Prefix: p, Pointer: ptr, Field: k[len(p):], Value: val})
				delete(x, k)
				continue
			}
			x[k] = clean(val, ptr+"/"+escapePointer(k), anns)
		}
		return x
	case []any:
		for i, val := range x {
			x[i] = clean(val, ptr+"/"+strconv.Itoa(i), anns)
		}
		return x
	case json.Number:
		return normalizeNumber(x)
	default:
		return v
	}
}

func annotationPrefix(k string) string {
	for _, p := range [...]string{ReasoningPrefix, SourcePrefix, QuotePrefix} {
		if strings.HasPrefix(k, p) {
			return p
		}
	}
	return ""
}

// normalizeNumber rewrites 3.0, -2.50e1 and the like as integers when they
// are integral and small enough to be exact; anything else is unchanged.
func normalizeNumber(n json.Number) json.Number {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		return n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) || f > 1<<53 || f < -(1<<53) {
		return n
	}
	return json.Number(strconv.FormatInt(int64(f), 10))
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
