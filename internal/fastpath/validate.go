package fastpath

import (
	"encoding/binary"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// Validate reports whether content prepared by schemas.Prepare is valid
// against the schema. sure is false when the full validator must decide:
// a number whose comparison needs exact arithmetic the fast path left
// out, a string where an enum holds a non-string value it may stand for,
// and any invalid content of a schema with such an enum (the leniency
// reads strings anywhere the full validator reports an enum failure).
func (p *Program) Validate(clean []byte) (valid, sure bool) {
	v := validator{b: clean}
	_, valid, sure = v.validate(p.root, jsonscan.SkipSpace(clean, 0))
	if !valid && p.lenient {
		return false, false
	}
	return valid, sure
}

type validator struct {
	b       []byte
	scratch []byte

	// strict (Route): the content is not known to be prepared. The walk
	// also checks its syntax and what schemas.Prepare would change, and
	// sets bad, and answers unsure, at anything it does not take as is.
	strict     bool
	bad        bool
	depth      int                   // containers around the value being walked
	annotation func(key []byte) bool // an annotation key (Program.annotation)
}

// strictDepth is how deep Route walks: deeper content is left to
// schemas.Prepare, whose limit (jsonscan.MaxDepth) is higher.
const strictDepth = 128

// Answer is [Program.Route]'s answer about content that is not known to
// be prepared.
type Answer uint8

const (
	// Unsure: Prepare and Validate decide.
	Unsure Answer = iota
	// Matches: content is what schemas.Prepare keeps: one JSON value
	// (whitespace around it), no key repeated in an object, no annotation
	// key and no number Prepare writes as an integer, so Prepare would
	// return it as is, without annotations; and it is valid (Validate on
	// it is valid and sure). What the walk does not take as is (an
	// escaped key, an object of more than 16 members, a number with a
	// fraction of zeros, nesting past 128...) is never Matches.
	Matches
	// Refuses: if schemas.Prepare accepts the content, the schema refuses
	// what it returns (Validate on it is invalid and sure). The walk
	// stopped at a sure failure having looked at bytes Prepare keeps
	// only, so Prepare may yet refuse the content (a repeated key, bad
	// syntax further on): the answer holds once Prepare succeeded, or
	// once another program Matches the same content.
	Refuses
	// NotAsIs: the walk met something it does not take as is (an
	// annotation key, a number Prepare rewrites, an escaped key, a
	// syntax error...), which does not depend on the schema: no program
	// Matches this content. Prepare and Validate decide.
	NotAsIs
)

// Route answers, from one walk of content as it is (not prepared), what
// Validate would answer on schemas.Prepare's result, where it is sure of
// it: Matches, Refuses, or Unsure and NotAsIs when it is not; the
// annotation keys are those of Compile's predicate. Routing between
// several programs takes the first that Matches, and knows from the
// Refuses before it that those do not match, with no Prepare and no
// second walk.
func (p *Program) Route(content []byte) Answer {
	v := validator{b: content, strict: true, annotation: p.annotation}
	i := jsonscan.SkipSpace(content, 0)
	if i >= len(content) {
		return NotAsIs
	}
	end, valid, sure := v.validate(p.root, i)
	switch {
	case v.bad:
		return NotAsIs
	case !sure:
		return Unsure
	case !valid && p.lenient:
		return Unsure // as Validate: the leniency may read a string as an enum's value
	case !valid:
		return Refuses
	}
	end = v.endOf(i, end)
	if v.bad || jsonscan.SkipSpace(content, end) != len(content) {
		return NotAsIs
	}
	return Matches
}

// fail records that the strict walk does not take the content as is.
func (v *validator) fail() (end int, valid, sure bool) {
	v.bad = true
	return 0, false, false
}

// cleanKey checks, for the strict walk, the key token b[start:end] of an
// object whose keys so far are keys: a plain key, not an annotation's,
// not among keys, and room for it.
func (v *validator) cleanKey(start, end int, flags jsonscan.StringFlags, keys []span) bool {
	return len(keys) < cap(keys) && v.plainKey(start, end, flags) && !v.among(start+1, end-1, keys)
}

// plainKey reports that the key token b[start:end] is plain (no escape)
// and not an annotation's.
func (v *validator) plainKey(start, end int, flags jsonscan.StringFlags) bool {
	return jsonscan.Plain(v.b[start:end], flags) && (v.annotation == nil || !v.annotation(v.b[start+1:end-1]))
}

// among reports whether the key b[start:end] is one of keys.
func (v *validator) among(start, end int, keys []span) bool {
	key := v.b[start:end]
	for _, k := range keys {
		if k.end-k.start == len(key) && string(v.b[k.start:k.end]) == string(key) {
			return true
		}
	}
	return false
}

// span is where a key is in b (b[start:end], quotes left out): no pointer
// to write on the stack for each key.
type span struct{ start, end int }

// check is the strict walk of a value no schema keyword looks into: its
// syntax and what Prepare would change.
func (v *validator) check(i int) (int, bool) {
	b := v.b
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '{':
		if v.depth >= strictDepth {
			return i, false
		}
		v.depth++
		var room [pairwise]span
		keys := room[:0]
		end, ok := jsonscan.Object(b, i, func(start, end int, flags jsonscan.StringFlags, val int) (int, bool) {
			if !v.cleanKey(start, end, flags, keys) {
				return val, false
			}
			keys = append(keys, span{start + 1, end - 1})
			return v.check(val)
		})
		v.depth--
		return end, ok
	case c == '[':
		if v.depth >= strictDepth {
			return i, false
		}
		v.depth++
		end, ok := jsonscan.Array(b, i, v.check)
		v.depth--
		return end, ok
	case c == '"':
		end, _, ok := jsonscan.String(b, i)
		return end, ok
	case c == '-' || '0' <= c && c <= '9':
		end, shape, ok := jsonscan.ScanNumber(b, i)
		return end, ok && shape != jsonscan.MayBeWhole
	default:
		return jsonscan.Literal(b, i)
	}
}

