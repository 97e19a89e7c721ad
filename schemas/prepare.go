package schemas

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/retabhook/retabhook/internal/jsonpointer"
	"github.com/retabhook/retabhook/internal/jsonscan"
)

// ErrRepeatedKey is wrapped by the *[RepeatedKeyError] of content that
// repeats a key in an object.
var ErrRepeatedKey = errors.New("schemas: repeated key")

// RepeatedKeyError reports an object of the content that holds the same
// key twice. A model's structured output never does, and the two usual
// readings (the last value, as most decoders keep; both merged, as
// encoding/json does for objects) differ, so such content is refused.
type RepeatedKeyError struct {
	// Pointer is the JSON Pointer of the repeated member.
	Pointer string
}

// Error implements error.
func (e *RepeatedKeyError) Error() string {
	return fmt.Sprintf("schemas: the key at %s appears more than once in its object", e.Pointer)
}

// Unwrap returns [ErrRepeatedKey].
func (e *RepeatedKeyError) Unwrap() error { return ErrRepeatedKey }

// MaxDepth is the deepest nesting of objects and arrays [Prepare] accepts.
const MaxDepth = jsonscan.MaxDepth

// Prepare applies the content semantics' rewrites to extracted content and
// returns the bytes to validate and to decode into the Go type:
//
//   - annotation keys (reasoning___, source___, quote___) are removed at
//     every depth and returned, sorted by Pointer, Prefix and Field;
//   - a number with a fraction or an exponent whose decimal value is
//     exactly an integer is written as that integer (3.0, 3.000 and 30e-1
//     become 3, -0.0 becomes -0), exactly, without going through float64;
//     2.9999999999999999 and 1e-400 stay as written, and so does an
//     integer that would be more than 20 characters longer than the
//     number as written (1e30);
//   - nothing else changes: whitespace, string escapes and member order
//     are kept, so a json.RawMessage field receives its member byte for
//     byte.
//
// clean is content itself when nothing was removed or rewritten. The error
// wraps [ErrInvalidJSON] for content that is not one JSON value (or nests
// deeper than [MaxDepth]), or is a *[RepeatedKeyError].
func Prepare(content []byte) (clean []byte, anns []Annotation, err error) {
	p := preparer{b: content, repeated: -1}
	i := jsonscan.SkipSpace(content, 0)
	end, ok := p.value(i, 0)
	if !ok || jsonscan.SkipSpace(content, end) != len(content) {
		return nil, nil, syntaxError(content)
	}
	if p.repeated >= 0 {
		return nil, nil, &RepeatedKeyError{Pointer: tokensPointer(jsonscan.Path(content, p.repeated))}
	}
	if !p.rewrite {
		return content, nil, nil
	}
	w := rewriter{b: content, out: make([]byte, 0, len(content))}
	w.value(i)
	w.out = append(w.out, content[w.last:]...)
	for k := range w.anns {
		a := &w.anns[k]
		dec := json.NewDecoder(bytes.NewReader(w.raw[k]))
		dec.UseNumber()
		if err := dec.Decode(&a.Value); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
		}
	}
	slices.SortFunc(w.anns, func(a, b Annotation) int {
		return cmp.Or(strings.Compare(a.Pointer, b.Pointer), strings.Compare(a.Prefix, b.Prefix), strings.Compare(a.Field, b.Field))
	})
	return w.out, w.anns, nil
}

// syntaxError words why content is not one JSON value, with
// encoding/json's message.
func syntaxError(content []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(content))
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: data after the top-level value", ErrInvalidJSON)
	}
	if _, err := dec.Token(); err != nil && err.Error() != "EOF" {
		return fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	return fmt.Errorf("%w: nested deeper than %d levels", ErrInvalidJSON, MaxDepth)
}

// preparer is Prepare's first walk: it checks the syntax and the keys,
// and finds whether anything needs rewriting.
type preparer struct {
	b        []byte
	rewrite  bool
	repeated int // offset of the first repeated key, or -1
}

func (p *preparer) value(i, depth int) (int, bool) {
	b := p.b
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '{':
		if depth >= MaxDepth {
			return i, false
		}
		return p.object(i, depth)
	case c == '[':
		if depth >= MaxDepth {
			return i, false
		}
		return jsonscan.Array(b, i, func(v int) (int, bool) { return p.value(v, depth+1) })
	case c == '"':
		end, _, ok := jsonscan.String(b, i)
		return end, ok
	case c == '-' || '0' <= c && c <= '9':
		end, integer, ok := jsonscan.Number(b, i)
		if ok && !integer && !p.rewrite && jsonscan.MayBeIntegral(b[i:end]) {
			_, p.rewrite = jsonscan.IntegerForm(nil, b[i:end])
		}
		return end, ok
	default:
		return jsonscan.Literal(b, i)
	}
}

// pairwise is the size up to which an object's keys are compared pairwise;
// larger objects use a set.
const pairwise = 16

