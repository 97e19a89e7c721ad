package typeddecode

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"sync"
	"unsafe"

	"github.com/retabhook/retabhook/internal/gojson"
	"github.com/retabhook/retabhook/internal/jsonscan"
)

// Decode decodes data into the value of the decoder's type at p, which
// must be that type's zero value. ok is false when the decoder does not
// handle data (see the package documentation): *p is then partly written
// and must be discarded, and json.Unmarshal into a fresh value is the
// answer.
func (d *Decoder) Decode(data []byte, p unsafe.Pointer) (ok bool) {
	s := d.state.Get().(*state)
	s.data, s.i, s.depth, s.arena = data, jsonscan.SkipSpace(data, 0), 0, nil
	s.gather = d.gather && len(data) <= ArenaMax
	ok = s.i < len(data) && d.root.decode(s, p) && jsonscan.SkipSpace(data, s.i) == len(data)
	if ok && len(s.strs) > 0 {
		s.gathered()
	}
	if !ok {
		// The value is discarded: its strings may point into s.esc, so
		// the next input gets an escape buffer of its own.
		s.esc = nil
	}
	clear(s.strs)
	s.data, s.arena, s.strs, s.esc, s.total = nil, nil, s.strs[:0], s.esc[:0], 0
	if cap(s.key) > 1<<10 {
		s.key = nil // a long key is not kept for the next input
	}
	if cap(s.esc) > 1<<10 {
		s.esc = nil
	}
	if cap(s.strs) > 1<<10 {
		s.strs = nil
	}
	d.state.Put(s)
	return ok
}

// DecodeAny decodes data into a new value of the decoder's type and
// returns it in an interface, as Decode does (ok false: not handled).
func (d *Decoder) DecodeAny(data []byte) (v any, ok bool) {
	pv := reflect.New(d.typ)
	p := pv.UnsafePointer()
	if !d.Decode(data, p) {
		return nil, false
	}
	if d.etyp == nil {
		return pv.Elem().Interface(), true
	}
	// The value has memory of its own, which nothing else refers to: the
	// interface can hold it without the copy Interface would make.
	*(*eface)(unsafe.Pointer(&v)) = eface{typ: d.etyp, data: p}
	return v, true
}

// state is one Decode's position in its input.
type state struct {
	data  []byte
	i     int // the next byte (a value's first one when a node starts)
	depth int
	arena []byte // a copy of data the strings point into; nil until one is needed
	key   []byte // an unescaped key

	// gather: the strings are gathered (see gathered) rather than made
	// in a copy of data. Until then each points into data or esc, and
	// strs holds the address of each (in the value, or in a slice's
	// scratch until the slice is copied out of it), total their length.
	gather bool
	strs   []unsafe.Pointer // *string
	total  int
	esc    []byte // the unescaped strings, back to back
}

// set stores v, a string of s.text or s.bytes, at p.
func (s *state) set(p unsafe.Pointer, v string) {
	*(*string)(p) = v
	if s.gather && len(v) > 0 {
		s.strs = append(s.strs, p)
		s.total += len(v)
	}
}

// gathered copies the strings at s.strs into one allocation of their
// length and points them at it: the value then shares no memory with
// data (which the caller may modify) or with s.esc (which the next input
// reuses), and holds as few bytes as its strings have, where a copy of
// data would also hold its keys, numbers and punctuation.
func (s *state) gathered() {
	buf := unsafe.Pointer(unsafe.SliceData(make([]byte, s.total))) // (zeroing it costs less than strings.Builder's appends)
	off := 0
	for _, p := range s.strs {
		v := (*string)(p)
		n, to := len(*v), (*byte)(unsafe.Add(buf, off)) // (off < s.total: *v is not empty)
		copy(unsafe.Slice(to, n), *v)
		*v = unsafe.String(to, n)
		off += n
	}
}

// moved tells the gathered strings that n bytes at from, where the
// strings recorded since mark were written (some of them), are now at to:
// a slice's elements copied out of its scratch.
func (s *state) moved(mark int, from unsafe.Pointer, n uintptr, to unsafe.Pointer) {
	for k, p := range s.strs[mark:] {
		if off := uintptr(p) - uintptr(from); off < n {
			s.strs[mark+k] = unsafe.Add(to, off)
		}
	}
}

