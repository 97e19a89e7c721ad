// Package fastpath validates and prepares extracted content straight from
// its JSON bytes, for the common case, with the exact verdicts of the full
// path (schemas.ParseInstance, schemas.Schema.Validate, json.Marshal of the
// cleaned value, json.Unmarshal into the registered type).
//
// The full path builds a map[string]any tree, walks it with the JSON
// Schema validator, re-encodes it and decodes the result into the Go type:
// several hundred allocations for a 2 KB invoice. The fast path makes two
// walks over the bytes instead:
//
//   - [Prepare] checks the syntax, sets aside the reasoning___, source___
//     and quote___ annotations and normalises integral numbers (3.0 -> 3),
//     copying the content only when one of those is present. It refuses
//     (ok false) what it cannot prepare with certainty: a repeated key, two
//     keys that differ only in case (encoding/json would pick one by key
//     order), nesting deeper than jsonscan.MaxDepth, anything after the
//     value, and invalid JSON.
//   - [Program.Validate] checks the prepared bytes against a schema
//     compiled by [Compile]. Compile refuses schemas that use keywords it
//     does not implement; Validate answers sure=false when a value needs
//     arithmetic it leaves to the full validator.
//
// The prepared bytes differ from json.Marshal of the cleaned tree only in
// whitespace, string escapes and key order, none of which changes what
// json.Unmarshal produces for a type that [Decodable] accepts (no custom
// UnmarshalJSON sees the bytes) once repeated and case-colliding keys are
// excluded. Callers use the full path whenever the fast one refuses, so
// the fast path only has to be right when it answers; the differential
// tests check that it is.
package fastpath

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/retabhook/retabhook/internal/jsonscan"
	"github.com/retabhook/retabhook/schemas"
)

// maxKeys is the largest object Prepare checks for repeated and
// case-colliding keys pairwise; larger ones are left to the full path.
const maxKeys = 128

// Prepare checks content and returns it ready for [Program.Validate] and
// json.Unmarshal: annotations removed and integral numbers normalised, as
// schemas.ParseInstance does. clean is content itself when nothing needed
// removing or rewriting. ok is false when the full path must be used.
func Prepare(content []byte) (clean []byte, anns []schemas.Annotation, ok bool) {
	p := preparer{b: content}
	i := jsonscan.SkipSpace(content, 0)
	end, ok := p.value(i, 0)
	if !ok || jsonscan.SkipSpace(content, end) != len(content) {
		return nil, nil, false
	}
	if !p.rewrite {
		return content, nil, true
	}
	w := rewriter{b: content, out: make([]byte, 0, len(content))}
	w.value(i)
	for k := range w.anns {
		a := &w.anns[k]
		dec := json.NewDecoder(bytes.NewReader(w.raw[k]))
		dec.UseNumber()
		if err := dec.Decode(&a.Value); err != nil {
			return nil, nil, false
		}
	}
	slices.SortFunc(w.anns, func(a, b schemas.Annotation) int {
		return cmp.Or(strings.Compare(a.Pointer, b.Pointer), strings.Compare(a.Prefix, b.Prefix), strings.Compare(a.Field, b.Field))
	})
	return w.out, w.anns, true
}

type preparer struct {
	b       []byte
	rewrite bool
	keys    [][]byte // keys of the objects being walked, innermost last
	kinds   []bool   // for each key: is it an annotation
}

func (p *preparer) value(i, depth int) (int, bool) {
	b := p.b
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '{':
		if depth >= jsonscan.MaxDepth {
			return i, false
		}
		return p.object(i, depth)
	case c == '[':
		if depth >= jsonscan.MaxDepth {
			return i, false
		}
		return jsonscan.Array(b, i, func(v int) (int, bool) { return p.value(v, depth+1) })
	case c == '"':
		end, _, ok := jsonscan.String(b, i)
		return end, ok
	case c == '-' || '0' <= c && c <= '9':
		end, integer, ok := jsonscan.Number(b, i)
		if ok && !integer && normalizeNumber(string(b[i:end])) != string(b[i:end]) {
			p.rewrite = true
		}
		return end, ok
	default:
		return jsonscan.Literal(b, i)
	}
}

