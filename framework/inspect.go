package framework

import (
	"reflect"

	"github.com/retabhook/retabhook/schemas"
)

// What the router tells about its registrations beyond [Router.Kinds],
// [Router.Schema] and [Router.OutputSchema], for tooling such as the
// receiver's command line (package framework/cli).

// TypeSchema returns the Go type a kind decodes into and the schema that
// type derives with the router's schema options. It is the schema of
// [Router.Schema] unless the kind was registered [WithSchema], where it
// tells what the struct accepts beside the schema deliveries are
// validated against. The error wraps [ErrUnknownKind] for a kind that is
// not registered.
func (r *Router) TypeSchema(kind string) (typ reflect.Type, derived *schemas.Schema, err error) {
	r.mu.RLock()
	rt := r.routes[kind]
	r.mu.RUnlock()
	if rt == nil {
		return nil, nil, &RouteError{Kind: kind, Err: ErrUnknownKind, Registered: r.Kinds()}
	}
	derived, err = schemas.ForType(rt.typ, r.cfg.schemaOptions...)
	return rt.typ, derived, err
}

// Overlaps returns, for a registered kind, one sentence for each other
// kind whose schema accepts a common instance (found once, at
// registration): routing by schema match cannot tell such deliveries
// apart.
func (r *Router) Overlaps(kind string) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	rt := r.routes[kind]
	if rt == nil {
		return nil
	}
	notes := make([]string, 0, len(rt.overlaps))
	for _, o := range rt.overlaps {
		notes = append(notes, o.message(kind))
	}
	return notes
}

// APICallHeader returns the header an API Call router reads its token
// from, and whether the value is "Bearer <token>"; ok is false for a
// router without [WithAPICallToken] or [WithAPICallHeaderToken].
func (r *Router) APICallHeader() (name string, bearer, ok bool) {
	if r.cfg.apiCall == nil {
		return "", false, false
	}
	return r.cfg.apiCall.header, r.cfg.apiCall.bearer, true
}
