package envelope

import (
	"strconv"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// Metadata decodes the metadata object raw as json.Unmarshal decodes it
// into a nil map[string]any: objects are map[string]any (a repeated key's
// last value wins), arrays []any, numbers float64, strings decoded as
// encoding/json does, true, false and null bool and nil. ok is false when
// encoding/json must decide: raw is not an object, not valid JSON, nests
// deeper than [jsonscan.MaxDepth], or holds a number strconv.ParseFloat
// refuses. Every key and string is a part of one allocation (see
// [text]), where encoding/json makes one per string.
func Metadata(raw []byte) (m map[string]any, ok bool) {
	i := jsonscan.SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	var t text
	t.Grow(len(raw)) // decoded, the strings are no longer than raw but for invalid UTF-8
	d := metaDecoder{b: raw, text: &t}
	v, end, ok := d.value(i, 0)
	if !ok || jsonscan.SkipSpace(raw, end) != len(raw) {
		return nil, false
	}
	return v.(map[string]any), true
}

// metaDecoder is Metadata's walk, and the envelope scan's over the
// metadata (which keeps its strings with the envelope's).
type metaDecoder struct {
	b    []byte
	text *text
}

// value decodes the value at b[i].
func (d *metaDecoder) value(i, depth int) (v any, end int, ok bool) {
	b := d.b
	if i >= len(b) {
		return nil, i, false
	}
	switch c := b[i]; {
	case c == '{':
		if depth >= jsonscan.MaxDepth {
			return nil, i, false
		}
		m := make(map[string]any)
		end, ok = jsonscan.Object(b, i, func(key, keyEnd int, flags jsonscan.StringFlags, vi int) (int, bool) {
			k := d.text.add(b[key:keyEnd], flags)
			val, end, ok := d.value(vi, depth+1)
			m[k] = val
			return end, ok
		})
		return m, end, ok
	case c == '[':
		if depth >= jsonscan.MaxDepth {
			return nil, i, false
		}
		a := make([]any, 0)
		end, ok = jsonscan.Array(b, i, func(vi int) (int, bool) {
			val, end, ok := d.value(vi, depth+1)
			a = append(a, val)
			return end, ok
		})
		return a, end, ok
	case c == '"':
		end, flags, ok := jsonscan.String(b, i)
		if !ok {
			return nil, end, false
		}
		return d.text.add(b[i:end], flags), end, true
	case c == '-' || '0' <= c && c <= '9':
		end, _, ok = jsonscan.Number(b, i)
		if !ok {
			return nil, end, false
		}
		f, err := strconv.ParseFloat(string(b[i:end]), 64)
		return f, end, err == nil
	case c == 't' || c == 'f':
		end, ok = jsonscan.Literal(b, i)
		return c == 't', end, ok
	default:
		end, ok = jsonscan.Literal(b, i)
		return nil, end, ok && c == 'n'
	}
}
