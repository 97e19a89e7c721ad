package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"
	sjsonschema "github.com/santhosh-tekuri/jsonschema/v6"
)

// ErrUnsupportedType is returned by [For] and [ForType] for a Go type whose
// schema cannot be derived (a non-struct root, a channel, a function...).
var ErrUnsupportedType = errors.New("schemas: unsupported type")

// ErrInvalidSchema is returned by [Parse] and the derivation functions when
// a schema document does not compile.
var ErrInvalidSchema = errors.New("schemas: invalid schema")

// Schema is a compiled JSON Schema. It is safe for concurrent use; its
// methods never modify it.
type Schema struct {
	doc      []byte // the schema document, as exported (indented JSON)
	compiled *sjsonschema.Schema
}

// For derives the schema of T, which must be a struct type (or a pointer to
// one). See the package documentation for the rules.
func For[T any]() (*Schema, error) {
	return ForType(reflect.TypeFor[T]())
}

// ForType is [For] for a reflect.Type.
func ForType(t reflect.Type) (*Schema, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: nil type", ErrUnsupportedType)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: %s is a %s, want a struct", ErrUnsupportedType, t, t.Kind())
	}
	if err := checkFieldKinds(t, map[reflect.Type]bool{}); err != nil {
		return nil, err
	}
	doc, err := derive(t)
	if err != nil {
		return nil, err
	}
	return compile(doc)
}

// Parse compiles a schema document the user already has (exported from
// Retab's dashboard, or written by hand).
func Parse(doc []byte) (*Schema, error) {
	var buf bytes.Buffer
	if err := json.Indent(&buf, doc, "", "  "); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	buf.WriteByte('\n')
	return compile(buf.Bytes())
}

func compile(doc []byte) (*Schema, error) {
	parsed, err := sjsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	c := sjsonschema.NewCompiler()
	c.DefaultDraft(sjsonschema.Draft2020)
	const loc = "urn:retabhook:schema"
	if err := c.AddResource(loc, parsed); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	compiled, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	return &Schema{doc: doc, compiled: compiled}, nil
}

// JSON returns the schema document: indented, newline-terminated, with
// properties in the struct's field order. It is the file to upload to
// Retab. The caller must not modify the returned slice.
func (s *Schema) JSON() []byte { return s.doc }

// MarshalJSON implements json.Marshaler with the schema document.
func (s *Schema) MarshalJSON() ([]byte, error) { return s.doc, nil }

// Validate checks a value returned by [ParseInstance] (or any value made of
// map[string]any, []any, string, bool, nil, json.Number and float64)
// against the schema. It returns nil or a *[ValidationError] listing every
// violation.
func (s *Schema) Validate(v any) error {
	err := s.compiled.Validate(v)
	if err == nil {
		return nil
	}
	var ve *sjsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &ValidationError{Violations: []Violation{{Message: err.Error()}}}
	}
	out := &ValidationError{}
	collectViolations(ve, &out.Violations)
	return out
}

// derive reflects t through invopop/jsonschema and post-processes the result
// so that the document Retab sees and the validator checks are the same.
func derive(t reflect.Type) ([]byte, error) {
	r := &jsonschema.Reflector{
		ExpandedStruct: true, // the root object inline, nested types in $defs
		Namer:          defName,
	}
	root := r.ReflectFromType(t)
	root.Version = ""
	root.ID = ""
	applyNullability(t, root, root.Definitions, map[reflect.Type]bool{})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnsupportedType, t, err)
	}
	return buf.Bytes(), nil
}

// defName names a type in $defs with letters, digits and underscores only:
// generic instantiations such as Page[pkg/path.Item] otherwise produce keys
// with '/' that no "$ref" can point at.
func defName(t reflect.Type) string {
	name := t.Name()
	var b strings.Builder
	for _, c := range name {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
			b.WriteRune(c)
		case c == '[' || c == ',' || c == '.' || c == '/':
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), "_")
}

// checkFieldKinds rejects field types that have no JSON form, which
// invopop/jsonschema would otherwise derive as an empty schema.
func checkFieldKinds(t reflect.Type, seen map[reflect.Type]bool) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return fmt.Errorf("%w: %s has no JSON form", ErrUnsupportedType, t)
	case reflect.Struct:
	default:
		return nil
	}
	if seen[t] {
		return nil
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		if err := checkFieldKinds(f.Type, seen); err != nil {
			return fmt.Errorf("field %s.%s: %w", t.Name(), f.Name, err)
		}
	}
	return nil
}

// applyNullability makes pointer and omitempty fields accept null, the way
// Retab's own schemas do, since a model answers null for what it cannot
// find. invopop/jsonschema does not do it by itself.
func applyNullability(t reflect.Type, s *jsonschema.Schema, defs jsonschema.Definitions, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] || s == nil || s.Properties == nil {
		return
	}
	seen[t] = true
	for _, f := range jsonFields(t) {
		prop, ok := s.Properties.Get(f.name)
		if !ok {
			continue
		}
		if f.nullable {
			s.Properties.Set(f.name, nullable(prop))
		}
		ft := f.typ
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array || ft.Kind() == reflect.Map {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			if def, ok := defs[defName(ft)]; ok {
				applyNullability(ft, def, defs, seen)
			}
		}
	}
}

// nullable returns a schema that also accepts null.
func nullable(s *jsonschema.Schema) *jsonschema.Schema {
	switch {
	case s.Type != "" && s.Type != "null":
		if s.Extras == nil {
			s.Extras = map[string]any{}
		}
		s.Extras["type"] = []string{s.Type, "null"}
		s.Type = ""
		if len(s.Enum) > 0 {
			s.Enum = append(s.Enum, nil)
		}
		return s
	case s.Ref != "" || len(s.AnyOf) > 0 || len(s.OneOf) > 0:
		inner := *s
		inner.Title, inner.Description, inner.Extras = "", "", nil
		return &jsonschema.Schema{
			Title:       s.Title,
			Description: s.Description,
			Extras:      s.Extras,
			AnyOf:       []*jsonschema.Schema{&inner, {Type: "null"}},
		}
	default:
		return s // an empty schema already accepts null
	}
}

type jsonField struct {
	name     string
	typ      reflect.Type
	nullable bool
}

// jsonFields lists the JSON properties of a struct type, following
// encoding/json's rules for names and embedded structs.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				out = append(out, jsonFields(et)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
		out = append(out, jsonField{name: name, typ: f.Type, nullable: omit || f.Type.Kind() == reflect.Pointer})
	}
	return out
}
