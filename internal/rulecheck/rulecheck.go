package rulecheck

import (
	"reflect"
	"strings"
	"time"
	"unsafe"

	"github.com/go-playground/validator/v10"
)

// Program checks the validate tags of one struct type. Build it with
// [Compile]; it is safe for concurrent use.
type Program struct {
	root *structProg
	// etyp is the type word of an interface holding a root value through
	// a pointer to it (nil when the type is pointer-shaped and the
	// interface holds the value itself): PassesAny reads the value there.
	etyp unsafe.Pointer
}

type eface struct{ typ, data unsafe.Pointer }

// structProg is what the validator's validateStruct does for a struct
// type: each of its fields the validator looks at, in order.
type structProg struct {
	typ    reflect.Type
	unsure bool        // the validator panics reading the type's tags
	done   bool        // compiled (false while its own fields are being compiled)
	fast   bool        // every node under it has a pointer form (passesAt)
	fields []fieldProg // the fields with something to check
}

type fieldProg struct {
	index int
	off   uintptr
	n     *node
	// leaf is the pointer form of n when n is one rule on the field's
	// own value (no pointer, nothing nested), called without passesAt.
	leaf func(unsafe.Pointer) bool
}

// node is what the validator's traverseField does with a value of one
// static type and the rest of a tag chain: look through pointers, apply
// the rules in order, dive into elements, descend into a struct.
type node struct {
	unsure bool    // the validator would call a ValidatorValue method
	nilIs  verdict // for a nil pointer
	viaPtr bool    // the value is reached through a pointer (the validator's fldIsPointer)
	iface  bool    // an interface, untagged or with omit options: only its dynamic value is looked at
	steps  []step
	nested *structProg // descended into at the end of the chain
	// For the pointer form: the pointers to look through, and the kind
	// and size of the value after them (and of its elements, or its
	// length as an array, for dive).
	ptrs     int
	kind     reflect.Kind
	size     uintptr
	elemSize uintptr
	arrayLen int
}

type verdict uint8

const (
	pass verdict = iota
	fail
	unsure
)

type stepKind uint8

const (
	stepTest       stepKind = iota
	stepOmitEmpty           // stop, passing, when the value is empty (hasValue)
	stepOmitZero            // stop, passing, when the value is zero (hasNotZeroValue)
	stepOmitNil             // stop, passing, when the value is a nil slice, map...
	stepStop                // nostructlevel: the validator returns
	stepStructOnly          // structonly: the validator reads a struct's tags and returns
	stepDive
	stepUnsure // a rule the program does not implement
)

type step struct {
	kind stepKind
	check
	elem *node // stepDive: the elements' node
}

var (
	timeType   = reflect.TypeFor[time.Time]()
	valuerType = reflect.TypeFor[validator.Valuer]()
)

// Compile reads the validate tags of t (a struct type, or a pointer to
// one) and of every struct type reachable from it. v is the validator the
// caller falls back on: Compile asks it whether each struct type's tags
// parse, so a tag that makes it panic makes the program unsure instead.
// Compile returns nil when validator.Struct would refuse t itself (a type
// that is not a struct, or converts to time.Time); a nil Program passes
// nothing.
func Compile(v *validator.Validate, t reflect.Type) *Program {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.ConvertibleTo(timeType) {
		return nil
	}
	c := &compiler{v: v, structs: map[reflect.Type]*structProg{}}
	p := &Program{root: c.structOf(t)}
	c.markFast()
	z := reflect.Zero(t).Interface()
	if e := (*eface)(unsafe.Pointer(&z)); e.data != nil {
		p.etyp = e.typ
	}
	return p
}

// PassesAny is Passes for the value x holds (a value of the compiled
// struct type, not a pointer to it), read in place when every rule under
// the type has a pointer form: the same answer without reflect.Value.
func (p *Program) PassesAny(x any) bool {
	if p == nil {
		return false
	}
	if e := (*eface)(unsafe.Pointer(&x)); p.etyp != nil && e.typ == p.etyp && p.root.fast {
		return p.root.passesAt(e.data)
	}
	return p.Passes(reflect.ValueOf(x))
}

