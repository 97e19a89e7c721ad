package framework

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/retabhook/retabhook/internal/fastpath"
	"github.com/retabhook/retabhook/schemas"
)

// content is the extracted object of a delivery on its way to a route. It
// is a function of the content's bytes only (whatever part of the
// envelope they came from), and holds the semantics documented in
// docs/schemas.md, "What the handler gets":
//
//   - schemas.Prepare removes the annotations, writes integral numbers as
//     integers and refuses repeated keys, keeping every other byte;
//   - a route's verdict is its schema's on the prepared bytes
//     (schemas.Schema.Accept, with its enum leniency), the same for
//     routing by schema match and for validation, never depending on the
//     other routes: nothing here is modified by a verdict;
//   - the value is encoding/json's decoding of the accepted bytes (the
//     prepared bytes, or a copy with the enum readings written in).
//
// The fast path (internal/fastpath) answers a verdict from the bytes when
// it can; it says "don't know" rather than differ, and the full validator
// decides then (the differential tests hold the two together).
type content struct {
	clean []byte
	tree  any // clean decoded, on demand; never modified
	err   error
	// accepted is the route whose fast path took the content as it is
	// (fastpath.Matches): Prepare keeps it, and it is valid.
	accepted *route
	// refused holds a bit per route (route.pos) whose fast path refused
	// the content as it is (fastpath.Refuses): certain once Prepare
	// accepted the content, which it did for any content that got here.
	refused uint64
}

// judgedRoutes is how many routes (the first registered) judgeContent
// walks the content with: as many as content.refused has bits.
const judgedRoutes = 64

// parseContent prepares the content, into c (nil: allocated): an error
// wrapping schemas.ErrInvalidJSON or a *schemas.RepeatedKeyError.
func parseContent(raw []byte, c *content) (*content, []schemas.Annotation, error) {
	clean, anns, err := schemas.Prepare(raw)
	if err != nil {
		return nil, nil, err
	}
	if c == nil {
		c = new(content)
	}
	*c = content{clean: clean}
	return c, anns, nil
}

// newContent is the content of a delivery, in c (nil: allocated; the
// router's is in the request's pooled room, bodyHashes.ct): judged as it
// is against routes (judgeContent), and prepared (parseContent) when none
// takes it as it is; the error is parseContent's.
func newContent(raw []byte, routes []*route, c *content) (*content, []schemas.Annotation, error) {
	accepted, refused := judgeContent(raw, routes)
	if accepted != nil {
		if c == nil {
			c = new(content)
		}
		*c = content{clean: raw, accepted: accepted, refused: refused}
		return c, nil, nil
	}
	c, anns, err := parseContent(raw, c)
	if err != nil {
		return nil, nil, err
	}
	c.refused = refused
	return c, anns, nil
}

// judgeContent walks the content as it is with each route's fast path
// (fastpath.Program.Route), in registration order, until one takes it:
// then Prepare would return it unchanged, without annotations, and it is
// valid against that route's schema, so it is walked once instead of
// twice, and never prepared. The routes refused on the way are marked
// (a bit per route.pos), and the others are validated as prepared
// content (it is). accepted is nil when no route takes the content as it
// is: it is prepared (parseContent), and the refusals hold for what
// Prepare returns.
func judgeContent(raw []byte, routes []*route) (accepted *route, refused uint64) {
	for _, rt := range routes {
		if rt.fast == nil || rt.pos >= judgedRoutes {
			continue
		}
		switch rt.fast.Route(raw) {
		case fastpath.Matches:
			return rt, refused
		case fastpath.Refuses:
			refused |= 1 << rt.pos
		case fastpath.NotAsIs:
			return nil, refused // no route takes it as it is
		}
	}
	return nil, refused
}

func (c *content) value() (any, error) {
	if c.tree == nil && c.err == nil {
		dec := json.NewDecoder(bytes.NewReader(c.clean))
		dec.UseNumber()
		c.err = dec.Decode(&c.tree)
	}
	return c.tree, c.err
}

// matches reports whether the content passes rt's schema, for routing by
// schema match, and the instance to decode when it does. It builds no
// violations when the fast path is sure the content fails.
func (c *content) matches(rt *route) ([]byte, bool) {
	if c.accepted == rt {
		return c.clean, true
	}
	if c.refuses(rt) {
		return nil, false
	}
	if rt.fast != nil {
		if valid, sure := rt.fast.Validate(c.clean); sure {
			if valid {
				return c.clean, true
			}
			return nil, false
		}
	}
	inst, err := c.accept(rt)
	return inst, err == nil
}

// refuses reports that rt's fast path refused the content as it is.
func (c *content) refuses(rt *route) bool {
	return rt.pos < judgedRoutes && c.refused&(1<<rt.pos) != 0
}

// validate checks the content against rt's schema and returns the instance
// to decode: an error is a *schemas.ValidationError.
func (c *content) validate(rt *route) ([]byte, error) {
	if c.accepted == rt {
		return c.clean, nil
	}
	if rt.fast != nil && !c.refuses(rt) {
		if valid, sure := rt.fast.Validate(c.clean); sure && valid {
			return c.clean, nil
		}
	}
	return c.accept(rt)
}

// accept is the full validator's verdict.
func (c *content) accept(rt *route) ([]byte, error) {
	v, err := c.value()
	if err != nil {
		return nil, &schemas.ValidationError{Violations: []schemas.Violation{{Message: err.Error()}}}
	}
	return rt.schema.Accept(c.clean, v)
}

// compileFast compiles a route's schema for the fast path; a schema that
// uses what the fast path does not implement is validated by the full
// path only.
func compileFast(sch *schemas.Schema) *fastpath.Program {
	p, err := fastpath.Compile(sch.JSON(), schemas.IsAnnotationKey)
	if err != nil {
		return nil
	}
	return p
}

// contentError maps a parseContent error to the router's problems.
func contentError(err error) error {
	var rk *schemas.RepeatedKeyError
	if errors.As(err, &rk) {
		return NewViolationError("", []schemas.Violation{{Pointer: rk.Pointer, Keyword: "repeated-key",
			Message: "appears more than once in its object: a repeated key is refused, since its readings differ"}}, ErrRepeatedKey)
	}
	return fmt.Errorf("%w: %w", ErrInvalidContent, err)
}
