package framework

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/retabhook/retabhook/schemas"
)

// newValidator returns a validator that names fields by their json tag, so
// its errors can be reported as JSON Pointers into the extracted object.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			return ""
		case "":
			return f.Name
		}
		return name
	})
	return v
}

// checkRules runs validate on the zero value of t to surface malformed
// validate tags (which the validator reports by panicking) at registration.
func checkRules(v *validator.Validate, t reflect.Type) (err error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s: validate tags: %v", ErrRegistration, t, p)
		}
	}()
	_ = v.Struct(reflect.New(t).Interface())
	return nil
}

// ruleViolations converts validator errors into violations at JSON
// Pointers of the extracted object.
func ruleViolations(err error) []schemas.Violation {
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return []schemas.Violation{{Message: err.Error()}}
	}
	out := make([]schemas.Violation, 0, len(verrs))
	for _, fe := range verrs {
		out = append(out, schemas.Violation{
			Pointer: namespacePointer(fe.Namespace()),
			Keyword: "validate:" + fe.Tag(),
			Message: ruleMessage(fe),
		})
	}
	return out
}

// namespacePointer turns "Invoice.line_items[0].amount" into
// "/line_items/0/amount" (the first element is the root type's name).
func namespacePointer(ns string) string {
	_, rest, ok := strings.Cut(ns, ".")
	if !ok {
		return ""
	}
	var b strings.Builder
	for _, seg := range strings.Split(rest, ".") {
		name, idx, _ := strings.Cut(seg, "[")
		b.WriteString("/" + escapeToken(name))
		for idx != "" {
			var key string
			key, idx, _ = strings.Cut(idx, "]")
			b.WriteString("/" + escapeToken(key))
			idx = strings.TrimPrefix(idx, "[")
		}
	}
	return b.String()
}

func escapeToken(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

func ruleMessage(fe validator.FieldError) string {
	p := fe.Param()
	switch fe.Tag() {
	case "required":
		return "is required and must not be empty"
	case "min":
		return fmt.Sprintf("must be at least %s", sizeWord(fe, p))
	case "max":
		return fmt.Sprintf("must be at most %s", sizeWord(fe, p))
	case "len":
		return fmt.Sprintf("must have exactly %s", sizeWord(fe, p))
	case "gt":
		return "must be greater than " + p
	case "gte":
		return "must be greater than or equal to " + p
	case "lt":
		return "must be less than " + p
	case "lte":
		return "must be less than or equal to " + p
	case "oneof":
		return "must be one of: " + p
	case "email":
		return "must be an email address"
	case "url", "http_url":
		return "must be a URL"
	case "iso4217":
		return "must be an ISO 4217 currency code"
	case "datetime":
		return "must be a date/time in the layout " + p
	}
	if p != "" {
		return fmt.Sprintf("fails the %q rule (%s)", fe.Tag(), p)
	}
	return fmt.Sprintf("fails the %q rule", fe.Tag())
}

func sizeWord(fe validator.FieldError, p string) string {
	switch fe.Kind() {
	case reflect.String:
		return p + " characters"
	case reflect.Slice, reflect.Array, reflect.Map:
		return p + " items"
	}
	return p
}

// decodeViolations reports a json.Unmarshal failure into the Go type (a
// case the schema did not exclude, or a custom UnmarshalJSON refusing a
// value) as a violation.
//
// A type's own UnmarshalJSON or UnmarshalText (schemas.Date refusing
// "2023-02-30") fails without saying where; t and tree (the decoded
// content) locate the value it refused, so the violation has a pointer.
func decodeViolations(t reflect.Type, tree any, err error) []schemas.Violation {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		ptr := ""
		if te.Field != "" {
			ptr = "/" + strings.ReplaceAll(te.Field, ".", "/")
		}
		return []schemas.Violation{{Pointer: ptr, Keyword: "type", Message: fmt.Sprintf("cannot be decoded into %s: got %s", te.Type, te.Value)}}
	}
	if ptr, ferr := locateRefusal(t, tree, "", 0); ferr != nil {
		return []schemas.Violation{{Pointer: ptr, Keyword: "decode", Message: ferr.Error()}}
	}
	return []schemas.Violation{{Keyword: "decode", Message: err.Error()}}
}

// locateRefusal walks t alongside a decoded JSON value and returns the
// pointer of the first value that a type's own unmarshaller refuses, with
// its error; a nil error when none does.
func locateRefusal(t reflect.Type, v any, ptr string, depth int) (string, error) {
	if v == nil || depth > 64 {
		return "", nil
	}
	pt := reflect.PointerTo(t)
	if t.Kind() != reflect.Pointer && (pt.Implements(jsonUnmarshaler) || pt.Implements(textUnmarshaler)) {
		b, err := json.Marshal(v)
		if err != nil {
			return "", nil
		}
		return ptr, json.Unmarshal(b, reflect.New(t).Interface())
	}
	switch t.Kind() {
	case reflect.Pointer:
		return locateRefusal(t.Elem(), v, ptr, depth+1)
	case reflect.Slice, reflect.Array:
		items, _ := v.([]any)
		for i, item := range items {
			if p, err := locateRefusal(t.Elem(), item, ptr+"/"+strconv.Itoa(i), depth+1); err != nil {
				return p, err
			}
		}
	case reflect.Map:
		obj, _ := v.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if p, err := locateRefusal(t.Elem(), obj[k], ptr+"/"+escapeToken(k), depth+1); err != nil {
				return p, err
			}
		}
	case reflect.Struct:
		obj, _ := v.(map[string]any)
		return locateField(t, obj, ptr, depth)
	}
	return "", nil
}

// locateField is locateRefusal for the fields of a struct, following
// encoding/json's names (json tags, embedded structs flattened).
func locateField(t reflect.Type, obj map[string]any, ptr string, depth int) (string, error) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if p, err := locateField(et, obj, ptr, depth+1); err != nil {
					return p, err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if val, found := obj[name]; found {
			if p, err := locateRefusal(f.Type, val, ptr+"/"+escapeToken(name), depth+1); err != nil {
				return p, err
			}
		}
	}
	return "", nil
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)