func (sp *structProg) passesAt(p unsafe.Pointer) bool {
	for i := range sp.fields {
		f := &sp.fields[i]
		if f.leaf != nil {
			if !f.leaf(unsafe.Add(p, f.off)) {
				return false
			}
		} else if !f.n.passesAt(unsafe.Add(p, f.off)) {
			return false
		}
	}
	return true
}

// passesAt is passes for the value at p, of the node's static type: a
// node of a fast struct only (fastNode).
func (n *node) passesAt(p unsafe.Pointer) bool {
	for range n.ptrs {
		if p = *(*unsafe.Pointer)(p); p == nil {
			return n.nilIs == pass
		}
	}
	for i := range n.steps {
		s := &n.steps[i]
		switch s.kind {
		case stepTest:
			if !s.ptest(p) {
				return false
			}
		case stepOmitEmpty:
			if !hasValueAt(n.kind, n.size, p, n.viaPtr) {
				return true
			}
		case stepOmitZero:
			if !hasNotZeroValueAt(n.kind, n.size, p) {
				return true
			}
		case stepOmitNil:
			if (n.kind == reflect.Slice || n.kind == reflect.Map) && *(*unsafe.Pointer)(p) == nil {
				return true
			}
		case stepStop:
			return true
		case stepStructOnly:
			return n.nested == nil || !n.nested.unsure
		case stepDive:
			base, length := p, n.arrayLen
			if n.kind == reflect.Slice {
				h := (*sliceHeader)(p)
				base, length = h.data, h.len
			}
			for i := range length {
				if !s.elem.passesAt(unsafe.Add(base, uintptr(i)*n.elemSize)) {
					return false
				}
			}
			return true
		default:
			return false
		}
	}
	if n.nested != nil {
		return n.nested.passesAt(p)
	}
	return true
}

// zeroable reports whether isZeroAt reads a value of kind k.
func zeroable(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		return true
	}
	return false
}

// isZeroAt is Value.IsZero for a value of a zeroable kind k and size
// bytes at p.
func isZeroAt(k reflect.Kind, size uintptr, p unsafe.Pointer) bool {
	switch k {
	case reflect.Bool:
		return !*(*bool)(p)
	case reflect.Float32:
		return *(*float32)(p) == 0
	case reflect.Float64:
		return *(*float64)(p) == 0
	case reflect.String:
		return len(*(*string)(p)) == 0
	}
	return uintAt(p, size) == 0 // an integer
}

// hasValueAt is hasValue for a value of a zeroable kind, a slice or a map.
func hasValueAt(k reflect.Kind, size uintptr, p unsafe.Pointer, viaPtr bool) bool {
	if k == reflect.Slice || k == reflect.Map {
		return *(*unsafe.Pointer)(p) != nil
	}
	return viaPtr || !isZeroAt(k, size, p)
}

// hasNotZeroValueAt is hasNotZeroValue for a value of a zeroable kind or
// a slice.
func hasNotZeroValueAt(k reflect.Kind, size uintptr, p unsafe.Pointer) bool {
	if k == reflect.Slice {
		h := (*sliceHeader)(p)
		return h.data != nil && h.len > 0
	}
	return !isZeroAt(k, size, p)
}

// markFast marks the struct programs whose every node has a pointer form,
// the largest such set (a recursive type stays fast unless something
// under it is not).
func (c *compiler) markFast() {
	for _, sp := range c.structs {
		sp.fast = !sp.unsure
	}
	for changed := true; changed; {
		changed = false
		for _, sp := range c.structs {
			if !sp.fast {
				continue
			}
			for i := range sp.fields {
				if !sp.fields[i].n.fastNode() {
					sp.fast, changed = false, true
					break
				}
			}
		}
	}
	for _, sp := range c.structs {
		for i := range sp.fields {
			f := &sp.fields[i]
			if n := f.n; sp.fast && n.ptrs == 0 && n.nested == nil && len(n.steps) == 1 && n.steps[0].kind == stepTest {
				f.leaf = n.steps[0].ptest
			}
		}
	}
}

