package fastpath

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/retabhook/retabhook/internal/jsonpointer"
	"github.com/retabhook/retabhook/internal/jsonscan"
)

// ErrUnsupported is wrapped by Compile's errors: the schema uses something
// the fast path does not implement, so the full validator is used for it.
var ErrUnsupported = errors.New("fastpath: schema not supported")

// Program is a schema compiled for [Program.Validate]. It is immutable and
// safe for concurrent use.
type Program struct {
	root *node
	// lenient: some enum holds a value that is not a string, which a
	// string may stand for (schemas.Schema.Validate's enum leniency).
	lenient bool
	// annotation reports an annotation key (nil: none is), for Route.
	annotation func(key []byte) bool
}

// JSON types, as bits.
const (
	tNull uint8 = 1 << iota
	tBool
	tNumber
	tInteger
	tString
	tArray
	tObject
)

type node struct {
	always *bool // a boolean schema: nothing else is set

	types uint8 // 0: any

	ref                 *node
	allOf, anyOf, oneOf []*node
	not                 *node

	enum    []any           // bool, nil, *big.Rat
	strEnum map[string]bool // the enum's strings
	hasEnum bool
	// combined: ref, allOf, anyOf, oneOf or not is set.
	combined bool
	// rest holds the type bits of the values for which more
	// than the type is checked: all with an enum or combined, tObject
	// with objWalk, tArray with arrWalk, tString with strCheck, tNumber
	// with numCheck.
	rest    uint8
	lenient bool // the enum holds a value that is not a string

	// object
	fields             []field // properties and required names, by name
	byName             map[string]int
	nrequired          int
	additional         *node // nil: any value allowed
	minProps, maxProps int
	objWalk            bool

	// array
	items              *node
	minItems, maxItems int
	arrWalk            bool

	// string
	minLen, maxLen int
	pattern        *regexp.Regexp
	fixed          fixedPattern // the pattern, when fixedOK
	fixedOK        bool
	strCheck       bool

	// number
	bounds   []bound
	numCheck bool
	ints     intRange // the integers bounds allows
}

// intRange is the integers from lo to hi (none when lo > hi): those of
// int64 that a node's bounds allow, so that an integer token is checked
// with two comparisons, exactly.
type intRange struct{ lo, hi int64 }

type field struct {
	name     string
	schema   *node // nil when the name is only required
	required int   // bit index, -1 when not required
	// quoted is the name between quotes when it is plain (printable
	// ASCII without '"' or '\\') and not an annotation key (Compile's
	// predicate): a key token of these bytes is the name, unescaped,
	// plain, and one Route takes. "" otherwise (such a key is read and
	// judged as one that names no field).
	quoted string
	// bit is 1<<required, 0 when the name is not required.
	bit uint64
	// The key token and the colon after it (quoted+":") when they fit in
	// 16 bytes: their little-endian words and the masks of their bytes
	// (words of 16 bytes of the content compare with them), and their
	// length (0: they do not fit, or quoted is "").
	w0, w1, m0, m1 uint64
	wlen           int
}

type bound struct {
	op   byte // '<' (maximum), '>' (minimum), 'l' (exclusiveMaximum), 'g' (exclusiveMinimum)
	rat  *big.Rat
	f    float64
	zero bool // the bound is 0: a number's sign compares it
}

