package schemas

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// value is a JSON value that keeps what map[string]any loses: the order of
// object members (a schema's properties stay in the struct's field order)
// and the text of numbers (1.50 stays 1.50 until it is printed the way
// Python would print it, for schema ids).
//
// Strings are stored as WTF-8: valid UTF-8, except that an escaped lone
// surrogate (\ud800) is kept as its three-byte encoding, so that it
// survives a round trip the way it does in Python.
type value struct {
	kind valueKind
	b    bool     // kindBool
	s    string   // kindString, or the number's text for kindNumber
	arr  []*value // kindArray
	keys []string // kindObject, in document order
	vals []*value // kindObject, parallel to keys
}

type valueKind uint8

const (
	kindNull valueKind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func newObject() *value            { return &value{kind: kindObject} }
func newString(s string) *value    { return &value{kind: kindString, s: s} }
func newBool(b bool) *value        { return &value{kind: kindBool, b: b} }
func newArray(vs ...*value) *value { return &value{kind: kindArray, arr: vs} }

// get returns the member named key of an object, or nil.
func (v *value) get(key string) *value {
	if v == nil || v.kind != kindObject {
		return nil
	}
	for i, k := range v.keys {
		if k == key {
			return v.vals[i]
		}
	}
	return nil
}

// str returns the member named key when it is a string.
func (v *value) str(key string) (string, bool) {
	m := v.get(key)
	if m == nil || m.kind != kindString {
		return "", false
	}
	return m.s, true
}

// set replaces the member named key, or appends it.
func (v *value) set(key string, m *value) {
	for i, k := range v.keys {
		if k == key {
			v.vals[i] = m
			return
		}
	}
	v.keys = append(v.keys, key)
	v.vals = append(v.vals, m)
}

// del removes the member named key and returns it (nil when absent).
func (v *value) del(key string) *value {
	for i, k := range v.keys {
		if k == key {
			m := v.vals[i]
			v.keys = append(v.keys[:i:i], v.keys[i+1:]...)
			v.vals = append(v.vals[:i:i], v.vals[i+1:]...)
			return m
		}
	}
	return nil
}

// clone returns a deep copy.
func (v *value) clone() *value {
	if v == nil {
		return nil
	}
	c := *v
	if v.arr != nil {
		c.arr = make([]*value, len(v.arr))
		for i, e := range v.arr {
			c.arr[i] = e.clone()
		}
	}
	if v.keys != nil {
		c.keys = append([]string(nil), v.keys...)
		c.vals = make([]*value, len(v.vals))
		for i, e := range v.vals {
			c.vals[i] = e.clone()
		}
	}
	return &c
}

// equal reports whether two values are the same JSON: members compared by
// name whatever their order, numbers compared by value.
func (v *value) equal(w *value) bool {
	if v.kind != w.kind {
		return false
	}
	switch v.kind {
	case kindNull:
		return true
	case kindBool:
		return v.b == w.b
	case kindString:
		return v.s == w.s
	case kindNumber:
		return numbersEqual(v.s, w.s)
	case kindArray:
		if len(v.arr) != len(w.arr) {
			return false
		}
		for i := range v.arr {
			if !v.arr[i].equal(w.arr[i]) {
				return false
			}
		}
		return true
	default:
		if len(v.keys) != len(w.keys) {
			return false
		}
		for i, k := range v.keys {
			o := w.get(k)
			if o == nil || !v.vals[i].equal(o) {
				return false
			}
		}
		return true
	}
}

// maxDepth bounds nesting, as encoding/json does, so that hostile input
// cannot exhaust the stack.
const maxDepth = 10000

// errSyntax is wrapped by every parse error.
var errSyntax = errors.New("invalid JSON")

// parseValue parses exactly one JSON value (surrounding whitespace
// allowed). Duplicate object keys keep their first position and their
// last value, as Python's json module does.
func parseValue(data []byte) (*value, error) {
	p := &jsonParser{data: data}
	p.skipSpace()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, p.errorf("data after the top-level value")
	}
	return v, nil
}