// fastNode reports whether passesAt applies n with passes' answers.
func (n *node) fastNode() bool {
	if n.unsure || n.iface {
		return false
	}
	nilable := n.kind == reflect.Slice || n.kind == reflect.Map
	for i := range n.steps {
		s := &n.steps[i]
		switch s.kind {
		case stepTest:
			if s.ptest == nil {
				return false
			}
		case stepOmitEmpty:
			if !zeroable(n.kind) && !nilable {
				return false
			}
		case stepOmitZero:
			if !zeroable(n.kind) && n.kind != reflect.Slice {
				return false
			}
		case stepOmitNil:
			switch n.kind {
			case reflect.Chan, reflect.Func, reflect.Interface, reflect.Pointer, reflect.UnsafePointer:
				return false
			}
		case stepDive:
			if n.kind != reflect.Slice && n.kind != reflect.Array || !s.elem.fastNode() {
				return false
			}
		}
	}
	return n.nested == nil || n.nested.fast
}

// Passes reports whether validator.Struct would return nil for v, a value
// of the compiled struct type (not a pointer to it). False means a rule
// fails, or the program cannot tell: ask the validator.
func (p *Program) Passes(v reflect.Value) bool {
	if p == nil || !v.IsValid() || v.Type() != p.root.typ {
		return false
	}
	return p.root.passes(v)
}

func (sp *structProg) passes(v reflect.Value) bool {
	if sp.unsure {
		return false
	}
	for i := range sp.fields {
		f := &sp.fields[i]
		if !f.n.passes(v.Field(f.index)) {
			return false
		}
	}
	return true
}

func (n *node) passes(v reflect.Value) bool {
	if n.unsure {
		return false
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return n.nilIs == pass
		}
		v = v.Elem()
	}
	if n.iface {
		return v.IsNil() || dynamicPasses(v.Elem())
	}
	for i := range n.steps {
		s := &n.steps[i]
		switch s.kind {
		case stepTest:
			if !s.test(v) {
				return false
			}
		case stepOmitEmpty:
			if !hasValue(v, n.viaPtr) {
				return true
			}
		case stepOmitZero:
			if !hasNotZeroValue(v) {
				return true
			}
		case stepOmitNil:
			if nilable(v.Kind()) && v.IsNil() {
				return true
			}
		case stepStop:
			return true
		case stepStructOnly:
			return n.nested == nil || !n.nested.unsure
		case stepDive:
			if v.Kind() == reflect.Map {
				for it := v.MapRange(); it.Next(); {
					if !s.elem.passes(it.Value()) {
						return false
					}
				}
				return true
			}
			for i := range v.Len() {
				if !s.elem.passes(v.Index(i)) {
					return false
				}
			}
			return true
		default:
			return false
		}
	}
	if n.nested != nil {
		return n.nested.passes(v)
	}
	return true
}

// dynamicPasses reports whether the validator passes the dynamic value e
// of an untagged interface: it only looks inside a struct (which the
// program has not compiled) or through a ValidatorValue method.
func dynamicPasses(e reflect.Value) bool {
	for {
		if e.Type().Implements(valuerType) {
			return false
		}
		if k := e.Kind(); k != reflect.Pointer && k != reflect.Interface {
			break
		}
		if e.IsNil() {
			return true
		}
		e = e.Elem()
	}
	return e.Kind() != reflect.Struct
}

func nilable(k reflect.Kind) bool {
	switch k {
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
		return true
	}
	return false
}

// hasValue is the validator's required (and omitempty's test).
func hasValue(v reflect.Value, viaPtr bool) bool {
	if nilable(v.Kind()) {
		return !v.IsNil()
	}
	return viaPtr || !v.IsZero()
}

// hasNotZeroValue is omitzero's test.
func hasNotZeroValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return !v.IsNil() && v.Len() > 0
	case reflect.Pointer, reflect.Interface, reflect.Chan, reflect.Func:
		return !v.IsNil()
	}
	return !v.IsZero()
}

type compiler struct {
	v       *validator.Validate
	structs map[reflect.Type]*structProg
}