// Compile compiles a JSON Schema document (draft 2020-12, as package
// schemas compiles it). It returns an error wrapping [ErrUnsupported] when
// the schema uses a keyword, a reference or a value the fast path does not
// implement. annotation reports an annotation key (decoded), which
// [Program.Route] does not take as it is (schemas.IsAnnotationKey; nil:
// no key is one); it is asked once per property name here, so that Route
// asks it only of the keys that name no property.
func Compile(doc []byte, annotation func(key []byte) bool) (*Program, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	c := &compiler{doc: root, byPtr: map[string]*node{}}
	if m, ok := root.(map[string]any); ok {
		if s, ok := m["$schema"]; ok {
			if s != "https://json-schema.org/draft/2020-12/schema" && s != "https://json-schema.org/draft/2020-12/schema#" {
				return nil, fmt.Errorf("%w: $schema %v", ErrUnsupported, s)
			}
		}
	}
	n, err := c.compile("", root)
	if err != nil {
		return nil, err
	}
	for len(c.refs) > 0 { // resolving may compile nodes with references of their own
		ref := c.refs[len(c.refs)-1]
		c.refs = c.refs[:len(c.refs)-1]
		target, err := c.resolve(ref.ptr)
		if err != nil {
			return nil, err
		}
		ref.n.ref = target
	}
	if err := checkCycles(n); err != nil {
		return nil, err
	}
	for ptr, m := range c.byPtr {
		m.combined = len(m.sameValue()) > 0
		m.orderFields(propertyOrder(doc, ptr))
		m.rest = m.restTypes()
	}
	for _, m := range c.byPtr {
		m.skipRefs()
		for k := range m.fields {
			f := &m.fields[k]
			if annotation != nil && annotation([]byte(f.name)) {
				f.quoted = ""
			}
			if f.required >= 0 {
				f.bit = 1 << f.required
			}
			if tok := f.quoted + ":"; f.quoted != "" && len(tok) <= 16 {
				var w [16]byte
				copy(w[:], tok)
				f.w0, f.w1 = binary.LittleEndian.Uint64(w[0:8]), binary.LittleEndian.Uint64(w[8:16])
				f.m0, f.m1 = byteMask(len(tok)), byteMask(len(tok)-8)
				f.wlen = len(tok)
			}
		}
	}
	return &Program{root: n.target(), lenient: c.lenient, annotation: annotation}, nil
}

// restTypes computes rest.
func (n *node) restTypes() uint8 {
	var rest uint8
	if n.hasEnum || n.combined {
		rest = tNull | tBool | tNumber | tString | tArray | tObject
	}
	for _, k := range []struct {
		on bool
		t  uint8
	}{{n.objWalk, tObject}, {n.arrWalk, tArray}, {n.strCheck, tString}, {n.numCheck, tNumber}} {
		if k.on {
			rest |= k.t
		}
	}
	return rest
}

// onlyRef reports that n holds nothing but a $ref (annotations aside, as
// "supplier": {"$ref": "#/$defs/Party", "description": ...} or an
// array's items): it validates a value exactly as its target does.
func (n *node) onlyRef() bool {
	return n.ref != nil && n.always == nil && n.types == 0 && !n.hasEnum && n.not == nil &&
		len(n.allOf)+len(n.anyOf)+len(n.oneOf) == 0 && !n.objWalk && !n.arrWalk && !n.strCheck && !n.numCheck
}

// target is the node that decides for n: n, or the target of its $ref
// when it holds nothing else (checkCycles refused a loop of those).
func (n *node) target() *node {
	for n != nil && n.onlyRef() {
		n = n.ref
	}
	return n
}

// skipRefs points n's keywords at the targets of the nodes that hold
// nothing but a $ref, so that the walk does not apply such a node (a
// frame of validate and of combined per value) to get its target's
// verdict: the verdicts, ends and failures are the target's either way.
func (n *node) skipRefs() {
	n.ref = n.ref.target()
	n.not = n.not.target()
	n.additional = n.additional.target()
	n.items = n.items.target()
	for _, subs := range [][]*node{n.allOf, n.anyOf, n.oneOf} {
		for k, s := range subs {
			subs[k] = s.target()
		}
	}
	for k := range n.fields {
		n.fields[k].schema = n.fields[k].schema.target()
	}
}

// orderFields puts n's fields in the order of its properties in the
// document (the order instances usually follow: the walk tries the field
// after the last one matched first), the names that are only required
// last. The order changes no verdict.
func (n *node) orderFields(order map[string]int) {
	if len(n.fields) < 2 {
		return
	}
	pos := func(f field) int {
		if k, ok := order[f.name]; ok {
			return k
		}
		return len(order)
	}
	slices.SortStableFunc(n.fields, func(a, b field) int { return pos(a) - pos(b) })
	for k, f := range n.fields {
		n.byName[f.name] = k
	}
}

