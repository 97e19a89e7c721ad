package framework

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/retabhook/retabhook/internal/gojson"
	"github.com/retabhook/retabhook/internal/jsonpointer"
	"github.com/retabhook/retabhook/internal/jsonscan"
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

// checkRules surfaces, at registration, validate tags the validator
// cannot apply (it reports them by panicking, at the first request that
// reaches them): each field with a validate tag, in every struct type
// reachable from t, is validated alone on a zero value, and a refusal
// names the field and its path in the content ("/lines/*/amount").
func checkRules(v *validator.Validate, t reflect.Type) error {
	return checkRulesAt(v, t, "", map[reflect.Type]bool{})
}

func checkRulesAt(v *validator.Validate, t reflect.Type, path string, seen map[reflect.Type]bool) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return checkRulesAt(v, t.Elem(), path+"/*", seen)
	case reflect.Struct:
	default:
		return nil
	}
	if seen[t] || t.PkgPath() == "time" || t.PkgPath() == "github.com/retabhook/retabhook/schemas" {
		return nil
	}
	seen[t] = true
	fields, _ := gojson.Fields(t)
	for _, f := range fields {
		fpath := path + "/" + jsonpointer.Escape(f.Name)
		if tag := f.Field.Tag.Get("validate"); tag != "" && tag != "-" {
			if err := applyOne(v, t, f.Index); err != nil {
				return fmt.Errorf("%w: %s: field %s.%s (at %s): validate tag %q: %v", ErrRegistration, t, t.Name(), f.Field.Name, fpath, tag, err)
			}
		}
		if err := checkRulesAt(v, f.Field.Type, fpath, seen); err != nil {
			return err
		}
	}
	return nil
}

// applyOne validates the field at index of a zero t alone, turning the
// validator's panic into an error.
func applyOne(v *validator.Validate, t reflect.Type, index []int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	ns := ""
	for i := range index {
		if ns != "" {
			ns += "."
		}
		ns += t.FieldByIndex(index[:i+1]).Name
	}
	_ = v.StructPartial(reflect.New(t).Interface(), ns)
	return nil
}

// ruleViolations converts validator errors into violations at JSON
// Pointers of the extracted object. t and v are the root type and the
// decoded value: they tell embedded structs (which have no segment of
// their own) and map keys (which may hold '.' or '[') apart in the
// validator's namespaces.
func ruleViolations(t reflect.Type, v any, err error) []schemas.Violation {
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return []schemas.Violation{{Message: err.Error()}}
	}
	out := make([]schemas.Violation, 0, len(verrs))
	for _, fe := range verrs {
		ptr, ok := structPointer(t, reflect.ValueOf(v), fe.StructNamespace())
		if !ok {
			ptr = namespacePointer(fe.Namespace())
		}
		out = append(out, schemas.Violation{
			Pointer: ptr,
			Keyword: "validate:" + fe.Tag(),
			Message: ruleMessage(fe),
		})
	}
	return out
}

// structPointer turns a validator struct namespace
// ("Invoice.Base.Lines[3].Attrs[a.b].Qty", Go field names) into the JSON
// Pointer of the value ("/lines/3/attrs/a.b/qty"), walking t and v.
func structPointer(t reflect.Type, v reflect.Value, ns string) (string, bool) {
	_, rest, ok := strings.Cut(ns, ".")
	if !ok {
		return "", true
	}
	var b strings.Builder
	deref := func() {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
			if v.IsValid() {
				if v.IsNil() {
					v = reflect.Value{}
				} else {
					v = v.Elem()
				}
			}
		}
	}
	for rest != "" {
		deref()
		if t.Kind() != reflect.Struct {
			return "", false
		}
		name := rest
		if k := strings.IndexAny(rest, ".["); k >= 0 {
			name = rest[:k]
		}
		rest = rest[len(name):]
		sf, ok := t.FieldByName(name)
		if !ok || len(sf.Index) != 1 {
			return "", false
		}
		t = sf.Type
		if v.IsValid() {
			v = v.Field(sf.Index[0])
		}
		jsonName, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		et := sf.Type
		if et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		if !(sf.Anonymous && jsonName == "" && et.Kind() == reflect.Struct) {
			if jsonName == "" {
				jsonName = sf.Name
			}
			b.WriteString("/" + jsonpointer.Escape(jsonName))
		}
		for strings.HasPrefix(rest, "[") {
			deref()
			switch t.Kind() {
			case reflect.Slice, reflect.Array:
				idx, after, ok := strings.Cut(rest[1:], "]")
				n, err := strconv.Atoi(idx)
				if !ok || err != nil {
					return "", false
				}
				b.WriteString("/" + idx)
				rest, t = after, t.Elem()
				if v.IsValid() && n < v.Len() {
					v = v.Index(n)
				} else {
					v = reflect.Value{}
				}
			case reflect.Map:
				if !v.IsValid() {
					return "", false
				}
				var key reflect.Value
				text := ""
				for _, k := range v.MapKeys() {
					s := fmt.Sprint(k.Interface())
					after, found := strings.CutPrefix(rest, "["+s+"]")
					if found && len(s) >= len(text) && (after == "" || after[0] == '.' || after[0] == '[') {
						key, text = k, s
					}
				}
				if !key.IsValid() {
					return "", false
				}
				b.WriteString("/" + jsonpointer.Escape(text))
				rest, t, v = rest[len(text)+2:], t.Elem(), v.MapIndex(key)
			default:
				return "", false
			}
		}
		rest = strings.TrimPrefix(rest, ".")
	}
	return b.String(), true
}