func (c *compiler) structOf(t reflect.Type) *structProg {
	if sp, ok := c.structs[t]; ok {
		return sp
	}
	sp := &structProg{typ: t}
	c.structs[t] = sp
	defer func() { sp.done = true }()
	if !c.parses(t) {
		sp.unsure = true
		return sp
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.Anonymous && f.PkgPath != "" {
			continue // the validator skips unexported fields, not embedded ones
		}
		tag := f.Tag.Get("validate")
		if tag == "-" {
			continue
		}
		var items []string
		if tag != "" {
			items = strings.Split(tag, ",")
		}
		if n := c.node(f.Type, items); !n.trivial() {
			sp.fields = append(sp.fields, fieldProg{index: i, off: f.Offset, n: n})
		}
	}
	return sp
}

// trivial reports whether n passes every value: it has no rules and
// nothing under it to look at (a struct type still being compiled, a
// recursive one, is not known to be trivial).
func (n *node) trivial() bool {
	return !n.unsure && !n.iface && n.nilIs == pass && len(n.steps) == 0 &&
		(n.nested == nil || n.nested.done && !n.nested.unsure && len(n.nested.fields) == 0)
}

// parses reports whether the validator reads t's tags without panicking:
// a partial validation that names no field parses them all and applies
// none.
func (c *compiler) parses(t reflect.Type) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	_ = c.v.StructPartial(reflect.New(t).Interface(), "\x00")
	return true
}

// node compiles the tag chain items for a value of static type t.
func (c *compiler) node(t reflect.Type, items []string) *node {
	n := &node{}
	for {
		if t.Implements(valuerType) {
			n.unsure = true
			return n
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t, n.viaPtr = t.Elem(), true
		n.ptrs++
	}
	n.kind, n.size = t.Kind(), t.Size()
	switch n.kind {
	case reflect.Slice:
		n.elemSize = t.Elem().Size()
	case reflect.Array:
		n.elemSize, n.arrayLen = t.Elem().Size(), t.Len()
	}
	n.nilIs = nilVerdict(items)
	switch t.Kind() {
	case reflect.Interface:
		// Only the omit options are implemented on an interface: they
		// either pass or leave the dynamic value to be looked at.
		for _, it := range items {
			if it != "omitempty" && it != "omitnil" && it != "omitzero" {
				n.unsure = true
			}
		}
		n.iface = true
		return n
	case reflect.Struct:
		if !t.ConvertibleTo(timeType) {
			n.nested = c.structOf(t)
		}
	}
	n.steps = c.steps(t, n.viaPtr, items)
	return n
}

// nilVerdict is what the validator says of a nil pointer, which depends on
// the first item of its tag chain only.
func nilVerdict(items []string) verdict {
	if len(items) == 0 {
		return pass
	}
	switch items[0] {
	case "omitempty", "omitzero", "omitnil", "isdefault":
		return pass
	case "dive", "structonly", "nostructlevel":
		return fail
	}
	if name, _, _ := strings.Cut(items[0], "="); !strings.Contains(items[0], "|") && (implemented[name] || delegated[name]) {
		return fail // a rule that does not run on nil
	}
	return unsure
}

func (c *compiler) steps(t reflect.Type, viaPtr bool, items []string) []step {
	var out []step
	for i, it := range items {
		switch it {
		case "omitempty":
			out = append(out, step{kind: stepOmitEmpty})
		case "omitzero":
			out = append(out, step{kind: stepOmitZero})
		case "omitnil":
			out = append(out, step{kind: stepOmitNil})
		case "structonly":
			return append(out, step{kind: stepStructOnly})
		case "nostructlevel":
			return append(out, step{kind: stepStop})
		case "dive":
			rest := items[i+1:]
			switch k := t.Kind(); {
			case len(rest) > 0 && (rest[0] == "keys" || rest[0] == "endkeys"):
			case k == reflect.Slice || k == reflect.Array || k == reflect.Map:
				return append(out, step{kind: stepDive, elem: c.node(t.Elem(), rest)})
			}
			return append(out, step{kind: stepUnsure})
		default:
			c, ok := rule(c.v, t, viaPtr, it)
			if !ok {
				return append(out, step{kind: stepUnsure})
			}
			out = append(out, step{kind: stepTest, check: c})
		}
	}
	return out
}
