package framework

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/retabhook/retabhook/internal/fastpath"
	"github.com/retabhook/retabhook/schemas"
)

// content is the extracted object of a delivery on its way to a route.
//
// The fast path (internal/fastpath) checks and prepares it from its bytes
// in one walk, validates the prepared bytes against a route's compiled
// schema in another, and decodes them straight into the registered type.
// The full path parses it into a tree (schemas.ParseInstance), validates
// the tree, and re-encodes it for the decoder. Both give the same verdicts
// and values (the differential tests in internal/fastpath); the full path
// runs whenever the fast one cannot answer with certainty, and always
// produces the violations of content that fails.
type content struct {
	raw   []byte
	clean []byte            // prepared by fastpath.Prepare; nil when it could not
	inst  *schemas.Instance // the full parse, made on demand
}

// parseContent prepares the content, or parses it when it cannot be
// prepared (and reports content that is not JSON).
func parseContent(raw []byte) (*content, []schemas.Annotation, error) {
	c := &content{raw: raw}
	if clean, anns, ok := fastpath.Prepare(raw); ok {
		c.clean = clean
		return c, anns, nil
	}
	inst, err := schemas.ParseInstance(raw)
	if err != nil {
		return nil, nil, err
	}
	c.inst = inst
	return c, inst.Annotations, nil
}

func (c *content) instance() (*schemas.Instance, error) {
	if c.inst == nil {
		inst, err := schemas.ParseInstance(c.raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidContent, err)
		}
		c.inst = inst
	}
	return c.inst, nil
}

// fastValid reports whether the fast path decided that the content is
// valid against rt's schema (valid) and whether it decided at all (sure).
func (c *content) fastValid(rt *route) (valid, sure bool) {
	if c.clean == nil || rt.fast == nil {
		return false, false
	}
	return rt.fast.Validate(c.clean)
}

// matches reports whether the content is valid against rt's schema, for
// routing by schema match: the fast path's verdict when it is sure (valid
// or not; the differential tests hold it to the full validator's), the
// full validator's otherwise. Unlike validate it builds no error, so a
// type the content does not match costs one fast pass, not a full parse
// and validation.
func (c *content) matches(rt *route) bool {
	if valid, sure := c.fastValid(rt); sure {
		return valid
	}
	return c.validate(rt) == nil
}

// validate checks the content against rt's schema: nil, a
// *schemas.ValidationError, or an error wrapping ErrInvalidContent.
func (c *content) validate(rt *route) error {
	if valid, sure := c.fastValid(rt); sure && valid {
		return nil
	}
	inst, err := c.instance()
	if err != nil {
		return err
	}
	return rt.schema.Validate(inst.Value)
}

// decode decodes valid content into rt's type: the prepared bytes when the
// type allows it (fastpath.Decodable), else the cleaned tree re-encoded.
func (c *content) decode(rt *route) (any, error) {
	if c.clean != nil && rt.direct {
		if v, err := rt.decode(c.clean); err == nil {
			return v, nil
		}
		// A decoding error: let the full path report it, so that the
		// violation is the one it has always been.
	}
	inst, err := c.instance()
	if err != nil {
		return nil, err
	}
	clean, err := json.Marshal(inst.Value)
	if err != nil {
		return nil, err
	}
	return rt.decode(clean)
}

// valueOnlyUnmarshalers are the types with an UnmarshalJSON that depends
// only on the decoded value, which the fast path may decode from its
// prepared bytes (see fastpath.Decodable).
func valueOnlyUnmarshalers() []reflect.Type {
	return []reflect.Type{reflect.TypeFor[schemas.Date](), reflect.TypeFor[schemas.Amount]()}
}

// compileFast compiles a route's schema for the fast path; a schema that
// uses what the fast path does not implement is validated by the full
// path only.
func compileFast(sch *schemas.Schema) *fastpath.Program {
	p, err := fastpath.Compile(sch.JSON())
	if err != nil {
		return nil
	}
	return p
}