// namespacePointer turns "Invoice.line_items[0].amount" into
// "/line_items/0/amount" (the first element is the root type's name), for
// a namespace structPointer could not follow.
func namespacePointer(ns string) string {
	_, rest, ok := strings.Cut(ns, ".")
	if !ok {
		return ""
	}
	var b strings.Builder
	for _, seg := range strings.Split(rest, ".") {
		name, idx, _ := strings.Cut(seg, "[")
		b.WriteString("/" + jsonpointer.Escape(name))
		for idx != "" {
			var key string
			key, idx, _ = strings.Cut(idx, "]")
			b.WriteString("/" + jsonpointer.Escape(key))
			idx = strings.TrimPrefix(idx, "[")
		}
	}
	return b.String()
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

// refusal is a value of an instance that does not decode into its part of
// the Go type: its violation, where its bytes are in the instance, and
// whether the Go type cannot hold its JSON type at all (a mismatch, which
// the schema derived from the type reports too) rather than a type's own
// unmarshaller refusing it.
type refusal struct {
	v          schemas.Violation
	start, end int
	mismatch   bool
}

// refusals reports why encoding/json could not decode the instance into t
// (err is its error): it decodes the instance again value by value,
// alongside t, and reports each value that fails at its JSON Pointer (a
// case the schema did not exclude, such as a type's own UnmarshalJSON
// refusing a value, or bad base64 for a []byte). When no single value is
// to blame, the one refusal is the instance's, at the root.
func refusals(t reflect.Type, inst []byte, err error) []refusal {
	var out []refusal
	locateRefusals(t, inst, 0, "", 0, &out)
	if len(out) == 0 {
		var te *json.UnmarshalTypeError
		out = append(out, refusal{v: schemas.Violation{Keyword: "decode", Message: decodeMessage(err)}, end: len(inst), mismatch: errors.As(err, &te)})
	}
	return out
}

// locateRefusals appends a refusal for each value of raw (which starts at
// off in the instance) that does not decode into its part of t.
func locateRefusals(t reflect.Type, raw []byte, off int, ptr string, depth int, out *[]refusal) {
	if depth > schemas.MaxDepth+1 || len(raw) == 0 {
		return
	}
	leaf := func() {
		if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
			var te *json.UnmarshalTypeError
			*out = append(*out, refusal{v: schemas.Violation{Pointer: ptr, Keyword: "decode", Message: decodeMessage(err)},
				start: off, end: off + len(raw), mismatch: errors.As(err, &te)})
		}
	}
	if t.Implements(jsonUnmarshaler) || t.Implements(textUnmarshaler) ||
		t.Kind() != reflect.Interface && (reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		leaf()
		return
	}
	if string(raw) == "null" {
		return // leaves the value as it is
	}
	switch t.Kind() {
	case reflect.Pointer:
		locateRefusals(t.Elem(), raw, off, ptr, depth+1, out)
	case reflect.Struct:
		if raw[0] != '{' {
			leaf()
			return
		}
		fields, _ := gojson.Fields(t)
		members(raw, func(key string, v, end int) {
			if f, ok := gojson.Lookup(fields, key); ok {
				locateRefusals(f.Field.Type, raw[v:end], off+v, ptr+"/"+jsonpointer.Escape(key), depth+1, out)
			}
		})
	case reflect.Slice, reflect.Array:
		if raw[0] != '[' || t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			leaf()
			return
		}
		n := 0
		jsonscan.Array(raw, 0, func(i int) (int, bool) {
			end, ok := jsonscan.Skip(raw, i)
			if t.Kind() == reflect.Slice || n < t.Len() {
				locateRefusals(t.Elem(), raw[i:end], off+i, ptr+"/"+strconv.Itoa(n), depth+1, out)
			}
			n++
			return end, ok
		})
	case reflect.Map:
		if raw[0] != '{' {
			leaf()
			return
		}
		keyOnly := reflect.MapOf(t.Key(), reflect.TypeFor[json.RawMessage]())
		members(raw, func(key string, v, end int) {
			kp := ptr + "/" + jsonpointer.Escape(key)
			probe, _ := json.Marshal(map[string]any{key: nil})
			if err := json.Unmarshal(probe, reflect.New(keyOnly).Interface()); err != nil {
				// The key is refused; its value is what is set aside.
				*out = append(*out, refusal{v: schemas.Violation{Pointer: kp, Keyword: "decode", Message: "the key " + decodeMessage(err)},
					start: off + v, end: off + end})
				return
			}
			locateRefusals(t.Elem(), raw[v:end], off+v, kp, depth+1, out)
		})
	default:
		leaf()
	}
}