// propertyOrder returns the position of each name in the properties
// object of the schema at ptr in doc (nil when there is none).
func propertyOrder(doc []byte, ptr string) map[string]int {
	i, ok := valueAt(doc, ptr+"/properties")
	if !ok || doc[i] != '{' {
		return nil
	}
	order := map[string]int{}
	jsonscan.Object(doc, i, func(key, keyEnd int, flags jsonscan.StringFlags, v int) (int, bool) {
		name := string(jsonscan.Unquote(nil, doc[key:keyEnd]))
		if _, seen := order[name]; !seen {
			order[name] = len(order)
		}
		return jsonscan.Skip(doc, v)
	})
	return order
}

// valueAt returns the index in doc of the value at the JSON Pointer ptr.
func valueAt(doc []byte, ptr string) (int, bool) {
	i := jsonscan.SkipSpace(doc, 0)
	if ptr == "" {
		return i, i < len(doc)
	}
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = jsonpointer.Unescape(tok)
		if i >= len(doc) {
			return 0, false
		}
		found := -1
		switch doc[i] {
		case '{':
			jsonscan.Object(doc, i, func(key, keyEnd int, flags jsonscan.StringFlags, v int) (int, bool) {
				if found < 0 && string(jsonscan.Unquote(nil, doc[key:keyEnd])) == tok {
					found = v
				}
				return jsonscan.Skip(doc, v)
			})
		case '[':
			n, err := strconv.Atoi(tok)
			if err != nil {
				return 0, false
			}
			k := 0
			jsonscan.Array(doc, i, func(v int) (int, bool) {
				if k == n {
					found = v
				}
				k++
				return jsonscan.Skip(doc, v)
			})
		}
		if found < 0 {
			return 0, false
		}
		i = found
	}
	return i, true
}

type compiler struct {
	lenient bool
	doc     any
	byPtr   map[string]*node
	refs    []pendingRef
}

type pendingRef struct {
	n   *node
	ptr string
}

// annotations are keywords that do not affect validation as package
// schemas compiles schemas (format is not asserted in draft 2020-12).
var annotations = map[string]bool{
	"title": true, "description": true, "default": true, "examples": true,
	"deprecated": true, "readOnly": true, "writeOnly": true, "$comment": true,
	"format": true, "contentEncoding": true, "contentMediaType": true,
	"$defs": true, "definitions": true,
}

