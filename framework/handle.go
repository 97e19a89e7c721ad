package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/retabhook/retabhook/schemas"
)

// ErrRegistration is wrapped by every error [HandleSafely] returns (and
// every panic [Handle] raises).
var ErrRegistration = errors.New("retabhook: registration")

// Kinder is implemented by document types that name their own kind. Kind
// is called on the zero value at registration.
type Kinder interface{ Kind() string }

// HandleOption configures one registration.
type HandleOption func(*handleConfig)

type handleConfig struct {
	kind       string
	schema     *schemas.Schema
	middleware []Middleware
	output     *schemas.Schema // HandleCall's
	review     *review         // review.go
}

// WithKind names the kind instead of the name derived from the type (the
// type's name in snake_case, "CalendarEvent" -> "calendar_event", or its
// Kind method). The kind appears in paths, logs and metrics.
func WithKind(kind string) HandleOption { return func(c *handleConfig) { c.kind = kind } }

// WithSchema validates deliveries of this type against s instead of the
// schema derived from the type (for example the schema uploaded to Retab,
// parsed with schemas.Parse).
func WithSchema(s *schemas.Schema) HandleOption { return func(c *handleConfig) { c.schema = s } }

// WithHandlerMiddleware wraps this handler only, inside the router's
// middleware.
func WithHandlerMiddleware(m ...Middleware) HandleOption {
	return func(c *handleConfig) { c.middleware = append(c.middleware, m...) }
}

// Handle registers the handler for deliveries of type T. It panics when T
// or its kind is already registered, when T's schema cannot be derived, or
// when its validate tags are malformed; [HandleSafely] returns the error
// instead. Registration must happen before the router serves.
func Handle[T any](r *Router, h func(ctx context.Context, v T) error, opts ...HandleOption) {
	if err := HandleSafely(r, h, opts...); err != nil {
		panic(err)
	}
}

// HandleSafely is [Handle] returning an error wrapping [ErrRegistration]
// instead of panicking.
func HandleSafely[T any](r *Router, h func(ctx context.Context, v T) error, opts ...HandleOption) error {
	if h == nil {
		return fmt.Errorf("%w: nil handler", ErrRegistration)
	}
	return r.register(reflect.TypeFor[T](), decodeInto[T], typedCall(h), opts)
}

// decodeInto decodes JSON into a T, as a route's decode.
func decodeInto[T any](data []byte) (any, error) {
	var v T
	err := json.Unmarshal(data, &v)
	return v, err
}

// typedCall erases a typed handler into a HandlerFunc that takes the
// value from Delivery.Value.
func typedCall[T any](h func(ctx context.Context, v T) error) HandlerFunc {
	return func(ctx context.Context, d *Delivery) error {
		v, ok := d.Value.(T)
		if !ok {
			return fmt.Errorf("retabhook: delivery value is %T, want %s", d.Value, reflect.TypeFor[T]())
		}
		return h(ctx, v)
	}
}

// checkKind refuses a kind that cannot be one segment of a URL path
// (POST /webhook/{kind}), a file name (schemas export) or a label: it
// must not be "." or "..", nor hold '/', '\', '?', '#', '%', spaces or
// control characters.
func checkKind(kind string) error {
	if kind == "." || kind == ".." {
		return fmt.Errorf("kind %q cannot be a path segment: give it another name with WithKind", kind)
	}
	for _, c := range kind {
		if c == '/' || c == '\\' || c == '?' || c == '#' || c == '%' || unicode.IsSpace(c) || unicode.IsControl(c) || c == unicode.ReplacementChar {
			return fmt.Errorf("kind %q cannot be a path segment (it holds %q): give it another name with WithKind", kind, c)
		}
	}
	return nil
}

// KindOf returns the kind derived for T: its Kind method's answer, or its
// type name in snake_case.
func KindOf[T any]() string { return kindOf(reflect.TypeFor[T]()) }

func kindOf(t reflect.Type) string {
	if t.Implements(reflect.TypeFor[Kinder]()) {
		if k := reflect.Zero(t).Interface().(Kinder).Kind(); k != "" {
			return k
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return snakeCase(t.Name())
}

// snakeCase turns a Go type name into snake_case, keeping initialisms
// together: CalendarEvent -> calendar_event, HTTPInvoice -> http_invoice.
// Generic arguments are dropped.
func snakeCase(name string) string {
	name, _, _ = strings.Cut(name, "[")
	rs := []rune(name)
	var b strings.Builder
	for i, c := range rs {
		if unicode.IsUpper(c) {
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}