// pairwise is how many keys of an object the strict walk compares
// pairwise; it does not take a larger object.
const pairwise = 16

// validate checks the value at b[i] against n. It returns the index just
// past the value (-1 when it did not need to find it and the value is an
// object or an array, as after a sure failure inside it; see endOf), the
// verdict, and whether the verdict is certain. When sure is false, end and valid mean nothing.
func (v *validator) validate(n *node, i int) (end int, valid, sure bool) {
	b := v.b
	if n.always != nil {
		return -1, *n.always, true
	}
	if i >= len(b) {
		return v.fail() // strict only: prepared content is one value
	}
	end = -1
	var flags jsonscan.StringFlags
	ok := true
	integer := false // a number token without a fraction or an exponent
	var t uint8      // the value's JSON type, by its first byte
	switch b[i] {
	case '{':
		t = tObject
	case '[':
		t = tArray
	case '"':
		t = tString
		if n.lenient {
			return 0, false, false
		}
		end, flags, ok = jsonscan.String(b, i)
	case 't', 'f':
		t = tBool
		end, ok = jsonscan.Literal(b, i)
	case 'n':
		t = tNull
		end, ok = jsonscan.Literal(b, i)
	default:
		t = tNumber
		var shape jsonscan.NumberShape
		end, shape, ok = jsonscan.ScanNumber(b, i)
		integer = shape == jsonscan.Integral
		ok = ok && (shape != jsonscan.MayBeWhole || !v.strict)
	}
	if !ok {
		return v.fail() // strict only
	}
	if n.types != 0 && n.types&t == 0 {
		if t != tNumber || n.types&tInteger == 0 || !integer && !isInteger(b[i:end]) {
			return end, false, true
		}
	}
	if n.rest&t == 0 { // nothing but the type to check
		return end, true, true
	}
	if n.hasEnum && !v.inEnum(n, t, i, end, flags) {
		return end, false, true
	}
	unsure := false
	if n.combined {
		var failed bool
		if end, failed, unsure = v.combined(n, i, end); failed {
			return end, false, true
		}
	}
	valid = true

	// Keywords of the value's own type.
	switch {
	case t == tObject && n.objWalk:
		e, ok, sure := v.object(n, i)
		if sure && !ok {
			return e, false, true
		}
		if !sure || unsure {
			return 0, false, false
		}
		return e, true, true
	case t == tArray && n.arrWalk:
		e, ok, sure := v.array(n, i)
		if sure && !ok {
			return e, false, true
		}
		if !sure || unsure {
			return 0, false, false
		}
		return e, true, true
	case t == tString && n.strCheck:
		if !v.str(n, i, end, flags) {
			return end, false, true
		}
	case t == tNumber && n.numCheck:
		ok, sure := numberOK(n, b[i:end], integer)
		if sure && !ok {
			return end, false, true
		}
		unsure = unsure || !sure
	}
	if unsure {
		return 0, false, false
	}
	return end, valid, true
}