func (c *compiler) compile(ptr string, v any) (*node, error) {
	if n, ok := c.byPtr[ptr]; ok {
		return n, nil
	}
	n := &node{minProps: -1, maxProps: -1, minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}
	c.byPtr[ptr] = n
	fail := func(format string, args ...any) (*node, error) {
		return nil, fmt.Errorf("%w: at %q: %s", ErrUnsupported, ptr, fmt.Sprintf(format, args...))
	}
	switch v := v.(type) {
	case bool:
		n.always = &v
		return n, nil
	case map[string]any:
		// Compile the definitions first so that references find them.
		for _, defs := range []string{"$defs", "definitions"} {
			if d, ok := v[defs]; ok {
				dm, ok := d.(map[string]any)
				if !ok {
					return fail("%s is not an object", defs)
				}
				for name, sub := range dm {
					if _, err := c.compile(ptr+"/"+defs+"/"+jsonpointer.Escape(name), sub); err != nil {
						return nil, err
					}
				}
			}
		}
		for kw, val := range v {
			if annotations[kw] || strings.HasPrefix(kw, "x-") || strings.HasPrefix(kw, "X-") || kw == "$schema" && ptr == "" {
				continue
			}
			var err error
			switch kw {
			case "type":
				err = n.setTypes(val)
			case "$ref":
				s, ok := val.(string)
				if !ok || !strings.HasPrefix(s, "#") || strings.Contains(s, "%") {
					return fail("$ref %v", val)
				}
				c.refs = append(c.refs, pendingRef{n, s[1:]})
			case "properties":
				props, ok := val.(map[string]any)
				if !ok {
					return fail("properties is not an object")
				}
				for name, sub := range props {
					sn, err := c.compile(ptr+"/properties/"+jsonpointer.Escape(name), sub)
					if err != nil {
						return nil, err
					}
					n.field(name).schema = sn
				}
				n.objWalk = true
			case "required":
				names, ok := val.([]any)
				if !ok {
					return fail("required is not an array")
				}
				for _, name := range names {
					s, ok := name.(string)
					if !ok {
						return fail("required holds %v", name)
					}
					if f := n.field(s); f.required < 0 {
						f.required = n.nrequired
						n.nrequired++
					}
				}
				if n.nrequired > 64 {
					return fail("more than 64 required properties")
				}
				n.objWalk = n.objWalk || n.nrequired > 0
			case "additionalProperties":
				n.additional, err = c.compile(ptr+"/additionalProperties", val)
				n.objWalk = true
			case "items":
				n.items, err = c.compile(ptr+"/items", val)
				n.arrWalk = true
			case "allOf", "anyOf", "oneOf":
				subs, ok := val.([]any)
				if !ok || len(subs) == 0 {
					return fail("%s is not a non-empty array", kw)
				}
				nodes := make([]*node, len(subs))
				for i, sub := range subs {
					if nodes[i], err = c.compile(ptr+"/"+kw+"/"+strconv.Itoa(i), sub); err != nil {
						return nil, err
					}
				}
				switch kw {
				case "allOf":
					n.allOf = nodes
				case "anyOf":
					n.anyOf = nodes
				default:
					n.oneOf = nodes
				}
			case "not":
				n.not, err = c.compile(ptr+"/not", val)
			case "enum", "const":
				vals := []any{val}
				if kw == "enum" {
					var ok bool
					if vals, ok = val.([]any); !ok {
						return fail("enum is not an array")
					}
				}
				if n.hasEnum {
					return fail("both enum and const")
				}
				n.hasEnum = true
				for _, e := range vals {
					switch e := e.(type) {
					case string:
						if n.strEnum == nil {
							n.strEnum = map[string]bool{}
						}
						n.strEnum[e] = true
					case nil, bool:
						n.enum = append(n.enum, e)
						n.lenient, c.lenient = true, true
					case json.Number:
						n.lenient, c.lenient = true, true
						r, ok := new(big.Rat).SetString(string(e))
						if !ok {
							return fail("enum value %v", e)
						}
						n.enum = append(n.enum, r)
					default:
						return fail("enum holds an object or an array")
					}
				}
			case "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties":
				num, ok := val.(json.Number)
				k, perr := strconv.Atoi(string(num))
				if !ok || perr != nil || k < 0 {
					return fail("%s is %v", kw, val)
				}
				switch kw {
				case "minLength":
					n.minLen, n.strCheck = k, true
				case "maxLength":
					n.maxLen, n.strCheck = k, true
				case "minItems":
					n.minItems, n.arrWalk = k, true
				case "maxItems":
					n.maxItems, n.arrWalk = k, true
				case "minProperties":
					n.minProps, n.objWalk = k, true
				default:
					n.maxProps, n.objWalk = k, true
				}
			case "pattern":
				s, ok := val.(string)
				if !ok {
					return fail("pattern is %v", val)
				}
				if n.pattern, err = regexp.Compile(s); err != nil {
					return fail("pattern: %v", err)
				}
				n.fixed, n.fixedOK = compileFixed(s)
				n.strCheck = true
			case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
				num, ok := val.(json.Number)
				r, rok := new(big.Rat).SetString(string(num))
				if !ok || !rok {
					return fail("%s is %v", kw, val)
				}
				f, _ := r.Float64()
				op := map[string]byte{"minimum": '>', "maximum": '<', "exclusiveMinimum": 'g', "exclusiveMaximum": 'l'}[kw]
				n.bounds = append(n.bounds, bound{op: op, rat: r, f: f, zero: r.Sign() == 0})
				n.numCheck = true
			default:
				return fail("keyword %q", kw)
			}
			if err != nil {
				return nil, err
			}
		}
		n.ints = integersIn(n.bounds)
		return n, nil
	default:
		return fail("a schema is neither an object nor a boolean")
	}
}

