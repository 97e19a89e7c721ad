package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/retabhook/retabhook/internal/typeddecode"
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
// type's name in snake_case, "CalendarEvent" -> "calendar_event", with a
// generic type's arguments, "Tagged[Expense]" -> "tagged_expense", or its
// Kind method; see [KindOf]). The kind appears in paths, logs and metrics.
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
	return r.register(reflect.TypeFor[T](), contentDecoder[T](), typedCall(h), opts)
}

// contentDecoder returns a route's decode for T: the decoder compiled for
// T (internal/typeddecode), which hands what it does not handle, errors
// included, to json.Unmarshal, so the value and the error are
// encoding/json's. A T the decoder cannot compile is decoded by
// json.Unmarshal alone.
func contentDecoder[T any]() func([]byte) (any, error) {
	dec, err := typeddecode.Compile(reflect.TypeFor[T]())
	if err != nil {
		return decodeInto[T]
	}
	return func(data []byte) (any, error) {
		if v, ok := dec.DecodeAny(data); ok {
			return v, nil
		}
		return decodeInto[T](data)
	}
}

// decodeInto decodes JSON into a T with json.Unmarshal.
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
// type name in snake_case. A generic type's name carries its type
// arguments, each named the same way without its package, so that two
// instantiations get two kinds: Tagged[Expense] is "tagged_expense",
// Tagged[Receipt] "tagged_receipt", Pair[Invoice, []LineItem]
// "pair_invoice_line_item", Page[map[string]int] "page_map_string_int".
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
	return typeNameKind(t.Name())
}

// typeNameKind names a kind after a reflect type name: snake_case, and for
// a generic instantiation ("Tagged[example.com/pkg.Expense]") the words of
// its type arguments after it, without their package paths, array lengths
// or punctuation: "tagged_expense".
func typeNameKind(name string) string {
	base, args, generic := strings.Cut(name, "[")
	words := []string{snakeCase(base)}
	if !generic {
		return words[0]
	}
	isWordRune := func(c rune) bool {
		// Package paths hold '.', '/', '-', '~' and '+' besides letters
		// and digits; they are cut off below, at the last '.'.
		return unicode.IsLetter(c) || unicode.IsDigit(c) || strings.ContainsRune("_./-~+", c)
	}
	for _, tok := range strings.FieldsFunc(args, func(c rune) bool { return !isWordRune(c) }) {
		if i := strings.LastIndexByte(tok, '.'); i >= 0 {
			tok = tok[i+1:]
		}
		for _, w := range strings.FieldsFunc(tok, func(c rune) bool { return c != '_' && !unicode.IsLetter(c) && !unicode.IsDigit(c) }) {
			if strings.TrimFunc(w, unicode.IsDigit) != "" { // not an array length
				words = append(words, snakeCase(w))
			}
		}
	}
	return strings.Join(words, "_")
}

// snakeCase turns a Go type name into snake_case, keeping initialisms
// together: CalendarEvent -> calendar_event, HTTPInvoice -> http_invoice.
func snakeCase(name string) string {
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