// combined applies the keywords of n that apply to the same value at b[i]
// (ref, allOf, anyOf, oneOf, not), whose end is end (-1: not found yet).
// failed is a sure failure of one of them, which decides whatever the
// others would say; unsure is that one of them could not decide.
func (v *validator) combined(n *node, i, end int) (newEnd int, failed, unsure bool) {
	fail := func() (int, bool, bool) { return end, true, false }
	apply := func(s *node) (bool, bool) {
		e, ok, sure := v.validate(s, i)
		if sure && e >= 0 {
			end = e
		}
		return ok, sure
	}
	if n.ref != nil {
		ok, sure := apply(n.ref)
		if sure && !ok {
			return fail()
		}
		unsure = unsure || !sure
	}
	for _, s := range n.allOf {
		ok, sure := apply(s)
		if sure && !ok {
			return fail()
		}
		unsure = unsure || !sure
	}
	if len(n.anyOf) > 0 {
		matched, maybe := false, false
		for _, s := range n.anyOf {
			ok, sure := apply(s)
			if sure && ok {
				matched = true
				break
			}
			maybe = maybe || !sure
		}
		if !matched && !maybe {
			return fail()
		}
		unsure = unsure || !matched
	}
	if len(n.oneOf) > 0 {
		count, maybe := 0, false
		for _, s := range n.oneOf {
			ok, sure := apply(s)
			if sure && ok {
				count++
			}
			maybe = maybe || !sure
		}
		if count > 1 || count == 0 && !maybe {
			return fail()
		}
		unsure = unsure || maybe
	}
	if n.not != nil {
		ok, sure := apply(n.not)
		if sure && ok {
			return fail()
		}
		unsure = unsure || !sure
	}
	return end, false, unsure
}

func (v *validator) endOf(i, end int) int {
	if end >= 0 {
		return end
	}
	if v.strict {
		e, ok := v.check(i)
		v.bad = v.bad || !ok
		return e
	}
	e, _ := jsonscan.Skip(v.b, i)
	return e
}

func (v *validator) object(n *node, i int) (end int, valid, sure bool) {
	if !v.strict {
		return v.members(n, i)
	}
	if v.depth >= strictDepth {
		return v.fail()
	}
	v.depth++
	end, valid, sure = v.members(n, i)
	v.depth--
	return end, valid, sure
}