type jsonParser struct {
	data []byte
	pos  int
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", errSyntax, p.pos, fmt.Sprintf(format, args...))
}

func (p *jsonParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (*value, error) {
	if depth > maxDepth {
		return nil, p.errorf("nested too deeply")
	}
	if p.pos >= len(p.data) {
		return nil, p.errorf("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		return newString(s), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case p.literal("true"):
		return newBool(true), nil
	case p.literal("false"):
		return newBool(false), nil
	case p.literal("null"):
		return &value{kind: kindNull}, nil
	default:
		return nil, p.errorf("unexpected character %q", c)
	}
}

func (p *jsonParser) literal(lit string) bool {
	if bytes.HasPrefix(p.data[p.pos:], []byte(lit)) {
		p.pos += len(lit)
		return true
	}
	return false
}

func (p *jsonParser) object(depth int) (*value, error) {
	p.pos++ // {
	obj := newObject()
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return obj, nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.errorf("want a member name in double quotes")
		}
		key, err := p.string()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.errorf("want ':' after a member name")
		}
		p.pos++
		p.skipSpace()
		m, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		obj.set(key, m)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return obj, nil
		default:
			return nil, p.errorf("want ',' or '}' in an object")
		}
	}
}

func (p *jsonParser) array(depth int) (*value, error) {
	p.pos++ // [
	arr := newArray()
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return arr, nil
	}
	for {
		p.skipSpace()
		e, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		arr.arr = append(arr.arr, e)
		p.skipSpace()
		if p.pos >= len(p.data) {
			return nil, p.errorf("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return arr, nil
		default:
			return nil, p.errorf("want ',' or ']' in an array")
		}
	}
}

func (p *jsonParser) number() (*value, error) {
	start := p.pos
	d := p.data
	if d[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(d) && d[p.pos] == '0':
		p.pos++
	case p.pos < len(d) && d[p.pos] >= '1' && d[p.pos] <= '9':
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	default:
		return nil, p.errorf("invalid number")
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if p.pos >= len(d) || d[p.pos] < '0' || d[p.pos] > '9' {
			return nil, p.errorf("invalid number: want a digit after '.'")
		}
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	}
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(d) || d[p.pos] < '0' || d[p.pos] > '9' {
			return nil, p.errorf("invalid number: want a digit in the exponent")
		}
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	}
	return &value{kind: kindNumber, s: string(d[start:p.pos])}, nil
}

// string parses a JSON string at p.pos, returning it as WTF-8.
func (p *jsonParser) string() (string, error) {
	p.pos++ // "
	d := p.data
	var b []byte
	start := p.pos
	for {
		if p.pos >= len(d) {
			return "", p.errorf("unterminated string")
		}
		c := d[p.pos]
		switch {
		case c == '"':
			if b == nil {
				s := string(d[start:p.pos])
				p.pos++
				return s, nil
			}
			b = append(b, d[start:p.pos]...)
			p.pos++
			return string(b), nil
		case c < 0x20:
			return "", p.errorf("control character %#x in a string", c)
		case c == '\\':
			b = append(b, d[start:p.pos]...)
			var err error
			if b, err = p.escape(b); err != nil {
				return "", err
			}
			start = p.pos
		case c < utf8.RuneSelf:
			p.pos++
		default:
			r, size := utf8.DecodeRune(d[p.pos:])
			if r == utf8.RuneError && size == 1 {
				return "", p.errorf("invalid UTF-8 in a string")
			}
			p.pos += size
		}
	}
}

