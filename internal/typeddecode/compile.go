package typeddecode

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	"github.com/retabhook/retabhook/internal/gojson"
	"github.com/retabhook/retabhook/internal/jsonscan"
)

// MaxDepth is how deep Decode follows arrays, objects and pointers before
// answering "not handled". With jsonscan's own limit on the values it
// skips, it stays below encoding/json's limit of 10000, so giving up is
// always safe.
const MaxDepth = 1000

// ArenaMax is the longest input whose strings share one allocation (see
// the package documentation); the strings of a longer one are allocated
// one by one.
const ArenaMax = 64 << 10

// maxFields bounds the fields of one struct type (the set of fields seen
// in an object is a bitset of that many bits on the stack).
const maxFields = 256

// ErrUnsupported is wrapped by the error of [Compile] for a type it does
// not compile; json.Unmarshal decodes that type.
var ErrUnsupported = errors.New("typeddecode: type not supported")

// Decoder decodes JSON into values of one type. It is safe for concurrent
// use.
type Decoder struct {
	typ  reflect.Type
	root node
	// etyp is the type word of an interface holding typ, when an
	// interface holds typ's values through a pointer (nil otherwise): a
	// value decoded into memory of its own is then boxed without a copy.
	etyp unsafe.Pointer
	// gather: the strings of an input of at most ArenaMax bytes are
	// gathered into one allocation of their length (state.gathered),
	// which needs every string written where it stays or in a slice's
	// scratch: not so for a map's keys and values, so a type with a map
	// has its strings point into a copy of the input instead.
	gather bool
	state  sync.Pool // *state
}

// Type returns the type the decoder decodes into.
func (d *Decoder) Type() reflect.Type { return d.typ }

type eface struct{ typ, data unsafe.Pointer }

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
)

// Compile builds the decoder of type t, reflecting on it once. Parts of t
// that the decoder does not implement natively are decoded with
// json.Unmarshal (see the package documentation); the error, wrapping
// [ErrUnsupported], is for a type the decoder cannot hold at all.
func Compile(t reflect.Type) (*Decoder, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: nil type", ErrUnsupported)
	}
	c := &compiler{plains: map[reflect.Type]node{}, pointers: map[reflect.Type]node{}}
	// json.Unmarshal(data, &v) starts from a non-nil *T it may not set.
	root, err := c.pointee(reflect.PointerTo(t))
	if err != nil {
		return nil, err
	}
	d := &Decoder{typ: t, root: root, gather: !c.maps}
	z := reflect.Zero(t).Interface()
	if e := (*eface)(unsafe.Pointer(&z)); e.data != nil {
		d.etyp = e.typ
	}
	d.state.New = func() any { return new(state) }
	return d, nil
}

type compiler struct {
	plains   map[reflect.Type]node // by type, once filled or being filled (recursive types)
	pointers map[reflect.Type]node
	maps     bool // a mapNode was compiled
}

// value returns the node of a settable value of type t (a struct field, an
// element, a map's value), as encoding/json's indirect treats it: a named
// type is addressed first, so that its pointer methods are found.
func (c *compiler) value(t reflect.Type) (node, error) {
	switch {
	case t.Kind() == reflect.Pointer:
		return c.pointer(t)
	case t.Name() != "":
		return c.pointee(reflect.PointerTo(t))
	}
	return c.plain(t)
}

// pointee returns the node of the value a non-nil pointer of type pt
// points to: its UnmarshalJSON, or its UnmarshalText (decoded by
// encoding/json), or the pointed-to kind.
func (c *compiler) pointee(pt reflect.Type) (node, error) {
	switch {
	case pt.Implements(unmarshalerType):
		return &unmarshalerNode{typ: pt.Elem()}, nil
	case pt.Implements(textUnmarshalerType):
		return &delegateNode{typ: pt.Elem()}, nil
	case pt.Elem().Kind() == reflect.Pointer:
		return c.pointer(pt.Elem())
	}
	return c.plain(pt.Elem())
}