// members walks the object at b[i] for object.
func (v *validator) members(n *node, i int) (end int, valid, sure bool) {
	b := v.b
	var seen uint64
	count := 0
	valid = true
	// For the strict walk, the keys so far: a bit per field of n (the
	// first 64) for a key that names one, the others as spans. A key that
	// names a field is not among the others.
	var named uint64
	var others []span
	next := 0 // the field tried first for the next key
	if v.strict {
		var room [pairwise]span
		others = room[:0]
	}
	i = jsonscan.SkipSpace(b, i+1)
	for {
		if v.strict && i >= len(b) {
			return v.fail()
		}
		if b[i] == '}' {
			break
		}
		kstart := i
		// The field after the last one matched usually comes next: its
		// name between quotes is the key, plain and not an annotation's,
		// with no scan, no lookup and no call of the annotation predicate.
		// With room for two words, the key and the colon are compared
		// with the field's words at once; a key that is not that token
		// (another, or spaced from its colon) is read as any other.
		k, kend := -1, 0
		var f *field // the field the key names
		if next < len(n.fields) {
			if g := &n.fields[next]; g.wlen > 0 && len(b)-i >= 16 {
				w := b[i : i+16]
				x0, x1 := binary.LittleEndian.Uint64(w[0:8]), binary.LittleEndian.Uint64(w[8:16])
				if (x0^g.w0)&g.m0|(x1^g.w1)&g.m1 == 0 {
					f, k, kend = g, next, i+g.wlen-1
				}
			} else if q := g.quoted; q != "" && len(b)-i >= len(q) && string(b[i:i+len(q)]) == q {
				f, k, kend = g, next, i+len(q)
			}
		}
		if f != nil {
			if v.strict && count == pairwise {
				return v.fail()
			}
			next++
		} else {
			var flags jsonscan.StringFlags
			var ok bool
			kend, flags, ok = jsonscan.String(b, i)
			if v.strict && (!ok || count == pairwise || !v.plainKey(kstart, kend, flags)) {
				return v.fail()
			}
			key := b[kstart+1 : kend-1]
			if !v.strict && !jsonscan.Plain(b[kstart:kend], flags) { // the strict walk took only plain keys
				v.scratch = jsonscan.Unquote(v.scratch[:0], b[kstart:kend])
				key = v.scratch
			}
			if k = n.lookup(key); k >= 0 {
				f, next = &n.fields[k], k+1
			}
		}
		if v.strict {
			switch {
			case k >= 0 && k < 64:
				if named&(1<<k) != 0 {
					return v.fail()
				}
				named |= 1 << k
			case v.among(kstart+1, kend-1, others):
				return v.fail()
			default:
				others = append(others, span{kstart + 1, kend - 1})
			}
		}
		colon := kend // usually: no space before the colon
		if colon >= len(b) || b[colon] != ':' {
			colon = jsonscan.SkipSpace(b, kend)
			if v.strict && (colon >= len(b) || b[colon] != ':') {
				return v.fail()
			}
		}
		i = jsonscan.SkipSpace(b, colon+1)
		count++
		var s *node
		if f != nil {
			seen |= f.bit
			s = f.schema
		}
		if s == nil {
			s = n.additional
		}
		// The member's value (s nil: any value): a sure failure stops
		// the walk with no end (a caller that walks on finds it with
		// endOf); when the fast path cannot decide, or the strict walk
		// does not take the value as is, it stops unsure.
		e := -1
		if s != nil {
			var ok, sure bool
			if e, ok, sure = v.validate(s, i); !sure {
				return 0, false, false
			} else if !ok {
				return -1, false, true
			}
		}
		if e < 0 {
			e = v.endOf(i, -1)
		}
		if v.bad {
			return v.fail()
		}
		// What follows: usually the next key or the end of the object,
		// as next reads them.
		if i = e; i+1 < len(b) && b[i] == ',' && b[i+1] == '"' {
			i++
			continue
		}
		if i < len(b) && b[i] == '}' {
			continue
		}
		if i = v.next(i, '}'); v.bad {
			return v.fail()
		}
	}
	end = i + 1
	if n.nrequired > 0 && seen != 1<<n.nrequired-1 {
		valid = false
	}
	if n.minProps >= 0 && count < n.minProps || n.maxProps >= 0 && count > n.maxProps {
		valid = false
	}
	return end, valid, true
}

