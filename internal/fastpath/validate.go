package fastpath

import (
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
}

func typeAt(c byte) uint8 {
	switch c {
	case '{':
		return tObject
	case '[':
		return tArray
	case '"':
		return tString
	case 't', 'f':
		return tBool
	case 'n':
		return tNull
	}
	return tNumber
}

// validate checks the value at b[i] against n. It returns the index just
// past the value (-1 when it did not need to find it and the value is an
// object or an array; see endOf), the verdict, and whether the verdict is
// certain. When sure is false, end and valid mean nothing.
func (v *validator) validate(n *node, i int) (end int, valid, sure bool) {
	b := v.b
	if n.always != nil {
		return -1, *n.always, true
	}
	t := typeAt(b[i])
	if n.lenient && t == tString {
		return 0, false, false
	}
	end = -1
	var flags jsonscan.StringFlags
	switch t {
	case tString:
		end, flags, _ = jsonscan.String(b, i)
	case tNumber:
		end, _, _ = jsonscan.Number(b, i)
	case tBool, tNull:
		end, _ = jsonscan.Literal(b, i)
	}
	if n.types != 0 && n.types&t == 0 {
		if t != tNumber || n.types&tInteger == 0 || !isInteger(b[i:end]) {
			return end, false, true
		}
	}
	if n.hasEnum && !v.inEnum(n, t, i, end, flags) {
		return end, false, true
	}
	unsure := false
	if n.combined {
		var failed bool
		if end, failed, unsure = v.combined(n, i, end); failed {
			return v.endOf(i, end), false, true
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
		ok, sure := numberOK(n, b[i:end])
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
	e, _ := jsonscan.Skip(v.b, i)
	return e
}

func (v *validator) object(n *node, i int) (end int, valid, sure bool) {
	b := v.b
	start := i
	var seen uint64
	count := 0
	valid = true
	i = jsonscan.SkipSpace(b, i+1)
	for b[i] != '}' {
		kstart := i
		kend, flags, _ := jsonscan.String(b, i)
		key := b[kstart+1 : kend-1]
		if !jsonscan.Plain(b[kstart:kend], flags) {
			v.scratch = jsonscan.Unquote(v.scratch[:0], b[kstart:kend])
			key = v.scratch
		}
		f := n.lookup(key)
		i = jsonscan.SkipSpace(b, jsonscan.SkipSpace(b, kend)+1)
		count++
		var s *node
		if f != nil {
			if f.required >= 0 {
				seen |= 1 << f.required
			}
			s = f.schema
		}
		if s == nil {
			s = n.additional
		}
		var ok, sure bool
		if i, ok, sure = v.member(s, start, i); !ok || !sure {
			return i, false, sure
		}
		i = jsonscan.SkipSpace(b, i)
		if b[i] == ',' {
			i = jsonscan.SkipSpace(b, i+1)
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

func (n *node) lookup(key []byte) *field {
	if len(n.fields) <= 8 {
		for k := range n.fields {
			if n.fields[k].name == string(key) {
				return &n.fields[k]
			}
		}
		return nil
	}
	if k, ok := n.byName[string(key)]; ok {
		return &n.fields[k]
	}
	return nil
}

// member validates the member or element at b[i] against s (nil accepts
// anything) and returns the index just past it. On an invalid value it
// returns the end of the container that starts at b[start], whose walk
// stops there; when the fast path cannot decide, sure is false.
func (v *validator) member(s *node, start, i int) (next int, valid, sure bool) {
	if s == nil {
		next, _ = jsonscan.Skip(v.b, i)
		return next, true, true
	}
	e, ok, sure := v.validate(s, i)
	switch {
	case !sure:
		return 0, false, false
	case !ok:
		return v.endOf(start, -1), false, true
	}
	return v.endOf(i, e), true, true
}

func (v *validator) array(n *node, i int) (end int, valid, sure bool) {
	b := v.b
	start := i
	count := 0
	i = jsonscan.SkipSpace(b, i+1)
	for b[i] != ']' {
		count++
		var ok, sure bool
		if i, ok, sure = v.member(n.items, start, i); !ok || !sure {
			return i, false, sure
		}
		i = jsonscan.SkipSpace(b, i)
		if b[i] == ',' {
			i = jsonscan.SkipSpace(b, i+1)
		}
	}
	valid = !(n.minItems >= 0 && count < n.minItems || n.maxItems >= 0 && count > n.maxItems)
	return i + 1, valid, true
}

// decoded returns the value of the string token b[i:end], whose flags
// are flags (in scratch when it needs decoding).
func (v *validator) decoded(i, end int, flags jsonscan.StringFlags) []byte {
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
		l := utf8.RuneCount(s)
		if n.minLen >= 0 && l < n.minLen || n.maxLen >= 0 && l > n.maxLen {
			return false
		}
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

// numberOK checks the bounds; floating point decides unless the number
// and a bound round to the same float64, where exact arithmetic does.
func numberOK(n *node, tok []byte) (valid, sure bool) {
	f, err := strconv.ParseFloat(string(tok), 64)
	for _, bd := range n.bounds {
		var c int
		switch {
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
