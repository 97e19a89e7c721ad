package jsontree

import (
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// AppendIndented appends v as indented JSON (two spaces, members in
// document order, numbers as written, no HTML escaping), the form of the
// schema files users upload.
func AppendIndented(b []byte, v *Value) []byte {
	return style{indent: true, comma: ",", colon: ": "}.append(b, v, "")
}

// AppendCompact appends v as compact JSON (no spaces, members in document
// order, numbers as written, UTF-8 kept, no HTML escaping), as
// encoding/json writes a json.RawMessage it has compacted.
func AppendCompact(b []byte, v *Value) []byte {
	return style{comma: ",", colon: ":"}.append(b, v, "")
}

// Dumps writes values as Python's json.dumps does with its defaults
// (separators ", " and ": ", ensure_ascii, allow_nan): every character
// outside printable ASCII escaped as \uXXXX (astral characters as
// surrogate pairs), members in document order, numbers as Python prints
// the int or float json.loads made of them ([PythonNumber]).
type Dumps struct {
	// SortKeys sorts members by code point, as sort_keys=True does.
	SortKeys bool
	// NumbersAsWritten writes each number's text as parsed, not as
	// Python would print it.
	NumbersAsWritten bool
}

// Append appends v as d says.
func (d Dumps) Append(b []byte, v *Value) []byte {
	return style{comma: ", ", colon: ": ", ascii: true, sortKeys: d.SortKeys, pythonNumbers: !d.NumbersAsWritten}.append(b, v, "")
}

// AppendString appends s quoted as encoding/json does without HTML
// escaping: control characters (\b, \f, \n, \r, \t short), U+2028 and
// U+2029 escaped, an invalid byte as \ufffd and a lone surrogate (WTF-8)
// as its \uXXXX escape.
func AppendString(b []byte, s string) []byte { return appendQuoted(b, s, false) }

// style is one way of writing JSON; every writer of this package is one.
type style struct {
	indent        bool   // a newline and two spaces per level
	comma, colon  string // separators
	ascii         bool   // Python's ensure_ascii
	sortKeys      bool   // members by code point
	pythonNumbers bool   // numbers as Python prints them
}

func (st style) append(b []byte, v *Value, indent string) []byte {
	switch v.Kind {
	case Null:
		return append(b, "null"...)
	case Bool:
		if v.Bool {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case Number:
		if st.pythonNumbers {
			return append(b, PythonNumber(v.Text)...)
		}
		return append(b, v.Text...)
	case String:
		return appendQuoted(b, v.Text, st.ascii)
	case Array:
		if len(v.Elems) == 0 {
			return append(b, "[]"...)
		}
		inner := indent + "  "
		b = append(b, '[')
		for i, e := range v.Elems {
			if i > 0 {
				b = append(b, st.comma...)
			}
			b = st.newline(b, inner)
			b = st.append(b, e, inner)
		}
		b = st.newline(b, indent)
		return append(b, ']')
	default:
		if len(v.Keys) == 0 {
			return append(b, "{}"...)
		}
		order := make([]int, len(v.Keys))
		for i := range order {
			order[i] = i
		}
		if st.sortKeys {
			// WTF-8 byte order is code point order, which is how
			// Python compares str keys.
			slices.SortStableFunc(order, func(i, j int) int { return strings.Compare(v.Keys[i], v.Keys[j]) })
		}
		inner := indent + "  "
		b = append(b, '{')
		for n, i := range order {
			if n > 0 {
				b = append(b, st.comma...)
			}
			b = st.newline(b, inner)
			b = appendQuoted(b, v.Keys[i], st.ascii)
			b = append(b, st.colon...)
			b = st.append(b, v.Vals[i], inner)
		}
		b = st.newline(b, indent)
		return append(b, '}')
	}
}

func (st style) newline(b []byte, indent string) []byte {
	if !st.indent {
		return b
	}
	return append(append(b, '\n'), indent...)
}

// appendQuoted quotes s as a JSON string. With ascii (Python's
// ensure_ascii), every character outside printable ASCII is escaped;
// without it, only control characters, U+2028, U+2029, invalid bytes and
// lone surrogates are. Both Python and encoding/json write \b, \f, \n,
// \r and \t short.
func appendQuoted(b []byte, s string, ascii bool) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, `\n`...)
			case c == '\r':
				b = append(b, `\r`...)
			case c == '\t':
				b = append(b, `\t`...)
			case c == '\b':
				b = append(b, `\b`...)
			case c == '\f':
				b = append(b, `\f`...)
			case c < 0x20 || (ascii && c == 0x7f):
				b = appendU4(b, rune(c))
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := decodeWTF8(s[i:])
		switch {
		case ascii && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			b = appendU4(appendU4(b, r1), r2)
		case ascii, utf16.IsSurrogate(r), r == '\u2028', r == '\u2029':
			b = appendU4(b, r)
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

func appendU4(b []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	return append(b, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
}

// decodeWTF8 returns the next code point of s (a lone surrogate included)
// and its size.
func decodeWTF8(s string) (rune, int) {
	if len(s) >= 3 && s[0] == 0xed && s[1] >= 0xa0 && s[1] <= 0xbf && s[2] >= 0x80 && s[2] <= 0xbf {
		return rune(s[0]&0x0f)<<12 | rune(s[1]&0x3f)<<6 | rune(s[2]&0x3f), 3
	}
	return utf8.DecodeRuneInString(s)
}