func (p *jsonParser) escape(b []byte) ([]byte, error) {
	d := p.data
	if p.pos+1 >= len(d) {
		return nil, p.errorf("unterminated escape")
	}
	c := d[p.pos+1]
	p.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(b, c), nil
	case 'b':
		return append(b, '\b'), nil
	case 'f':
		return append(b, '\f'), nil
	case 'n':
		return append(b, '\n'), nil
	case 'r':
		return append(b, '\r'), nil
	case 't':
		return append(b, '\t'), nil
	case 'u':
	default:
		return nil, p.errorf("invalid escape \\%c", c)
	}
	r, ok := p.hex4()
	if !ok {
		return nil, p.errorf("invalid \\u escape")
	}
	if utf16.IsSurrogate(r) && r < 0xdc00 && bytes.HasPrefix(d[p.pos:], []byte(`\u`)) {
		save := p.pos
		p.pos += 2
		if r2, ok := p.hex4(); ok && r2 >= 0xdc00 && r2 <= 0xdfff {
			return utf8.AppendRune(b, utf16.DecodeRune(r, r2)), nil
		}
		p.pos = save
	}
	if utf16.IsSurrogate(r) {
		// A lone surrogate: keep it as WTF-8 (utf8.AppendRune would
		// replace it with U+FFFD).
		return append(b, 0xe0|byte(r>>12), 0x80|byte(r>>6)&0x3f, 0x80|byte(r)&0x3f), nil
	}
	return utf8.AppendRune(b, r), nil
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.pos+4 > len(p.data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.data[p.pos:p.pos+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.pos += 4
	return rune(n), true
}

// decodeWTF8 returns the next code point of s (a lone surrogate included)
// and its size.
func decodeWTF8(s string) (rune, int) {
	if len(s) >= 3 && s[0] == 0xed && s[1] >= 0xa0 && s[1] <= 0xbf && s[2] >= 0x80 && s[2] <= 0xbf {
		return rune(s[0]&0x0f)<<12 | rune(s[1]&0x3f)<<6 | rune(s[2]&0x3f), 3
	}
	return utf8.DecodeRuneInString(s)
}

// writeIndented appends v as indented JSON (two spaces, members in
// document order, numbers as written, no HTML escaping), the form of the
// files users upload.
func writeIndented(b []byte, v *value, indent string) []byte {
	switch v.kind {
	case kindNull:
		return append(b, "null"...)
	case kindBool:
		return strconv.AppendBool(b, v.b)
	case kindNumber:
		return append(b, v.s...)
	case kindString:
		return appendGoString(b, v.s)
	case kindArray:
		if len(v.arr) == 0 {
			return append(b, "[]"...)
		}
		b = append(b, '[')
		for i, e := range v.arr {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '\n')
			b = append(b, indent+"  "...)
			b = writeIndented(b, e, indent+"  ")
		}
		b = append(b, '\n')
		b = append(b, indent...)
		return append(b, ']')
	default:
		if len(v.keys) == 0 {
			return append(b, "{}"...)
		}
		b = append(b, '{')
		for i, k := range v.keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '\n')
			b = append(b, indent+"  "...)
			b = appendGoString(b, k)
			b = append(b, ": "...)
			b = writeIndented(b, v.vals[i], indent+"  ")
		}
		b = append(b, '\n')
		b = append(b, indent...)
		return append(b, '}')
	}
}

// appendGoString quotes s the way encoding/json does without HTML
// escaping; lone surrogates are written as \uXXXX escapes.
func appendGoString(b []byte, s string) []byte { return appendQuoted(b, s, false) }

// appendQuoted quotes s as a JSON string. With ascii (Python's
// ensure_ascii), \b and \f have short escapes and every character
// outside printable ASCII is escaped; without it, only control
// characters, U+2028, U+2029, invalid bytes and lone surrogates are.
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
			case ascii && c == '\b':
				b = append(b, `\b`...)
			case ascii && c == '\f':
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

// arrOrNil returns the elements of an array, nil for anything else.
func (v *value) arrOrNil() []*value {
	if v == nil || v.kind != kindArray {
		return nil
	}
	return v.arr
}