// members calls f with each member of the object raw: its key, and where
// its value starts and ends in raw.
func members(raw []byte, f func(key string, v, end int)) {
	jsonscan.Object(raw, 0, func(key, keyEnd int, flags jsonscan.StringFlags, v int) (int, bool) {
		end, ok := jsonscan.Skip(raw, v)
		f(string(jsonscan.Unquote(nil, raw[key:keyEnd])), v, end)
		return end, ok
	})
}

// withoutRefused returns inst with each refused value written null, which
// encoding/json decodes as "leave the zero value" (and a type's own
// unmarshaller, by convention, as well), so that the rest of the instance
// can be decoded and its validate rules applied.
func withoutRefused(inst []byte, rs []refusal) []byte {
	spans := slices.Clone(rs)
	slices.SortFunc(spans, func(a, b refusal) int { return a.start - b.start })
	out := make([]byte, 0, len(inst))
	last := 0
	for _, r := range spans {
		if r.start < last {
			continue // within a span already set aside
		}
		out = append(append(out, inst[last:r.start]...), "null"...)
		last = r.end
	}
	return append(out, inst[last:]...)
}

// verdict decodes inst into rt's type and applies the validate rules. It
// returns the value, or the violations of the delivery in one list sorted
// by pointer (schemas.CompareViolations): schemaVs (the schema's, when it
// refused the content; inst is then the content as it is), the values the
// type's own unmarshallers refuse, and the rules broken by the value
// decoded around those (each refused value written null). So a bad date
// does not hide a broken rule elsewhere. A decode refusal or a rule
// violation at or under the pointer of a value already refused is left out:
// the value is refused once, and a rule with a schema form would say it
// twice. The problem is [ErrSchemaViolation] when the schema or a
// decoding refused a value, [ErrRuleViolation] when only rules did. When
// the schema alone finds MaxViolations or more, those are the answer: the
// content is not decoded, which bounds the work of a hostile delivery.
func (r *Router) verdict(rt *route, inst []byte, schemaVs []schemas.Violation) (any, *ViolationError) {
	if len(schemaVs) >= MaxViolations {
		// The answer is full with the schema's: decoding and applying
		// the rules to content this wrong would only add work.
		return nil, NewViolationError(rt.kind, schemaVs, ErrSchemaViolation)
	}
	all := slices.Clone(schemaVs)
	refused := refusedSet{}
	for _, sv := range schemaVs {
		refused[sv.Pointer] = true
	}
	refusedValues := len(schemaVs) // by the schema or the decoding
	v, err := rt.decode(inst)
	if err != nil {
		rs := refusals(rt.typ, inst, err)
		for _, rf := range rs {
			// With the schema's violations, a JSON type the Go type cannot
			// hold is the schema's to report (or an enum string it reads
			// leniently); a type's own refusal of a value is added.
			if !(len(schemaVs) > 0 && rf.mismatch) && !refused.covers(rf.v.Pointer) {
				all = append(all, rf.v)
				refusedValues++
			}
		}
		for _, rf := range rs {
			refused[rf.v.Pointer] = true
		}
		if v, err = rt.decode(withoutRefused(inst, rs)); err != nil {
			v = nil // no value to apply the rules to
		}
	}
	if v != nil {
		if err := r.rules(rt, v); err != nil {
			for _, rv := range ruleViolations(rt.typ, v, err) {
				if !refused.covers(rv.Pointer) {
					all = append(all, rv)
				}
			}
		}
	}
	if len(all) == 0 {
		return v, nil
	}
	p := ErrRuleViolation
	if refusedValues > 0 {
		p = ErrSchemaViolation
	}
	slices.SortStableFunc(all, schemas.CompareViolations)
	return nil, NewViolationError(rt.kind, all, p)
}

// refusedSet holds the pointers of the values a verdict already refused.
type refusedSet map[string]bool

// covers reports whether p is a refused value's pointer or inside one.
func (s refusedSet) covers(p string) bool {
	if s[p] {
		return true
	}
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' && s[p[:i]] {
			return true
		}
	}
	return false
}

// decodeMessage words a decoding error without Go type names.
func decodeMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "must be " + jsonscan.KindOf(te.Type) + ", not " + te.Value
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)