func (p *preparer) object(i, depth int) (int, bool) {
	b := p.b
	// The object's first keys, on the stack (not in p, whose slices
	// would escape), then a set.
	var keys [pairwise][]byte
	n := 0
	var set map[string]bool
	return jsonscan.Object(b, i, func(start, end int, flags jsonscan.StringFlags, v int) (int, bool) {
		key := b[start+1 : end-1]
		if !jsonscan.Plain(b[start:end], flags) {
			key = jsonscan.Unquote(nil, b[start:end])
		}
		dup := false
		switch {
		case set != nil:
			dup = set[string(key)]
			set[string(key)] = true
		case n < pairwise:
			for _, k := range keys[:n] {
				if len(k) == len(key) && string(k) == string(key) {
					dup = true
				}
			}
			keys[n] = key
			n++
		default:
			set = make(map[string]bool, 2*pairwise)
			for _, k := range keys {
				set[string(k)] = true
			}
			dup = set[string(key)]
			set[string(key)] = true
		}
		if dup && p.repeated < 0 {
			p.repeated = start // reported once the syntax is known to be right
		}
		if annotationPrefixBytes(key) != "" {
			p.rewrite = true
		}
		return p.value(v, depth+1)
	})
}

func tokensPointer(tokens []string) string {
	var sb strings.Builder
	for _, tok := range tokens {
		sb.WriteByte('/')
		sb.WriteString(jsonpointer.Escape(tok))
	}
	return sb.String()
}

// rewriter is Prepare's second walk, over content the first accepted. It
// copies the content to out, from last on, leaving out the annotation
// members (with the whitespace around them and one comma) and writing
// integral numbers as integers.
type rewriter struct {
	b    []byte
	out  []byte
	last int      // b[:last] is accounted for in out
	path []string // JSON Pointer tokens of the current value
	anns []Annotation
	raw  [][]byte // raw value of each annotation
}

func (w *rewriter) value(i int) int {
	b := w.b
	switch c := b[i]; {
	case c == '{':
		return w.object(i)
	case c == '[':
		i = jsonscan.SkipSpace(b, i+1)
		for n := 0; b[i] != ']'; n++ {
			w.path = append(w.path, strconv.Itoa(n))
			i = jsonscan.SkipSpace(b, w.value(i))
			w.path = w.path[:len(w.path)-1]
			if b[i] == ',' {
				i = jsonscan.SkipSpace(b, i+1)
			}
		}
		return i + 1
	case c == '-' || '0' <= c && c <= '9':
		end, integer, _ := jsonscan.Number(b, i)
		if !integer {
			n := len(w.out)
			w.out = append(w.out, b[w.last:i]...)
			var ok bool
			if w.out, ok = jsonscan.IntegerForm(w.out, b[i:end]); ok {
				w.last = end
			} else {
				w.out = w.out[:n]
			}
		}
		return end
	default:
		end, _ := jsonscan.Skip(b, i)
		return end
	}
}

func (w *rewriter) object(i int) int {
	b := w.b
	lead := i + 1 // where the current member's leading whitespace starts
	i = jsonscan.SkipSpace(b, i+1)
	kept, members := 0, 0
	for b[i] != '}' {
		members++
		start := i
		end, flags, _ := jsonscan.String(b, i)
		key := b[start+1 : end-1]
		if !jsonscan.Plain(b[start:end], flags) {
			key = jsonscan.Unquote(nil, b[start:end])
		}
		v := jsonscan.SkipSpace(b, jsonscan.SkipSpace(b, end)+1)
		if prefix := annotationPrefixBytes(key); prefix != "" {
			vend, _ := jsonscan.Skip(b, v)
			w.anns = append(w.anns, Annotation{Prefix: prefix, Pointer: tokensPointer(w.path), Field: string(key[len(prefix):])})
			w.raw = append(w.raw, b[v:vend])
			w.out = append(w.out, b[w.last:lead]...)
			i = jsonscan.SkipSpace(b, vend)
			if b[i] == ',' {
				i++ // the comma goes with the member
			} else if kept > 0 {
				w.out = w.out[:len(w.out)-1] // the last member: the comma before it goes
			}
			w.last = i
		} else {
			kept++
			w.path = append(w.path, string(key))
			i = jsonscan.SkipSpace(b, w.value(v))
			w.path = w.path[:len(w.path)-1]
			if b[i] == ',' {
				i++
			}
		}
		lead = i
		i = jsonscan.SkipSpace(b, i)
	}
	return i + 1
}

// IsAnnotationKey reports whether an object key (decoded) is an
// annotation's (reasoning___, source___, quote___), which [Prepare] sets
// aside.
func IsAnnotationKey(key []byte) bool { return annotationPrefixBytes(key) != "" }

func annotationPrefixBytes(k []byte) string {
	if len(k) == 0 || k[0] != ReasoningPrefix[0] && k[0] != SourcePrefix[0] && k[0] != QuotePrefix[0] {
		return ""
	}
	for _, p := range [...]string{ReasoningPrefix, SourcePrefix, QuotePrefix} {
		if len(k) >= len(p) && string(k[:len(p)]) == p {
			return p
		}
	}
	return ""
}