func (p *preparer) object(i, depth int) (int, bool) {
	b := p.b
	base := len(p.keys)
	defer func() { p.keys, p.kinds = p.keys[:base], p.kinds[:base] }()
	return jsonscan.Object(b, i, func(start, end int, flags jsonscan.StringFlags, v int) (int, bool) {
		key := b[start+1 : end-1]
		if !jsonscan.Plain(b[start:end], flags) {
			key = jsonscan.Unquote(nil, b[start:end])
		}
		ann := annotationPrefix(key) != ""
		if len(p.keys)-base >= maxKeys {
			return v, false
		}
		for k := base; k < len(p.keys); k++ {
			if bytes.Equal(p.keys[k], key) || !ann && !p.kinds[k] && foldEqual(p.keys[k], key) {
				return v, false
			}
		}
		p.keys = append(p.keys, key)
		p.kinds = append(p.kinds, ann)
		if ann {
			p.rewrite = true
			return jsonscan.Skip(b, v)
		}
		return p.value(v, depth+1)
	})
}

// foldEqual reports whether encoding/json could match both keys to the
// same struct field (it matches names case-insensitively, with Unicode
// simple folding).
func foldEqual(a, b []byte) bool {
	if len(a) != len(b) && isASCII(a) && isASCII(b) {
		return false
	}
	return bytes.EqualFold(a, b)
}

func isASCII(s []byte) bool {
	for _, c := range s {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// rewriter writes the prepared form of content that Prepare accepted:
// compact, annotations set aside, numbers normalised.
type rewriter struct {
	b    []byte
	out  []byte
	path []string // JSON Pointer tokens of the current value
	anns []schemas.Annotation
	raw  [][]byte // raw value of each annotation
}

func (w *rewriter) value(i int) int {
	b := w.b
	switch c := b[i]; {
	case c == '{':
		w.out = append(w.out, '{')
		i = jsonscan.SkipSpace(b, i+1)
		first := true
		for b[i] != '}' {
			start := i
			end, flags, _ := jsonscan.String(b, i)
			key := b[start+1 : end-1]
			if !jsonscan.Plain(b[start:end], flags) {
				key = jsonscan.Unquote(nil, b[start:end])
			}
			i = jsonscan.SkipSpace(b, jsonscan.SkipSpace(b, end)+1)
			if prefix := annotationPrefix(key); prefix != "" {
				vend, _ := jsonscan.Skip(b, i)
				w.anns = append(w.anns, schemas.Annotation{Prefix: prefix, Pointer: w.pointer(), Field: string(key[len(prefix):])})
				w.raw = append(w.raw, b[i:vend])
				i = vend
			} else {
				if !first {
					w.out = append(w.out, ',')
				}
				first = false
				w.out = append(w.out, b[start:end]...)
				w.out = append(w.out, ':')
				w.path = append(w.path, string(key))
				i = w.value(i)
				w.path = w.path[:len(w.path)-1]
			}
			i = jsonscan.SkipSpace(b, i)
			if b[i] == ',' {
				i = jsonscan.SkipSpace(b, i+1)
			}
		}
		w.out = append(w.out, '}')
		return i + 1
	case c == '[':
		w.out = append(w.out, '[')
		i = jsonscan.SkipSpace(b, i+1)
		for n := 0; b[i] != ']'; n++ {
			if n > 0 {
				w.out = append(w.out, ',')
			}
			w.path = append(w.path, strconv.Itoa(n))
			i = jsonscan.SkipSpace(b, w.value(i))
			w.path = w.path[:len(w.path)-1]
			if b[i] == ',' {
				i = jsonscan.SkipSpace(b, i+1)
			}
		}
		w.out = append(w.out, ']')
		return i + 1
	case c == '-' || '0' <= c && c <= '9':
		end, _, _ := jsonscan.Number(b, i)
		w.out = append(w.out, normalizeNumber(string(b[i:end]))...)
		return end
	default:
		end, _ := jsonscan.Skip(b, i)
		w.out = append(w.out, b[i:end]...)
		return end
	}
}

func (w *rewriter) pointer() string {
	var sb strings.Builder
	for _, tok := range w.path {
		sb.WriteByte('/')
		sb.WriteString(escapePointer(tok))
	}
	return sb.String()
}

// The functions below mirror schemas' cleaning rules (the differential
// tests fail if they drift apart).

func annotationPrefix(k []byte) string {
	for _, p := range [...]string{schemas.ReasoningPrefix, schemas.SourcePrefix, schemas.QuotePrefix} {
		if bytes.HasPrefix(k, []byte(p)) {
			return p
		}
	}
	return ""
}

// normalizeNumber rewrites 3.0, -2.50e1 and the like as integers when they
// are integral and small enough to be exact; anything else is unchanged.
func normalizeNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int64(f)) || f > 1<<53 || f < -(1<<53) {
		return s
	}
	return strconv.FormatInt(int64(f), 10)
}

func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