// lookup returns the index of the field named key, or -1.
func (n *node) lookup(key []byte) int {
	if len(n.fields) <= 8 {
		for k := range n.fields {
			if n.fields[k].name == string(key) {
				return k
			}
		}
		return -1
	}
	if k, ok := n.byName[string(key)]; ok {
		return k
	}
	return -1
}

func (v *validator) array(n *node, i int) (end int, valid, sure bool) {
	if !v.strict {
		return v.elements(n, i)
	}
	if v.depth >= strictDepth {
		return v.fail()
	}
	v.depth++
	end, valid, sure = v.elements(n, i)
	v.depth--
	return end, valid, sure
}

// elements walks the array at b[i] for array, each element as members
// judges a member's value.
func (v *validator) elements(n *node, i int) (end int, valid, sure bool) {
	b := v.b
	count := 0
	i = jsonscan.SkipSpace(b, i+1)
	for {
		if v.strict && i >= len(b) {
			return v.fail()
		}
		if b[i] == ']' {
			break
		}
		count++
		e := -1
		if n.items != nil {
			var ok, sure bool
			if e, ok, sure = v.validate(n.items, i); !sure {
				return 0, false, false
			} else if !ok {
				return -1, false, true
			}
		}
		if e < 0 {
			e = v.endOf(i, -1)
		}
		if v.bad {
			return v.fail()
		}
		// What follows: usually a comma and the next element, or the
		// end of the array, as next reads them.
		if i = e; i+1 < len(b) && b[i] == ',' && b[i+1] > ' ' && b[i+1] != ']' {
			i++
			continue
		}
		if i < len(b) && b[i] == ']' {
			continue
		}
		if i = v.next(i, ']'); v.bad {
			return v.fail()
		}
	}
	valid = !(n.minItems >= 0 && count < n.minItems || n.maxItems >= 0 && count > n.maxItems)
	return i + 1, valid, true
}

// next reads what follows a member or an element at b[i]: a comma (it
// returns the index of the next one) or the closing byte (its index). The
// strict walk sets bad on anything else, and on a comma before the
// closing byte.
func (v *validator) next(i int, closing byte) int {
	b := v.b
	i = jsonscan.SkipSpace(b, i)
	if !v.strict {
		if b[i] == ',' {
			i = jsonscan.SkipSpace(b, i+1)
		}
		return i
	}
	switch {
	case i >= len(b):
		v.bad = true
	case b[i] == ',':
		i = jsonscan.SkipSpace(b, i+1)
		if i >= len(b) || b[i] == closing {
			v.bad = true
		}
	case b[i] != closing:
		v.bad = true
	}
	return i
}

// decoded returns the value of the string token b[i:end], whose flags
// are flags (in scratch when it needs decoding).
func (v *validator) decoded(i, end int, flags jsonscan.StringFlags) []byte {
	if flags == 0 { // neither an escape nor a byte to check as UTF-8: Plain
		return v.b[i+1 : end-1]
	}
	return v.decodedFlagged(i, end, flags)
}

// decodedFlagged is decoded of a token with flags.
func (v *validator) decodedFlagged(i, end int, flags jsonscan.StringFlags) []byte {
	tok := v.b[i:end]
	if jsonscan.Plain(tok, flags) {
		return tok[1 : len(tok)-1]
	}
	v.scratch = jsonscan.Unquote(v.scratch[:0], tok)
	return v.scratch
}

func (v *validator) str(n *node, i, end int, flags jsonscan.StringFlags) bool {
	s := v.decoded(i, end, flags)
	if n.minLen >= 0 || n.maxLen >= 0 {
		l := len(s) // a string without escapes or non-ASCII bytes is its bytes, one rune each
		if flags&(jsonscan.Escaped|jsonscan.NonASCII) != 0 {
			l = utf8.RuneCount(s)
		}
		if n.minLen >= 0 && l < n.minLen || n.maxLen >= 0 && l > n.maxLen {
			return false
		}
	}
	if n.fixedOK {
		return n.fixed.match(s)
	}
	return n.pattern == nil || n.pattern.Match(s)
}