// node decodes the value at s.i into the memory at p (a zero value of its
// type) and leaves s.i just past it; false: not handled.
type node interface {
	decode(s *state, p unsafe.Pointer) bool
}

// literal reports whether lit is at s.i, and steps over it.
func (s *state) literal(lit string) bool {
	if len(s.data)-s.i >= len(lit) && string(s.data[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return true
	}
	return false
}

// null steps over a null at s.i: what a value that is not a pointer, a
// slice or a map is left unchanged by.
func (s *state) null() bool { return s.literal("null") }

// text returns the string of the string token s.data[start:end].
func (s *state) text(start, end int, flags jsonscan.StringFlags) string {
	if end-start == 2 {
		return ""
	}
	tok := s.data[start:end]
	if jsonscan.Plain(tok, flags) {
		return s.bytes(start+1, end-1)
	}
	if s.gather {
		start := len(s.esc)
		s.esc = jsonscan.Unquote(s.esc, tok)
		if len(s.esc) == start {
			return ""
		}
		return unsafe.String(&s.esc[start], len(s.esc)-start) // gathered before Decode returns
	}
	if len(s.data) > ArenaMax {
		return string(jsonscan.Unquote(nil, tok))
	}
	s.copyArena()
	// Decoded in place of the token's own bytes in the copy: never
	// longer unless invalid UTF-8 grows into U+FFFD, and append then
	// moves it to an allocation of its own.
	out := jsonscan.Unquote(s.arena[start+1:start+1:end-1], tok)
	if len(out) == 0 {
		return ""
	}
	return unsafe.String(&out[0], len(out))
}

// bytes returns s.data[start:end] as a string.
func (s *state) bytes(start, end int) string {
	if s.gather {
		return unsafe.String(&s.data[start], end-start) // gathered before Decode returns
	}
	if len(s.data) > ArenaMax {
		return string(s.data[start:end])
	}
	s.copyArena()
	return unsafe.String(&s.arena[start], end-start)
}

// copyArena makes the copy of the input the strings point into, once.
func (s *state) copyArena() {
	if s.arena == nil {
		s.arena = append([]byte(nil), s.data...) // not zeroed first, as make would
	}
}

// str scans the string token at s.i and returns its string.
func (s *state) str() (string, bool) {
	end, flags, ok := jsonscan.String(s.data, s.i)
	if !ok {
		return "", false
	}
	v := s.text(s.i, end, flags)
	s.i = end
	return v, true
}

// skip steps over the value at s.i, checking it.
func (s *state) skip() bool {
	end, ok := jsonscan.Skip(s.data, s.i)
	s.i = end
	return ok
}

func (s *state) enter() bool {
	s.depth++
	return s.depth <= MaxDepth
}

// next steps over the ',' or the closing byte after a member or an
// element (and the space around): more is true after a ','.
func (s *state) next(closing byte) (more, ok bool) {
	i := jsonscan.SkipSpace(s.data, s.i)
	if i >= len(s.data) {
		return false, false
	}
	switch s.data[i] {
	case ',':
		s.i = jsonscan.SkipSpace(s.data, i+1)
		return true, true
	case closing:
		s.i = i + 1
		s.depth--
		return false, true
	}
	return false, false
}

// open steps over the opening byte of an object or an array and the space
// after it; empty is true when the closing byte follows (stepped over too).
func (s *state) open(closing byte) (empty, ok bool) {
	if !s.enter() {
		return false, false
	}
	s.i = jsonscan.SkipSpace(s.data, s.i+1)
	if s.i < len(s.data) && s.data[s.i] == closing {
		s.i++
		s.depth--
		return true, true
	}
	return false, true
}

// member scans an object member's key token at s.i, which it returns
// (s.data[start:end]), and the ':' after it: s.i is then the value's first
// byte.
func (s *state) member() (start, end int, flags jsonscan.StringFlags, ok bool) {
	d, start := s.data, s.i
	if start >= len(d) || d[start] != '"' {
		return 0, 0, 0, false
	}
	end, flags, ok = jsonscan.String(d, start)
	if !ok {
		return 0, 0, 0, false
	}
	return start, end, flags, s.colon(end)
}

// colon steps over the ':' after a key token that ends at end, and the
// space around it: s.i is then the value's first byte.
func (s *state) colon(end int) bool {
	d := s.data
	i := jsonscan.SkipSpace(d, end)
	if i >= len(d) || d[i] != ':' {
		return false
	}
	s.i = jsonscan.SkipSpace(d, i+1)
	return s.i < len(d)
}

// raw steps over the value at s.i and returns its bytes.
func (s *state) raw() ([]byte, bool) {
	start := s.i
	if !s.skip() {
		return nil, false
	}
	return s.data[start:s.i], true
}

type failNode struct{}

func (*failNode) decode(*state, unsafe.Pointer) bool { return false }

// unmarshalerNode calls the UnmarshalJSON method of *typ with the value's
// bytes, null included.
type unmarshalerNode struct{ typ reflect.Type }

func (n *unmarshalerNode) decode(s *state, p unsafe.Pointer) bool {
	raw, ok := s.raw()
	if !ok {
		return false
	}
	return reflect.NewAt(n.typ, p).Interface().(json.Unmarshaler).UnmarshalJSON(raw) == nil
}

// delegateNode decodes the value with json.Unmarshal into its address,
// which is what encoding/json does with it in place.
type delegateNode struct{ typ reflect.Type }

func (n *delegateNode) decode(s *state, p unsafe.Pointer) bool {
	raw, ok := s.raw()
	if !ok {
		return false
	}
	return json.Unmarshal(raw, reflect.NewAt(n.typ, p).Interface()) == nil
}

// ptrNode: null sets the pointer to nil; another value is decoded into
// what it points to, allocated when it is nil.
type ptrNode struct {
	elem reflect.Type
	to   node
	// alloc allocates an elem without reflect.New, for the unnamed
	// types nullable fields usually point to (nil: reflect.New).
	alloc func() unsafe.Pointer
}

// newAlloc returns ptrNode's alloc for t.
func newAlloc(t reflect.Type) func() unsafe.Pointer {
	switch t {
	case reflect.TypeFor[string]():
		return func() unsafe.Pointer { return unsafe.Pointer(new(string)) }
	case reflect.TypeFor[float64]():
		return func() unsafe.Pointer { return unsafe.Pointer(new(float64)) }
	case reflect.TypeFor[int]():
		return func() unsafe.Pointer { return unsafe.Pointer(new(int)) }
	case reflect.TypeFor[int64]():
		return func() unsafe.Pointer { return unsafe.Pointer(new(int64)) }
	case reflect.TypeFor[bool]():
		return func() unsafe.Pointer { return unsafe.Pointer(new(bool)) }
	}
	return nil
}

func (n *ptrNode) decode(s *state, p unsafe.Pointer) bool {
	pp := (*unsafe.Pointer)(p)
	if s.data[s.i] == 'n' {
		*pp = nil
		return s.null()
	}
	if *pp == nil {
		if n.alloc != nil {
			*pp = n.alloc()
		} else {
			*pp = reflect.New(n.elem).UnsafePointer()
		}
	}
	if !s.enter() {
		return false
	}
	ok := n.to.decode(s, *pp)
	s.depth--
	return ok
}

type boolNode struct{}

func (*boolNode) decode(s *state, p unsafe.Pointer) bool {
	switch s.data[s.i] {
	case 't':
		*(*bool)(p) = true
		return s.literal("true")
	case 'f':
		*(*bool)(p) = false
		return s.literal("false")
	}
	return s.null()
}

// number scans the number token at s.i: its bytes, and whether it has
// neither a fraction nor an exponent. Literals and other tokens are not
// numbers.
func (s *state) number() (tok []byte, integer, ok bool) {
	if c := s.data[s.i]; c != '-' && (c < '0' || c > '9') {
		return nil, false, false
	}
	end, integer, ok := jsonscan.Number(s.data, s.i)
	tok = s.data[s.i:end]
	s.i = end
	return tok, integer, ok
}

// digits returns the value of the digits of tok (no sign), ok false when
// it overflows uint64.
func digits(tok []byte) (n uint64, ok bool) {
	for _, c := range tok {
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// numNode decodes a number literal into an integer of size bytes, as
// strconv.ParseInt or ParseUint and the type's range do for encoding/json
// (ParseUint refuses "-0" too), or into a float with strconv.ParseFloat
// at bits, as encoding/json.
//
// The token is scanned with jsonscan.Number's grammar and read on the
// way, in this one function (a call per number was a sixth of its cost),
// so its bytes are walked once: m is the digits of the integer and
// fraction parts read as one integer, exact when there are at most 19 of
// them (nd); exp is the decimal exponent of m, the exponent part less the
// fraction's digits (an exponent part of more than 5 digits is read as if
// it had only its first 5 or 6, which still puts exp far out of any fast
// path's range).
type numNode struct {
	float  bool
	bits   int    // a float's
	size   uint8  // an integer's
	signed bool   // an integer's
	max    uint64 // the largest integer of the type (the magnitude of its least, less one, when signed)
}

func newIntNode(size uintptr, signed bool) *numNode {
	n := &numNode{size: uint8(size), signed: signed, max: math.MaxUint64 >> (64 - 8*size)}
	if signed {
		n.max >>= 1
	}
	return n
}

func (n *numNode) decode(s *state, p unsafe.Pointer) bool {
	d, i := s.data, s.i
	if d[i] == 'n' {
		return s.null()
	}
	neg := d[i] == '-'
	if neg {
		i++
	}
	// The integer part: a 0 alone, or digits from 1.
	if i >= len(d) {
		return false
	}
	var m uint64
	start := i
	if c := d[i] - '0'; c == 0 {
		i++
	} else if c > 9 {
		return false
	} else {
		for ; i < len(d); i++ {
			c := d[i] - '0'
			if c > 9 {
				break
			}
			m = m*10 + uint64(c)
		}
	}
	nd, exp, integer := i-start, 0, true
	if i < len(d) && d[i] == '.' {
		integer = false
		i++
		start = i
		for ; i < len(d); i++ {
			c := d[i] - '0'
			if c > 9 {
				break
			}
			m = m*10 + uint64(c)
		}
		if i == start {
			return false
		}
		nd += i - start
		exp = start - i
	}
	if i < len(d) && d[i]|0x20 == 'e' { // 'e' or 'E'
		integer = false
		i++
		eneg := false
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			eneg = d[i] == '-'
			i++
		}
		start = i
		e := 0
		for ; i < len(d); i++ {
			c := d[i] - '0'
			if c > 9 {
				break
			}
			if e < 1e5 {
				e = e*10 + int(c)
			}
		}
		if i == start {
			return false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	begin := s.i
	s.i = i
	if n.float {
		if n.bits == 64 {
			if f, exact := exactFloat(m, nd, exp, neg); exact {
				*(*float64)(p) = f
				return true
			}
		}
		return n.parseFloat(d[begin:i], p)
	}
	if !integer || neg && !n.signed {
		return false
	}
	if nd > 19 { // m may have wrapped: 20 digits may still fit
		var ok bool
		if m, ok = digits(d[i-nd : i]); !ok {
			return false
		}
	}
	if limit := n.max; m > limit && !(neg && m == limit+1) {
		return false
	}
	if neg {
		m = -m // two's complement
	}
	switch n.size {
	case 1:
		*(*uint8)(p) = uint8(m)
	case 2:
		*(*uint16)(p) = uint16(m)
	case 4:
		*(*uint32)(p) = uint32(m)
	default:
		*(*uint64)(p) = m
	}
	return true
}

// parseFloat decodes the number token tok with strconv.ParseFloat, for
// what exactFloat does not answer.
func (n *numNode) parseFloat(tok []byte, p unsafe.Pointer) bool {
	f, err := strconv.ParseFloat(unsafe.String(&tok[0], len(tok)), n.bits)
	if err != nil {
		return false
	}
	if n.bits == 32 {
		*(*float32)(p) = float32(f)
	} else {
		*(*float64)(p) = f
	}
	return true
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 22: 1e22}

// exactFloat returns the float64 of the number read by numNode when
// its digits (at most 15, so m is below 2^53) and its decimal exponent
// (within ±22) are exact float64s: the one IEEE multiplication or
// division is then correctly rounded, as strconv.ParseFloat is (which
// takes the same shortcut). exact is false otherwise.
func exactFloat(m uint64, nd, exp int, neg bool) (f float64, exact bool) {
	if nd > 15 {
		return 0, false
	}
	f = float64(int64(m)) // below 2^53
	switch e := exp; {
	case e == 0:
	case 0 < e && e < len(pow10):
		f *= pow10[e]
	case -len(pow10) < e && e < 0:
		f /= pow10[-e]
	default:
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}

type stringNode struct{}

func (*stringNode) decode(s *state, p unsafe.Pointer) bool {
	d, i := s.data, s.i
	if d[i] != '"' {
		return s.null()
	}
	end, flags, ok := jsonscan.String(d, i)
	if !ok {
		return false
	}
	s.i = end
	if flags == 0 && end-i > 2 && len(d) <= ArenaMax {
		// The usual string: plain ASCII, a slice of the input until it
		// is gathered, or of the arena.
		if s.gather {
			*(*string)(p) = unsafe.String(&d[i+1], end-i-2)
			s.strs = append(s.strs, p)
			s.total += end - i - 2
			return true
		}
		s.copyArena()
		*(*string)(p) = unsafe.String(&s.arena[i+1], end-i-2)
		return true
	}
	s.set(p, s.text(i, end, flags))
	return true
}

// numberNode decodes a number literal into a json.Number as written, or a
// string holding a valid number literal.
type numberNode struct{}

func (*numberNode) decode(s *state, p unsafe.Pointer) bool {
	switch c := s.data[s.i]; {
	case c == '"':
		v, ok := s.str()
		if !ok {
			return false
		}
		if end, _, ok := jsonscan.Number(unsafe.Slice(unsafe.StringData(v), len(v)), 0); !ok || end != len(v) {
			return false
		}
		s.set(p, v)
		return true
	case c == '-' || '0' <= c && c <= '9':
		start := s.i
		if _, _, ok := s.number(); !ok {
			return false
		}
		s.set(p, s.bytes(start, s.i))
		return true
	}
	return s.null()
}

// structNode decodes an object into a struct's fields, selected and
// matched by name as encoding/json does (gojson).
type structNode struct {
	selected []gojson.Field
	fields   []field // selected's, in the same order
}

type field struct {
	name   string
	plain  bool        // printable ASCII without '"' or '\\': the key token is the name quoted
	member memberWords // the key token and its colon, when plain and short
	path   []embedStep // through embedded pointers
	off    uintptr     // after the last step
	node   node
}

// memberWords is a member's key token and the colon after it ("name":),
// at most 16 bytes, as two little-endian words and the masks of their
// bytes that hold it; n is its length (0: the name is not plain, or too
// long).
type memberWords struct {
	w, mask [2]uint64
	n       int
}

func newMemberWords(name string) (m memberWords) {
	tok := `"` + name + `":`
	if !jsonscan.PlainName(name) || len(tok) > 16 {
		return memberWords{}
	}
	for j := range len(tok) {
		m.w[j/8] |= uint64(tok[j]) << (8 * (j % 8))
		m.mask[j/8] |= 0xff << (8 * (j % 8))
	}
	m.n = len(tok)
	return m
}

// embedStep is an embedded pointer on a field's path: at off, to a
// struct of type elem, which can be allocated when the field is exported.
type embedStep struct {
	off      uintptr
	elem     reflect.Type
	settable bool
}

// at returns the address of f in the struct at p, allocating the embedded
// structs on its way.
func (f *field) at(p unsafe.Pointer) (unsafe.Pointer, bool) {
	for _, st := range f.path {
		pp := (*unsafe.Pointer)(unsafe.Add(p, st.off))
		if *pp == nil {
			if !st.settable {
				return nil, false // encoding/json's "cannot set embedded pointer to unexported struct"
			}
			*pp = reflect.New(st.elem).UnsafePointer()
		}
		p = *pp
	}
	return unsafe.Add(p, f.off), true
}

// lookup returns the index of the field a key selects (-1: none): the
// exact name, else encoding/json's case-insensitive match. The field after
// the last one matched is tried first, as keys usually come in order.
func (n *structNode) lookup(key []byte, next int) int {
	if next < len(n.fields) && n.fields[next].name == string(key) {
		return next
	}
	for k := range n.fields {
		if n.fields[k].name == string(key) {
			return k
		}
	}
	if len(key) == 0 {
		return -1
	}
	f, ok := gojson.Lookup(n.selected, unsafe.String(&key[0], len(key)))
	if !ok {
		return -1
	}
	for k := range n.fields {
		if n.fields[k].name == f.Name {
			return k
		}
	}
	return -1
}

func (n *structNode) decode(s *state, p unsafe.Pointer) bool {
	if s.data[s.i] != '{' {
		return s.null()
	}
	empty, ok := s.open('}')
	if empty || !ok {
		return ok
	}
	var seen [maxFields / 64]uint64
	next := 0
	for {
		k := -1
		if next < len(n.fields) {
			// The key that usually comes next, as a plain token.
			f := &n.fields[next]
			if d, i := s.data, s.i; f.member.n > 0 && len(d)-i >= 16 {
				// With its colon, in the two words at i (the usual
				// compact member).
				b := d[i : i+16]
				w0, w1 := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
				if (w0^f.member.w[0])&f.member.mask[0]|(w1^f.member.w[1])&f.member.mask[1] == 0 {
					i += f.member.n
					if i < len(d) && d[i] <= ' ' {
						i = jsonscan.SkipSpace(d, i)
					}
					if i >= len(d) {
						return false
					}
					s.i, k = i, next
				}
			}
			if k < 0 && f.plain {
				name := f.name
				if d, i := s.data, s.i; len(d)-i > len(name)+1 && d[i] == '"' && d[i+1+len(name)] == '"' && string(d[i+1:i+1+len(name)]) == name {
					if !s.colon(i + len(name) + 2) {
						return false
					}
					k = next
				}
			}
		}
		if k < 0 {
			start, end, flags, ok := s.member()
			if !ok {
				return false
			}
			key := s.data[start+1 : end-1]
			if !jsonscan.Plain(s.data[start:end], flags) {
				s.key = jsonscan.Unquote(s.key[:0], s.data[start:end])
				key = s.key
			}
			k = n.lookup(key, next)
		}
		if k < 0 {
			if !s.skip() {
				return false
			}
		} else {
			if seen[k>>6]&(1<<(k&63)) != 0 {
				return false // a repeated field: encoding/json merges
			}
			seen[k>>6] |= 1 << (k & 63)
			f := &n.fields[k]
			var fp unsafe.Pointer
			if len(f.path) == 0 {
				fp = unsafe.Add(p, f.off)
			} else if fp, ok = f.at(p); !ok {
				return false
			}
			if !f.node.decode(s, fp) {
				return false
			}
			next = k + 1
		}
		// The ',' or the '}' right after the value, else next's
		// whitespace and checks.
		if d, i := s.data, s.i; i+1 < len(d) && d[i] == ',' && d[i+1] > ' ' {
			s.i = i + 1
			continue
		} else if i < len(d) && d[i] == '}' {
			s.i = i + 1
			s.depth--
			return true
		}
		more, ok := s.next('}')
		if !more {
			return ok
		}
	}
}

// scratchBytes is the size of a slice's first scratch buffer, and the
// largest one kept in its pool.
const scratchBytes = 4 << 10

// sliceNode decodes an array into a slice: the elements into a pooled
// scratch slice, then copied into one allocation of their number.
type sliceNode struct {
	typ     reflect.Type
	size    uintptr
	bytes   bool // []byte-like: a string is base64, which encoding/json decodes
	base64  delegateNode
	empty   unsafe.Pointer // the data of an empty, non-nil slice
	elem    node
	scratch sync.Pool // *scratch
}

type scratch struct {
	v    reflect.Value // an addressable slice of cap elements (its length changes)
	base unsafe.Pointer
	cap  int
}

func (n *sliceNode) newScratch(c int) *scratch {
	c = max(c, 4)
	v := reflect.New(n.typ).Elem()
	v.Set(reflect.MakeSlice(n.typ, c, c))
	return &scratch{v: v, base: v.UnsafePointer(), cap: c}
}

type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

func (n *sliceNode) decode(s *state, p unsafe.Pointer) bool {
	h := (*sliceHeader)(p)
	switch s.data[s.i] {
	case '[':
	case 'n':
		*h = sliceHeader{}
		return s.null()
	case '"':
		if n.bytes {
			return n.base64.decode(s, p)
		}
		return false
	default:
		return false
	}
	empty, ok := s.open(']')
	if !ok {
		return false
	}
	if empty {
		*h = sliceHeader{data: n.empty}
		return true
	}
	sc := n.scratch.Get().(*scratch)
	mark := len(s.strs) // the strings of the elements are recorded from here
	k := 0
	for {
		if k == sc.cap {
			bigger := n.newScratch(2 * sc.cap)
			reflect.Copy(bigger.v, sc.v)
			s.moved(mark, sc.base, uintptr(sc.cap)*n.size, bigger.base)
			sc = bigger
		}
		if s.i >= len(s.data) || !n.elem.decode(s, unsafe.Add(sc.base, uintptr(k)*n.size)) {
			return false // the scratch, partly written, is left to the collector
		}
		k++
		more, ok := s.next(']')
		if !ok {
			return false
		}
		if !more {
			break
		}
	}
	v := reflect.NewAt(n.typ, p).Elem()
	v.Grow(k)
	v.SetLen(k)
	reflect.Copy(v, sc.v) // k elements
	s.moved(mark, sc.base, uintptr(k)*n.size, v.UnsafePointer())
	sc.v.SetLen(k)
	sc.v.Clear()
	sc.v.SetLen(sc.cap)
	if uintptr(sc.cap)*n.size <= scratchBytes || sc.cap <= 4 {
		n.scratch.Put(sc)
	}
	return true
}

// arrayNode decodes an array into a Go array: elements past its length
// are checked and dropped, and those it lacks stay zero.
type arrayNode struct {
	n    int
	size uintptr
	elem node
}

func (n *arrayNode) decode(s *state, p unsafe.Pointer) bool {
	if s.data[s.i] != '[' {
		return s.null()
	}
	empty, ok := s.open(']')
	if empty || !ok {
		return ok
	}
	for k := 0; ; k++ {
		if s.i >= len(s.data) {
			return false
		}
		if k < n.n {
			if !n.elem.decode(s, unsafe.Add(p, uintptr(k)*n.size)) {
				return false
			}
		} else if !s.skip() {
			return false
		}
		more, ok := s.next(']')
		if !more {
			return ok
		}
	}
}

// mapNode decodes an object into a map with string keys: each value into
// a zeroed element, then stored under its key (a repeated key keeps its
// last value, as with encoding/json).
type mapNode struct {
	typ, keyType, elemType reflect.Type
	elem                   node
}

func (n *mapNode) decode(s *state, p unsafe.Pointer) bool {
	mv := reflect.NewAt(n.typ, p).Elem()
	switch s.data[s.i] {
	case '{':
	case 'n':
		mv.SetZero()
		return s.null()
	default:
		return false
	}
	if mv.IsNil() {
		mv.Set(reflect.MakeMap(n.typ))
	}
	empty, ok := s.open('}')
	if empty || !ok {
		return ok
	}
	ep := reflect.New(n.elemType)
	ev := ep.Elem()
	kv := reflect.New(n.keyType).Elem()
	for {
		start, end, flags, ok := s.member()
		if !ok {
			return false
		}
		key := s.text(start, end, flags)
		ev.SetZero()
		if !n.elem.decode(s, ep.UnsafePointer()) {
			return false
		}
		kv.SetString(key)
		mv.SetMapIndex(kv, ev)
		more, ok := s.next('}')
		if !more {
			return ok
		}
	}
}