// byteMask is the mask of the n low bytes of a word (none below 1, all
// from 8).
func byteMask(n int) uint64 {
	switch {
	case n <= 0:
		return 0
	case n >= 8:
		return ^uint64(0)
	}
	return 1<<(8*n) - 1
}

// integersIn returns the int64 values that satisfy every bound, exactly:
// x >= r holds for an integer x when x >= ceil(r), x > r when
// x >= floor(r)+1, x <= r when x <= floor(r), x < r when x <= ceil(r)-1.
func integersIn(bounds []bound) intRange {
	lo, hi := big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64)
	for _, bd := range bounds {
		floor := new(big.Int).Div(bd.rat.Num(), bd.rat.Denom()) // Euclidean: rounds down, the denominator being positive
		ceil := new(big.Int).Neg(new(big.Int).Div(new(big.Int).Neg(bd.rat.Num()), bd.rat.Denom()))
		switch bd.op {
		case '>':
			if ceil.Cmp(lo) > 0 {
				lo = ceil
			}
		case 'g':
			if b := floor.Add(floor, big.NewInt(1)); b.Cmp(lo) > 0 {
				lo = b
			}
		case '<':
			if floor.Cmp(hi) < 0 {
				hi = floor
			}
		case 'l':
			if b := ceil.Sub(ceil, big.NewInt(1)); b.Cmp(hi) < 0 {
				hi = b
			}
		}
	}
	if lo.Cmp(hi) > 0 || !lo.IsInt64() || !hi.IsInt64() {
		// None: lo is above MaxInt64, hi below MinInt64, or lo above hi.
		return intRange{1, 0}
	}
	return intRange{lo.Int64(), hi.Int64()}
}

func (n *node) field(name string) *field {
	if n.byName == nil {
		n.byName = map[string]int{}
	}
	if i, ok := n.byName[name]; ok {
		return &n.fields[i]
	}
	n.byName[name] = len(n.fields)
	f := field{name: name, required: -1}
	if jsonscan.PlainName(name) {
		f.quoted = `"` + name + `"`
	}
	n.fields = append(n.fields, f)
	return &n.fields[len(n.fields)-1]
}

func (n *node) setTypes(v any) error {
	names := []any{v}
	if arr, ok := v.([]any); ok {
		names = arr
	}
	for _, name := range names {
		s, _ := name.(string)
		switch s {
		case "null":
			n.types |= tNull
		case "boolean":
			n.types |= tBool
		case "number":
			n.types |= tNumber
		case "integer":
			n.types |= tInteger
		case "string":
			n.types |= tString
		case "array":
			n.types |= tArray
		case "object":
			n.types |= tObject
		default:
			return fmt.Errorf("%w: type %v", ErrUnsupported, name)
		}
	}
	if n.types == 0 {
		return fmt.Errorf("%w: empty type", ErrUnsupported)
	}
	return nil
}

// resolve finds the node of a JSON Pointer into the document, compiling it
// when no keyword led there yet.
func (c *compiler) resolve(ptr string) (*node, error) {
	if n, ok := c.byPtr[ptr]; ok {
		return n, nil
	}
	if ptr != "" && ptr[0] != '/' {
		return nil, fmt.Errorf("%w: $ref #%s", ErrUnsupported, ptr)
	}
	v := c.doc
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = jsonpointer.Unescape(tok)
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, fmt.Errorf("%w: $ref #%s not found", ErrUnsupported, ptr)
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("%w: $ref #%s not found", ErrUnsupported, ptr)
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("%w: $ref #%s not found", ErrUnsupported, ptr)
		}
	}
	return c.compile(ptr, v)
}