func (c *compiler) pointer(t reflect.Type) (node, error) {
	if n, ok := c.pointers[t]; ok {
		return n, nil
	}
	n := &ptrNode{elem: t.Elem(), alloc: newAlloc(t.Elem())}
	c.pointers[t] = n
	to, err := c.pointee(t)
	if err != nil {
		return nil, err
	}
	n.to = to
	return n, nil
}

// plain returns the node of a value of type t as its kind decodes, its
// methods already looked at.
func (c *compiler) plain(t reflect.Type) (node, error) {
	if n, ok := c.plains[t]; ok {
		return n, nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return &boolNode{}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return newIntNode(t.Size(), true), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return newIntNode(t.Size(), false), nil
	case reflect.Float32:
		return &numNode{float: true, bits: 32}, nil
	case reflect.Float64:
		return &numNode{float: true, bits: 64}, nil
	case reflect.String:
		if t == numberType {
			return &numberNode{}, nil
		}
		return &stringNode{}, nil
	case reflect.Struct:
		return c.structNode(t)
	case reflect.Slice:
		n := &sliceNode{typ: t, size: t.Elem().Size(),
			bytes: t.Elem().Kind() == reflect.Uint8, base64: delegateNode{typ: t}, empty: reflect.MakeSlice(t, 0, 0).UnsafePointer()}
		n.scratch.New = func() any { return n.newScratch(int(scratchBytes / max(n.size, 1))) }
		return n, c.elem(t, n, &n.elem)
	case reflect.Array:
		n := &arrayNode{n: t.Len(), size: t.Elem().Size()}
		return n, c.elem(t, n, &n.elem)
	case reflect.Map:
		if t.Key().Kind() != reflect.String || reflect.PointerTo(t.Key()).Implements(textUnmarshalerType) {
			return &delegateNode{typ: t}, nil
		}
		n := &mapNode{typ: t, keyType: t.Key(), elemType: t.Elem()}
		c.maps = true
		return n, c.elem(t, n, &n.elem)
	}
	// Interfaces, and kinds encoding/json refuses (channels, functions,
	// complex numbers) but for null.
	return &delegateNode{typ: t}, nil
}

// elem records n as the node of t (so that a recursive type meets it
// again), then compiles the node of t's elements into *dst.
func (c *compiler) elem(t reflect.Type, n node, dst *node) error {
	c.plains[t] = n
	e, err := c.value(t.Elem())
	*dst = e
	return err
}

func (c *compiler) structNode(t reflect.Type) (node, error) {
	fields, _ := gojson.Fields(t)
	if len(fields) > maxFields {
		return nil, fmt.Errorf("%w: %s has %d fields (at most %d)", ErrUnsupported, t, len(fields), maxFields)
	}
	n := &structNode{selected: fields, fields: make([]field, len(fields))}
	c.plains[t] = n
	for k, f := range fields {
		fd := &n.fields[k]
		fd.name = f.Name
		fd.plain = jsonscan.PlainName(f.Name)
		fd.member = newMemberWords(f.Name)
		// The steps through embedded pointers, and the offset after the
		// last one.
		ct := t
		for j, ix := range f.Index {
			sf := ct.Field(ix)
			fd.off += sf.Offset
			if j == len(f.Index)-1 {
				break
			}
			ct = sf.Type
			if ct.Kind() == reflect.Pointer {
				ct = ct.Elem()
				fd.path = append(fd.path, embedStep{off: fd.off, elem: ct, settable: sf.IsExported()})
				fd.off = 0
			}
		}
		if f.Quoted || !f.Field.IsExported() {
			fd.node = &failNode{}
			continue
		}
		vn, err := c.value(f.Field.Type)
		if err != nil {
			return nil, err
		}
		fd.node = vn
	}
	return n, nil
}