func (v *validator) inEnum(n *node, t uint8, i, end int, flags jsonscan.StringFlags) bool {
	if t == tString {
		return n.strEnum[string(v.decoded(i, end, flags))]
	}
	var num *big.Rat
	for _, e := range n.enum {
		switch e := e.(type) {
		case nil:
			if t == tNull {
				return true
			}
		case bool:
			if t == tBool && e == (v.b[i] == 't') {
				return true
			}
		case *big.Rat:
			if t == tNumber {
				if num == nil {
					num, _ = new(big.Rat).SetString(string(v.b[i:end]))
				}
				if num != nil && num.Cmp(e) == 0 {
					return true
				}
			}
		}
	}
	return false
}

// toFloat is strconv.ParseFloat of a number token; an integer of up to
// 15 digits, exactly a float64, is converted without it.
func toFloat(tok []byte) (float64, error) {
	digits := tok
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return strconv.ParseFloat(string(tok), 64)
	}
	var n uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return strconv.ParseFloat(string(tok), 64)
		}
		n = n*10 + uint64(c-'0')
	}
	f := float64(n)
	if tok[0] == '-' {
		f = -f
	}
	return f, nil
}

// sign returns the sign of the number a valid number token stands for:
// -1, 0 or 1 (0 for any zero, -0.0e5 as well).
func sign(tok []byte) int {
	for _, c := range tok {
		if c == 'e' || c == 'E' {
			break
		}
		if '1' <= c && c <= '9' {
			if tok[0] == '-' {
				return -1
			}
			return 1
		}
	}
	return 0
}

// isInteger reports whether a number token is integral, as the full
// validator decides it (exactly, in rational arithmetic).
func isInteger(tok []byte) bool {
	for _, c := range tok {
		if c == '.' || c == 'e' || c == 'E' {
			r, ok := new(big.Rat).SetString(string(tok))
			return ok && r.IsInt()
		}
	}
	return true
}

// numberOK checks the bounds of the number token tok (integer: without
// a fraction or an exponent). An integer of up to 18 characters is
// compared with the integers the bounds allow (node.ints), exactly;
// otherwise floating point decides unless the number and a bound round
// to the same float64, where exact arithmetic does.
func numberOK(n *node, tok []byte, integer bool) (valid, sure bool) {
	if integer && len(tok) <= 18 { // |x| < 10^18: an int64
		digits := tok
		if tok[0] == '-' {
			digits = tok[1:]
		}
		var x int64
		for _, c := range digits {
			x = x*10 + int64(c-'0')
		}
		if tok[0] == '-' {
			x = -x
		}
		return n.ints.lo <= x && x <= n.ints.hi, true
	}
	var f float64
	var err error
	parsed := false
	for _, bd := range n.bounds {
		var c int
		if bd.zero { // the usual minimum 0: the sign decides, exactly
			c = sign(tok)
		} else if !parsed {
			f, err = toFloat(tok)
			parsed = true
		}
		switch {
		case bd.zero:
		case err == nil && f < bd.f:
			c = -1
		case err == nil && f > bd.f:
			c = 1
		default:
			r, ok := new(big.Rat).SetString(string(tok))
			if !ok {
				return false, false
			}
			c = r.Cmp(bd.rat)
		}
		switch bd.op {
		case '>':
			if c < 0 {
				return false, true
			}
		case '<':
			if c > 0 {
				return false, true
			}
		case 'g':
			if c <= 0 {
				return false, true
			}
		case 'l':
			if c >= 0 {
				return false, true
			}
		}
	}
	return true, true
}