// checkCycles refuses schemas whose keywords apply to the same value in a
// loop ($ref: "#" inside allOf at the root, say): the full validator
// reports those as errors, and Validate would not terminate.
func checkCycles(root *node) error {
	var all []*node
	seen := map[*node]bool{}
	var collect func(n *node)
	collect = func(n *node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		all = append(all, n)
		for _, s := range n.sameValue() {
			collect(s)
		}
		collect(n.additional)
		collect(n.items)
		for _, f := range n.fields {
			collect(f.schema)
		}
	}
	collect(root)
	state := map[*node]int{} // 1: on the path, 2: done
	var visit func(n *node) error
	visit = func(n *node) error {
		switch state[n] {
		case 1:
			return fmt.Errorf("%w: a reference cycle", ErrUnsupported)
		case 2:
			return nil
		}
		state[n] = 1
		for _, s := range n.sameValue() {
			if err := visit(s); err != nil {
				return err
			}
		}
		state[n] = 2
		return nil
	}
	for _, n := range all {
		if err := visit(n); err != nil {
			return err
		}
	}
	return nil
}

// sameValue lists the nodes that apply to the same value as n.
func (n *node) sameValue() []*node {
	var out []*node
	if n.ref != nil {
		out = append(out, n.ref)
	}
	if n.not != nil {
		out = append(out, n.not)
	}
	out = append(out, n.allOf...)
	out = append(out, n.anyOf...)
	return append(out, n.oneOf...)
}

// fixedPattern is a pattern that matches the strings of len(p) bytes
// whose k-th byte is in p[k], as "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" (a date's,
// schemas.Date and validate:"datetime=2006-01-02"): checked byte by byte,
// without the regexp machine, for the same verdict.
type fixedPattern []asciiSet

// asciiSet is a set of ASCII bytes, a bit each.
type asciiSet [2]uint64

func (a *asciiSet) add(c rune) { a[c>>6] |= 1 << (c & 63) }

func (a *asciiSet) has(c byte) bool { return c < 0x80 && a[c>>6]&(1<<(c&63)) != 0 }

// compileFixed returns the fixedPattern of expr when expr, as
// regexp.Compile reads it (syntax.Perl, simplified), is the beginning of
// the text, a sequence of ASCII literals and classes of ASCII bytes (a
// capture or a repetition a fixed number of times of those), and the end
// of the text. Then regexp's Match of a string is the fixedPattern's: a
// rune the regexp machine reads matches a class only if it is one ASCII
// byte (an invalid byte is read as U+FFFD, which no class holds), so a
// string matches only if it has exactly a byte per class, each in its
// class. Case folding (a literal's flag; a class holds its folds, U+212A
// for k among them) and anything else are left to regexp.
func compileFixed(expr string) (fixedPattern, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, false
	}
	var parts []*syntax.Regexp
	var flatten func(re *syntax.Regexp)
	flatten = func(re *syntax.Regexp) {
		switch re.Op {
		case syntax.OpConcat:
			for _, sub := range re.Sub {
				flatten(sub)
			}
		case syntax.OpCapture:
			flatten(re.Sub[0])
		default:
			parts = append(parts, re)
		}
	}
	flatten(re.Simplify())
	if len(parts) < 2 || parts[0].Op != syntax.OpBeginText || parts[len(parts)-1].Op != syntax.OpEndText {
		return nil, false
	}
	p := fixedPattern{}
	for _, part := range parts[1 : len(parts)-1] {
		switch part.Op {
		case syntax.OpLiteral:
			if part.Flags&syntax.FoldCase != 0 {
				return nil, false
			}
			for _, r := range part.Rune {
				if r < 0 || r >= 0x80 {
					return nil, false
				}
				var set asciiSet
				set.add(r)
				p = append(p, set)
			}
		case syntax.OpCharClass:
			var set asciiSet
			for k := 0; k+1 < len(part.Rune); k += 2 {
				lo, hi := part.Rune[k], part.Rune[k+1]
				if lo < 0 || hi >= 0x80 {
					return nil, false
				}
				for r := lo; r <= hi; r++ {
					set.add(r)
				}
			}
			p = append(p, set)
		default:
			return nil, false
		}
	}
	return p, true
}

// match reports whether s matches the pattern.
func (p fixedPattern) match(s []byte) bool {
	if len(s) != len(p) {
		return false
	}
	for k, c := range s {
		if !p[k].has(c) {
			return false
		}
	}
	return true
}
