// Package jsontree is retabhook's one ordered JSON tree and its writers:
// a [Value] keeps what map[string]any loses (the order of object members
// and the text of numbers), [Parse] reads one with Python's json.loads
// semantics (or every member as written, [ParseAsWritten]), and the
// writers print it indented ([AppendIndented]), compact ([AppendCompact])
// or exactly as Python's json.dumps does with its defaults ([AppendPython],
// [FloatRepr]). schemas uses it for schema documents and Retab's schema
// ids; framework/retabtest for the deliveries it builds.
package jsontree

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Value is a JSON value that keeps the order of object members (a
// schema's properties stay in the struct's field order) and the text of
// numbers (1.50 stays 1.50 until it is printed the way Python would print
// it).
//
// Strings are stored as WTF-8: valid UTF-8, except that an escaped lone
// surrogate (\ud800) is kept as its three-byte encoding, so that it
// survives a round trip the way it does in Python.
type Value struct {
	Kind  Kind
	Bool  bool     // Bool
	Text  string   // String, or the number's text for Number
	Elems []*Value // Array
	Keys  []string // Object, in document order
	Vals  []*Value // Object, parallel to Keys
}

// Kind is the kind of a [Value].
type Kind uint8

// The kinds of JSON values.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

// NewObject returns an empty object.
func NewObject() *Value { return &Value{Kind: Object} }

// NewString returns a string value.
func NewString(s string) *Value { return &Value{Kind: String, Text: s} }

// NewBool returns true or false.
func NewBool(b bool) *Value { return &Value{Kind: Bool, Bool: b} }

// NewNumber returns a number with the given text, which must be a JSON
// number.
func NewNumber(text string) *Value { return &Value{Kind: Number, Text: text} }

// NewNull returns null.
func NewNull() *Value { return &Value{Kind: Null} }

// NewArray returns an array of vs.
func NewArray(vs ...*Value) *Value { return &Value{Kind: Array, Elems: vs} }

// Get returns the member named key of an object, or nil.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	for i, k := range v.Keys {
		if k == key {
			return v.Vals[i]
		}
	}
	return nil
}

// Str returns the member named key when it is a string.
func (v *Value) Str(key string) (string, bool) {
	m := v.Get(key)
	if m == nil || m.Kind != String {
		return "", false
	}
	return m.Text, true
}

// Set replaces the member named key, or appends it.
func (v *Value) Set(key string, m *Value) {
	for i, k := range v.Keys {
		if k == key {
			v.Vals[i] = m
			return
		}
	}
	v.Keys = append(v.Keys, key)
	v.Vals = append(v.Vals, m)
}

// InsertBefore inserts the member key: m into an object just before the
// member named before, at the start when before is "", at the end when
// there is no such member. It does not look for an existing key.
func (v *Value) InsertBefore(before, key string, m *Value) {
	at := len(v.Keys)
	if before == "" {
		at = 0
	}
	for i, k := range v.Keys {
		if before != "" && k == before {
			at = i
			break
		}
	}
	v.Keys = append(v.Keys[:at:at], append([]string{key}, v.Keys[at:]...)...)
	v.Vals = append(v.Vals[:at:at], append([]*Value{m}, v.Vals[at:]...)...)
}

// Del removes the member named key and returns it (nil when absent).
func (v *Value) Del(key string) *Value {
	for i, k := range v.Keys {
		if k == key {
			m := v.Vals[i]
			v.Keys = append(v.Keys[:i:i], v.Keys[i+1:]...)
			v.Vals = append(v.Vals[:i:i], v.Vals[i+1:]...)
			return m
		}
	}
	return nil
}

// Elements returns the elements of an array, nil for anything else
// (a nil v included).
func (v *Value) Elements() []*Value {
	if v == nil || v.Kind != Array {
		return nil
	}
	return v.Elems
}

// Clone returns a deep copy.
func (v *Value) Clone() *Value {
	if v == nil {
		return nil
	}
	c := *v
	if v.Elems != nil {
		c.Elems = make([]*Value, len(v.Elems))
		for i, e := range v.Elems {
			c.Elems[i] = e.Clone()
		}
	}
	if v.Keys != nil {
		c.Keys = append([]string(nil), v.Keys...)
		c.Vals = make([]*Value, len(v.Vals))
		for i, e := range v.Vals {
			c.Vals[i] = e.Clone()
		}
	}
	return &c
}

// Equal reports whether two values are the same JSON: members compared by
// name whatever their order, numbers compared by value (3 equals 3.0 and
// 3e0).
func (v *Value) Equal(w *Value) bool {
	if v == nil || w == nil {
		return v == w
	}
	if v.Kind != w.Kind {
		return false
	}
	switch v.Kind {
	case Null:
		return true
	case Bool:
		return v.Bool == w.Bool
	case String:
		return v.Text == w.Text
	case Number:
		return NumbersEqual(v.Text, w.Text)
	case Array:
		if len(v.Elems) != len(w.Elems) {
			return false
		}
		for i := range v.Elems {
			if !v.Elems[i].Equal(w.Elems[i]) {
				return false
			}
		}
		return true
	default:
		if len(v.Keys) != len(w.Keys) {
			return false
		}
		for i, k := range v.Keys {
			o := w.Get(k)
			if o == nil || !v.Vals[i].Equal(o) {
				return false
			}
		}
		return true
	}
}

// MaxDepth bounds nesting, as encoding/json does, so that hostile input
// cannot exhaust the stack.
const MaxDepth = 10000

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("invalid JSON")

// Parse parses exactly one JSON value (surrounding whitespace allowed).
// Duplicate object keys keep their first position and their last value,
// as Python's json.loads does. Strings must be valid UTF-8.
func Parse(data []byte) (*Value, error) { return parse(data, false) }

// ParseAsWritten parses like [Parse] but keeps every member of an object
// as written, a repeated key included, so that writing the tree back
// gives the same members in the same order.
func ParseAsWritten(data []byte) (*Value, error) { return parse(data, true) }

func parse(data []byte, asWritten bool) (*Value, error) {
	p := &jsonParser{data: data, asWritten: asWritten}
	p.skipSpace()
	if p.pos == len(p.data) {
		return nil, p.errorf("no JSON value")
	}
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
	data      []byte
	pos       int
	asWritten bool // keep repeated keys
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrSyntax, p.pos, fmt.Sprintf(format, args...))
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

func (p *jsonParser) value(depth int) (*Value, error) {
	if depth > MaxDepth {
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
		return NewString(s), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case p.literal("true"):
		return NewBool(true), nil
	case p.literal("false"):
		return NewBool(false), nil
	case p.literal("null"):
		return NewNull(), nil
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

func (p *jsonParser) object(depth int) (*Value, error) {
	p.pos++ // {
	obj := NewObject()
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
		if p.asWritten {
			obj.Keys = append(obj.Keys, key)
			obj.Vals = append(obj.Vals, m)
		} else {
			obj.Set(key, m)
		}
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

func (p *jsonParser) array(depth int) (*Value, error) {
	p.pos++ // [
	arr := NewArray()
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
		arr.Elems = append(arr.Elems, e)
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

func (p *jsonParser) number() (*Value, error) {
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
	return NewNumber(string(d[start:p.pos])), nil
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
