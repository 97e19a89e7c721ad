package schemas

import (
	"cmp"
	"encoding"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/invopop/jsonschema"

	"github.com/retabhook/retabhook/internal/gojson"
	"github.com/retabhook/retabhook/internal/jsonpointer"
	"github.com/retabhook/retabhook/internal/jsontree"
)

// Prompts are Retab's object-level prompts.
type Prompts struct {
	// System is X-SystemPrompt: text added to the model's system prompt.
	// Retab reads it at the root only.
	System string
	// Reasoning is X-ReasoningPrompt: the model first writes its reasoning
	// in an extra key, reasoning___root for the root object, and
	// reasoning___<field> next to every field whose type is this one.
	Reasoning string
}

// Prompter is implemented by struct types that carry Retab's
// object-level prompts. RetabPrompts is called on the zero value when the
// schema is derived:
//
//	func (Invoice) RetabPrompts() schemas.Prompts {
//		return schemas.Prompts{System: "You extract supplier invoices. Dates are day/month/year."}
//	}
type Prompter interface {
	RetabPrompts() Prompts
}

// Option configures [For] and [ForType].
type Option func(*options)

type options struct {
	comments           []Comments
	title, description string
	system, reasoning  string
	typeSchemas        map[reflect.Type]*value
	err                error
}

// WithComments uses Go doc comments as descriptions, for types and fields
// that have no description tag. Comments are not in the compiled binary:
// generate them from the source with cmd/schemadoc (see [Comments]).
// Default: no comments.
func WithComments(c ...Comments) Option {
	return func(o *options) { o.comments = append(o.comments, c...) }
}

// WithTitle sets the root "title". Default: none.
func WithTitle(title string) Option { return func(o *options) { o.title = title } }

// WithDescription sets the root "description", over the type's doc
// comment. Default: the type's doc comment when [WithComments] has it,
// else none.
func WithDescription(d string) Option { return func(o *options) { o.description = d } }

// WithSystemPrompt sets X-SystemPrompt at the root, over the type's
// [Prompter]. Default: the type's Prompter, else none.
func WithSystemPrompt(p string) Option { return func(o *options) { o.system = p } }

// WithReasoningPrompt sets X-ReasoningPrompt at the root (the model then
// writes reasoning___root), over the type's [Prompter]. Default: the
// type's Prompter, else none.
func WithReasoningPrompt(p string) Option { return func(o *options) { o.reasoning = p } }

// WithTypeSchema gives the schema of a Go type that derivation cannot
// read, typically a type from another module that implements
// json.Marshaler, such as a decimal type:
//
//	schemas.WithTypeSchema(decimal.Decimal{}, `{"type": "number"}`)
//
// The schema is used, as written, wherever a field has that type (or a
// pointer to it). Default: none.
func WithTypeSchema(sample any, schema string) Option {
	return func(o *options) {
		t := reflect.TypeOf(sample)
		if t == nil {
			o.err = fmt.Errorf("%w: WithTypeSchema(nil)", ErrUnsupportedType)
			return
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		v, err := jsontree.Parse([]byte(schema))
		if err != nil || v.Kind != jsontree.Object {
			o.err = fmt.Errorf("%w: WithTypeSchema(%s): the schema is not a JSON object", ErrInvalidSchema, t)
			return
		}
		if o.typeSchemas == nil {
			o.typeSchemas = map[reflect.Type]*value{}
		}
		o.typeSchemas[t] = v
	}
}

// For derives the schema of T, which must be a struct type (or a pointer
// to one). See the package documentation for the rules.
func For[T any](opts ...Option) (*Schema, error) {
	return ForType(reflect.TypeFor[T](), opts...)
}

// ForType is [For] for a reflect.Type.
func ForType(t reflect.Type, opts ...Option) (*Schema, error) {
	if t == nil {
		return nil, fmt.Errorf("%w: nil type", ErrUnsupportedType)
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("%w: %s is a %s, want a struct", ErrUnsupportedType, t, t.Kind())
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	d := &deriver{
		opts:     o,
		root:     t,
		seen:     map[reflect.Type]bool{},
		names:    map[reflect.Type]string{},
		doneDefs: map[string]bool{},
		fields:   map[string]string{},
		told:     map[string]bool{},
		implied:  map[string]bool{},
	}
	return d.derive()
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	dateType      = reflect.TypeFor[Date]()
	dateTimeType  = reflect.TypeFor[DateTime]()
	durationType  = reflect.TypeFor[time.Duration]()
	amountType    = reflect.TypeFor[Amount]()
	numberType    = reflect.TypeFor[json.Number]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	customSchema  = reflect.TypeFor[interface{ JSONSchema() *jsonschema.Schema }]()
	aliasSchema   = reflect.TypeFor[interface{ JSONSchemaAlias() any }]()
	prompterType  = reflect.TypeFor[Prompter]()
)

// placeholderKey marks, in invopop's output, where a WithTypeSchema
// schema goes.
const placeholderKey = "x-retabhook-type"

type deriver struct {
	opts     options
	root     reflect.Type
	seen     map[reflect.Type]bool
	named    []reflect.Type // named types reachable from root, in field order
	names    map[reflect.Type]string
	typeIDs  []reflect.Type // WithTypeSchema types met, by placeholder index
	defs     *value
	doneDefs map[string]bool
	fields   map[string]string
	implied  map[string]bool // schema pointers of the bounds integerBounds set
	// reflector is invopop/jsonschema's, kept for followShadowing.
	reflector *jsonschema.Reflector
	warnings  []Warning
	told      map[string]bool // "pointer#keyword": a strict-mode-dropped keyword also stated in the description
}

func (d *deriver) derive() (s *Schema, err error) {
	if err := d.collect(d.root); err != nil {
		return nil, err
	}
	d.assignNames()
	r := &jsonschema.Reflector{
		ExpandedStruct: true, // the root object inline, nested types in $defs
		Anonymous:      true, // no $id
		Namer:          d.namer,
		Mapper:         d.mapper,
		LookupComment:  d.lookupComment,
	}
	d.reflector = r
	js, err := reflectSafely(r, d.root)
	if err != nil {
		return nil, err
	}
	js.Version = ""
	raw, err := json.Marshal(js)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnsupportedType, d.root, err)
	}
	tree, err := jsontree.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrUnsupportedType, d.root, err)
	}
	d.normalize(tree, true)

	// A recursive root type refers to itself through $defs, but
	// ExpandedStruct moved its definition to the root: put a copy back so
	// that every "$ref" resolves (Retab expands only #/$defs/ references).
	if name := d.names[d.root]; name != "" && refersTo(tree, "#/$defs/"+name) {
		defs := tree.Get("$defs")
		if defs == nil {
			defs = jsontree.NewObject()
			tree.Set("$defs", defs)
		}
		c := tree.Clone()
		c.Del("$defs")
		defs.Set(name, c)
		d.doneDefs[name] = false
	}
	d.defs = tree.Get("$defs")
	if err := d.object(d.root, tree, ""); err != nil {
		return nil, err
	}

	var p Prompts
	if d.root.Implements(prompterType) || reflect.PointerTo(d.root).Implements(prompterType) {
		p = reflect.New(d.root).Interface().(Prompter).RetabPrompts()
	}
	if d.opts.title != "" {
		tree.Set("title", jsontree.NewString(d.opts.title))
	}
	if d.opts.description != "" {
		tree.Set("description", jsontree.NewString(d.opts.description))
	}
	if sp := cmp.Or(d.opts.system, p.System); sp != "" {
		tree.Set("X-SystemPrompt", jsontree.NewString(sp))
	}
	if rp := cmp.Or(d.opts.reasoning, p.Reasoning); rp != "" {
		tree.Set("X-ReasoningPrompt", jsontree.NewString(rp))
	}
	orderKeys(tree)
	s, err = compile(tree, d.root, d.fields, d.warnings)
	if err != nil {
		return nil, err
	}
	s.warnings = slices.DeleteFunc(s.warnings, func(w Warning) bool {
		key, _, _ := strings.Cut(w.Message, " ")
		return (w.Code == WarnStrictLength || w.Code == WarnStrictFormat) && d.told[w.Pointer+"#"+key]
	})
	s.implied = d.implied
	return s, nil
}

// reflectSafely runs invopop/jsonschema, which panics on types it cannot
// handle.
func reflectSafely(r *jsonschema.Reflector, t reflect.Type) (js *jsonschema.Schema, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %s: %v", ErrUnsupportedType, t, p)
		}
	}()
	return r.ReflectFromType(t), nil
}

// isLeaf reports whether t's schema is not built from its fields or
// elements, and fails for a type whose JSON form derivation cannot know.
func (d *deriver) isLeaf(t reflect.Type) (bool, error) {
	if _, ok := d.opts.typeSchemas[t]; ok {
		return true, nil
	}
	switch t {
	case timeType, dateType, dateTimeType, amountType, numberType, rawType:
		return true, nil
	case durationType:
		return false, fmt.Errorf("%w: time.Duration has no form a document prints (encoding/json writes it as nanoseconds, 90000000000 for 1m30s): "+
			"use a number with the unit in the field's name (Minutes int), or a string the handler parses with time.ParseDuration", ErrUnsupportedType)
	}
	if t.Implements(customSchema) || t.Implements(aliasSchema) {
		return true, nil
	}
	if t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler) {
		return false, fmt.Errorf("%w: %s implements json.Marshaler, so its JSON form is not what its Go type says: "+
			"give it a JSONSchema() *jsonschema.Schema method, or pass schemas.WithTypeSchema(%s{}, `{\"type\": ...}`)", ErrUnsupportedType, t, t)
	}
	if t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return true, nil
	}
	return false, nil
}

// collect walks the types reachable from t, in field order, recording
// named types (for $defs names) and rejecting types without a JSON form.
func (d *deriver) collect(t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if d.seen[t] {
		return nil
	}
	d.seen[t] = true
	if t.Name() != "" && t.PkgPath() != "" {
		d.named = append(d.named, t)
	}
	leaf, err := d.isLeaf(t)
	if err != nil || leaf {
		return err
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Tag.Get("json") == "-" || f.Tag.Get("jsonschema") == "-" || (!f.IsExported() && !f.Anonymous) {
				continue
			}
			if err := d.collect(f.Type); err != nil {
				return fmt.Errorf("field %s.%s: %w", goTypeName(t), f.Name, err)
			}
		}
	case reflect.Slice, reflect.Array, reflect.Map:
		return d.collect(t.Elem())
	case reflect.Chan, reflect.Func, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return fmt.Errorf("%w: %s has no JSON form", ErrUnsupportedType, t)
	case reflect.Interface:
		if t.NumMethod() > 0 {
			return fmt.Errorf("%w: %s is an interface with methods: encoding/json cannot decode into it, so every delivery would fail; use a concrete type, or any", ErrUnsupportedType, t)
		}
	}
	return nil
}

// assignNames gives every named type a $defs name made of letters,
// digits and underscores (so that every "$ref" resolves), stable across
// runs: the type's name, with the short names of its type arguments for a
// generic type (Page[pkg/path.Item] is Page_Item), qualified by its
// package only when two reachable types would otherwise share a name.
func (d *deriver) assignNames() {
	byBase := map[string][]reflect.Type{}
	var bases []string
	for _, t := range d.named {
		b := baseName(t)
		if _, ok := byBase[b]; !ok {
			bases = append(bases, b)
		}
		byBase[b] = append(byBase[b], t)
	}
	used := map[string]bool{}
	for _, b := range bases {
		ts := byBase[b]
		if len(ts) == 1 {
			d.names[ts[0]] = b
			used[b] = true
			continue
		}
		for depth := 1; ; depth++ {
			cand := map[string]bool{}
			unique := true
			for _, t := range ts {
				n := qualifiedName(t, depth, b)
				unique = unique && !cand[n]
				cand[n] = true
			}
			if unique || depth > 32 {
				for _, t := range ts {
					d.names[t] = qualifiedName(t, depth, b)
				}
				break
			}
		}
		for _, t := range ts {
			used[d.names[t]] = true
		}
	}
	// A qualified name may still meet another type's plain name: number
	// the later ones, in field order.
	seen := map[string]bool{}
	for _, t := range d.named {
		n := d.names[t]
		for i := 2; seen[n]; i++ {
			n = d.names[t] + "_" + strconv.Itoa(i)
		}
		seen[n] = true
		d.names[t] = n
	}
}

func (d *deriver) namer(t reflect.Type) string {
	if n, ok := d.names[t]; ok {
		return n
	}
	return sanitizeName(t.Name())
}

// baseName is a type's name with its type arguments shortened to their
// unqualified names and made safe for a $defs key: Page[pkg/path.Item] is
// Page_Item.
func baseName(t reflect.Type) string { return nameAt(t, 0) }

// qualifiedName names a type that shares its base name with another:
// with the last depth elements of its package path, or, for a generic
// type, of its type arguments' package paths (and depth-1 of its own).
func qualifiedName(t reflect.Type, depth int, _ string) string { return nameAt(t, depth) }

func nameAt(t reflect.Type, depth int) string {
	name := t.Name()
	i := strings.IndexByte(name, '[')
	if i < 0 {
		return sanitizeName(lastElems(t.PkgPath(), depth) + " " + name)
	}
	var b strings.Builder
	b.WriteString(lastElems(t.PkgPath(), depth-1))
	b.WriteByte(' ')
	b.WriteString(name[:i])
	tok := func(s string) {
		if j := strings.LastIndexByte(s, '.'); j >= 0 {
			b.WriteString(lastElems(s[:j], depth))
			b.WriteByte(' ')
			s = s[j+1:]
		}
		b.WriteString(s)
	}
	start := i
	for j := i; j < len(name); j++ {
		switch name[j] {
		case '[', ']', ',', '*', ' ':
			tok(name[start:j])
			b.WriteByte(' ')
			start = j + 1
		}
	}
	tok(name[start:])
	return sanitizeName(b.String())
}

// lastElems returns the last n elements of a package path ("" for n <= 0).
func lastElems(path string, n int) string {
	if n <= 0 || path == "" {
		return ""
	}
	parts := strings.Split(path, "/")
	if n < len(parts) {
		parts = parts[len(parts)-n:]
	}
	return strings.Join(parts, " ")
}

// sanitizeName keeps letters, digits and underscores, turning every other
// run of characters into one underscore.
func sanitizeName(s string) string {
	var b strings.Builder
	under := false
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
			b.WriteRune(c)
			under = c == '_'
		default:
			if !under && b.Len() > 0 {
				b.WriteByte('_')
				under = true
			}
		}
	}
	return strings.Trim(b.String(), "_")
}

func goTypeName(t reflect.Type) string {
	if t.Name() != "" {
		n, _, _ := strings.Cut(t.Name(), "[")
		return n
	}
	return t.String()
}

func (d *deriver) mapper(t reflect.Type) *jsonschema.Schema {
	if _, ok := d.opts.typeSchemas[t]; ok {
		d.typeIDs = append(d.typeIDs, t)
		return &jsonschema.Schema{Extras: map[string]any{placeholderKey: len(d.typeIDs) - 1}}
	}
	switch t {
	case dateType:
		return &jsonschema.Schema{Type: "string", Format: "date", Pattern: datePattern}
	case dateTimeType:
		return &jsonschema.Schema{Type: "string", Pattern: localDateTimePattern, Description: "A date and time of day, without a time zone."}
	case amountType, numberType:
		return &jsonschema.Schema{Type: "number"}
	case timeType:
		return &jsonschema.Schema{Type: "string", Format: "date-time", Pattern: dateTimePattern}
	case rawType:
		return nil
	}
	if t.Implements(customSchema) || t.Implements(aliasSchema) {
		return nil
	}
	if t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return &jsonschema.Schema{Type: "string"}
	}
	return nil
}

func (d *deriver) lookupComment(t reflect.Type, field string) string {
	key, ident := goTypeName(t), goTypeName(t)
	if field != "" {
		key, ident = key+"."+field, field
	}
	for _, c := range d.opts.comments {
		if c.Package == t.PkgPath() {
			if s, ok := c.Text[key]; ok {
				return modelDescription(ident, s)
			}
		}
	}
	return ""
}

// modelDescription rewrites a Go doc comment as a description a model
// reads: a comment that begins with the identifier it documents drops it,
// with the "is" or "are" that follows, and starts with the capitalised
// remainder ("Number is the invoice number as printed." becomes "The
// invoice number as printed."). Any other comment is returned as written.
// Derivation applies it to the comments of [WithComments]; a
// `jsonschema:"description=..."` tag is never rewritten.
func modelDescription(ident, comment string) string {
	rest, ok := strings.CutPrefix(comment, ident+" ")
	if !ok || ident == "" {
		return comment
	}
	for _, verb := range []string{"is ", "are "} {
		if r, ok := strings.CutPrefix(rest, verb); ok {
			rest = r
			break
		}
	}
	rest = strings.TrimLeft(rest, " ")
	r, size := utf8.DecodeRuneInString(rest)
	if rest == "" || r == utf8.RuneError {
		return comment
	}
	return string(unicode.ToUpper(r)) + rest[size:]
}

// normalize replaces WithTypeSchema placeholders with their schemas and
// "true" subschemas (an interface or json.RawMessage field) with {}.
func (d *deriver) normalize(v *value, isSchema bool) {
	switch v.Kind {
	case jsontree.Array:
		for i, e := range v.Elems {
			if isSchema && e.Kind == jsontree.Bool && e.Bool {
				v.Elems[i] = jsontree.NewObject()
				continue
			}
			d.normalize(e, isSchema)
		}
	case jsontree.Object:
		if isSchema {
			if ph := v.Del(placeholderKey); ph != nil {
				n, _ := strconv.Atoi(ph.Text)
				if n >= 0 && n < len(d.typeIDs) {
					extra := v.Clone()
					*v = *d.opts.typeSchemas[d.typeIDs[n]].Clone()
					for i, k := range extra.Keys {
						v.Set(k, extra.Vals[i])
					}
				}
			}
		}
		for i, k := range v.Keys {
			m := v.Vals[i]
			childSchema := false
			switch k {
			case "properties", "$defs", "patternProperties", "dependentSchemas":
				if isSchema && m.Kind == jsontree.Object {
					for j, e := range m.Vals {
						if e.Kind == jsontree.Bool && e.Bool {
							m.Vals[j] = jsontree.NewObject()
							continue
						}
						d.normalize(e, true)
					}
					continue
				}
			case "items", "anyOf", "oneOf", "allOf", "not", "additionalProperties", "if", "then", "else", "contains", "prefixItems", "propertyNames":
				childSchema = isSchema
			}
			if childSchema && m.Kind == jsontree.Bool && m.Bool && k != "additionalProperties" {
				v.Vals[i] = jsontree.NewObject()
				continue
			}
			d.normalize(m, childSchema)
		}
	}
}

func refersTo(v *value, ref string) bool {
	switch v.Kind {
	case jsontree.Array:
		for _, e := range v.Elems {
			if refersTo(e, ref) {
				return true
			}
		}
	case jsontree.Object:
		for i, k := range v.Keys {
			if k == "$ref" && v.Vals[i].Kind == jsontree.String && v.Vals[i].Text == ref {
				return true
			}
			if refersTo(v.Vals[i], ref) {
				return true
			}
		}
	}
	return false
}

// object post-processes the schema of struct type t: Retab's keys from
// retab tags, descriptions cut by commas, nullability, the walk into
// nested types.
func (d *deriver) object(t reflect.Type, node *value, ptr string) error {
	if _, ok := d.fields[ptr]; !ok {
		d.fields[ptr] = goTypeName(t)
	}
	if ptr != "" && (t.Implements(prompterType) || reflect.PointerTo(t).Implements(prompterType)) {
		if p := reflect.New(t).Interface().(Prompter).RetabPrompts(); p.Reasoning != "" {
			node.Set("X-ReasoningPrompt", jsontree.NewString(p.Reasoning))
		}
	}
	if err := d.followShadowing(t, node); err != nil {
		return err
	}
	props := node.Get("properties")
	if props == nil || props.Kind != jsontree.Object {
		return nil
	}
	fields := jsonFields(t)
	present := map[string]bool{}
	for _, f := range fields {
		prop := props.Get(f.name)
		if prop == nil || prop.Kind != jsontree.Object {
			continue
		}
		pptr := ptr + "/properties/" + jsonpointer.Escape(f.name)
		where := f.owner + "." + f.goName
		d.fields[pptr] = where
		if err := checkSchemaTag(f.tag.Get("jsonschema"), f.typ); err != nil {
			return fmt.Errorf("%w: field %s: %w", ErrUnsupportedType, where, err)
		}
		if fixes := commaFixes(f.tag.Get("jsonschema")); fixes != nil {
			if err := applyCommaFixes(prop, fixes); err != nil {
				return fmt.Errorf("%w: field %s: %w", ErrUnsupportedType, where, err)
			}
		}
		nullableTag := false
		if inner, ok := unwrapNullable(prop); ok {
			prop, nullableTag = inner, true
			props.Set(f.name, prop)
		}
		if err := d.descend(f.typ, prop, pptr); err != nil {
			return err
		}
		d.integerBounds(f.typ, prop, pptr)
		rt, err := parseRetabTag(f.tag.Get(TagName))
		if err != nil {
			return fmt.Errorf("%w: field %s: %w", ErrUnsupportedType, where, err)
		}
		if err := d.applyRetab(rt, f, prop); err != nil {
			return fmt.Errorf("%w: field %s: %w", ErrUnsupportedType, where, err)
		}
		fr, err := d.applyRules(f, prop, pptr, where)
		if err != nil {
			return err
		}
		d.checkValidateTag(f, where, pptr)
		if (f.nullable || nullableTag) && !fr.notNull {
			props.Set(f.name, nullable(prop))
		}
		present[f.name] = fr.present
	}
	requireAlso(node, fields, present)
	return nil
}

// requireAlso adds to an object's "required" the properties whose
// validate rules fail when the key is missing, keeping field order.
func requireAlso(node *value, fields []jsonField, present map[string]bool) {
	req := node.Get("required")
	has := map[string]bool{}
	if req != nil && req.Kind == jsontree.Array {
		for _, e := range req.Elems {
			has[e.Text] = true
		}
	}
	missing := false
	for _, f := range fields {
		missing = missing || (present[f.name] && !has[f.name])
	}
	if !missing {
		return
	}
	out := jsontree.NewArray()
	for _, f := range fields {
		if has[f.name] || present[f.name] {
			out.Elems = append(out.Elems, jsontree.NewString(f.name))
			delete(has, f.name)
		}
	}
	for _, e := range req.Elements() {
		if has[e.Text] {
			out.Elems = append(out.Elems, e)
		}
	}
	node.Set("required", out)
}

// descend post-processes the struct types found in t's schema node.
func (d *deriver) descend(t reflect.Type, node *value, ptr string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if leaf, _ := d.isLeaf(t); leaf {
		return nil
	}
	if ref, ok := node.Str("$ref"); ok {
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		if !ok || d.doneDefs[name] {
			return nil
		}
		def := d.defs.Get(name)
		if def == nil {
			return nil
		}
		d.doneDefs[name] = true
		node, ptr = def, "/$defs/"+jsonpointer.Escape(name)
	}
	switch t.Kind() {
	case reflect.Struct:
		return d.object(t, node, ptr)
	case reflect.Slice, reflect.Array:
		if items := node.Get("items"); items != nil && items.Kind == jsontree.Object {
			return d.descend(t.Elem(), items, ptr+"/items")
		}
	case reflect.Map:
		if ap := node.Get("additionalProperties"); ap != nil && ap.Kind == jsontree.Object {
			return d.descend(t.Elem(), ap, ptr+"/additionalProperties")
		}
		if pp := node.Get("patternProperties"); pp != nil && pp.Kind == jsontree.Object {
			for i, k := range pp.Keys {
				if err := d.descend(t.Elem(), pp.Vals[i], ptr+"/patternProperties/"+jsonpointer.Escape(k)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// integerBounds gives the schema node of an integer type (or of the
// elements of a slice, an array or a map of one) the Go type's range, so
// that a value that would overflow it is a schema violation at its
// pointer rather than a decoding error. A bound from a jsonschema tag that
// is tighter stays.
func (d *deriver) integerBounds(t reflect.Type, node *value, ptr string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node == nil || node.Kind != jsontree.Object {
		return
	}
	if leaf, _ := d.isLeaf(t); leaf {
		return
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		d.integerBounds(t.Elem(), node.Get("items"), ptr+"/items")
		return
	case reflect.Map:
		d.integerBounds(t.Elem(), node.Get("additionalProperties"), ptr+"/additionalProperties")
		return
	}
	lo, hi, ok := intRange(t)
	if !ok || node.Get("enum") != nil || node.Get("const") != nil || !hasType(node, "integer") {
		return
	}
	tighten := func(key string, bound *big.Int, keep func(c int) bool) {
		if cur := node.Get(key); cur != nil && cur.Kind == jsontree.Number {
			if r, ok := new(big.Rat).SetString(cur.Text); ok && keep(r.Cmp(new(big.Rat).SetInt(bound))) {
				return
			}
		}
		node.Set(key, jsontree.NewNumber(bound.String()))
		d.implied[ptr+"/"+key] = true
	}
	tighten("minimum", lo, func(c int) bool { return c >= 0 })
	tighten("maximum", hi, func(c int) bool { return c <= 0 })
}

// hasType reports whether a schema node's type is or includes name.
func hasType(node *value, name string) bool {
	t := node.Get("type")
	switch {
	case t == nil:
		return false
	case t.Kind == jsontree.String:
		return t.Text == name
	case t.Kind == jsontree.Array:
		for _, e := range t.Elems {
			if e.Kind == jsontree.String && e.Text == name {
				return true
			}
		}
	}
	return false
}

// intRange is the range of an integer kind.
func intRange(t reflect.Type) (lo, hi *big.Int, ok bool) {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := uint(t.Bits())
		hi = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits-1), big.NewInt(1))
		lo = new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), bits-1))
		return lo, hi, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		hi = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(t.Bits())), big.NewInt(1))
		return big.NewInt(0), hi, true
	}
	return nil, nil, false
}

// applyRetab sets the keys of a retab tag on a property.
func (d *deriver) applyRetab(rt retabTag, f jsonField, prop *value) error {
	if rt.prompt != "" {
		prop.Set("X-FieldPrompt", jsontree.NewString(rt.prompt))
	}
	if rt.reasoning != "" {
		prop.Set("X-ReasoningPrompt", jsontree.NewString(rt.reasoning))
	}
	ft := f.typ
	for ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	if rt.quote {
		leaf, _ := d.isLeaf(ft)
		if !leaf && (ft.Kind() == reflect.Struct || ft.Kind() == reflect.Map) {
			return fmt.Errorf("retab tag: quote asks for the text a value was read from, and %s is an object: put quote on its fields", ft)
		}
		prop.Set("X-SourceQuote", jsontree.NewBool(true))
	}
	if rt.itemReasoning != "" {
		if ft.Kind() != reflect.Slice && ft.Kind() != reflect.Array {
			return fmt.Errorf("retab tag: item-reasoning needs a slice or an array, and %s is a %s", ft, ft.Kind())
		}
		et := ft.Elem()
		for et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		if leaf, _ := d.isLeaf(et); leaf || et.Kind() != reflect.Struct {
			return fmt.Errorf("retab tag: item-reasoning needs items that are objects (Retab adds reasoning___item inside each item), and %s is not a struct", et)
		}
		holder := prop
		if ref, ok := prop.Str("$ref"); ok {
			holder = d.defs.Get(strings.TrimPrefix(ref, "#/$defs/"))
		}
		items := holder.Get("items")
		if items == nil || items.Kind != jsontree.Object {
			return fmt.Errorf("retab tag: item-reasoning: the schema of %s has no items", ft)
		}
		items.Set("X-ReasoningPrompt", jsontree.NewString(rt.itemReasoning))
	}
	return nil
}

// applyCommaFixes puts back the jsonschema tag values that
// invopop/jsonschema cut at a comma.
func applyCommaFixes(prop *value, fixes map[string][]string) error {
	target := prop // where string keywords go: the items of an array
	if t, _ := prop.Str("type"); t == "array" {
		if items := prop.Get("items"); items != nil && items.Kind == jsontree.Object {
			target = items
		}
	}
	keys := make([]string, 0, len(fixes))
	for k := range fixes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vals := fixes[k]
		if len(vals) == 0 {
			continue
		}
		last := vals[len(vals)-1]
		switch k {
		case "title", "description":
			prop.Set(k, jsontree.NewString(last))
		case "pattern":
			target.Set(k, jsontree.NewString(last))
		case "enum":
			if t, _ := target.Str("type"); t != "string" {
				return fmt.Errorf("jsonschema tag: enum=%s: a comma inside a non-string enum value", last)
			}
			arr := jsontree.NewArray()
			for _, v := range vals {
				arr.Elems = append(arr.Elems, jsontree.NewString(v))
			}
			target.Set(k, arr)
		default:
			return fmt.Errorf("jsonschema tag: %s=%s has a comma that is not between two items: escape it as \\\\, in the Go source, or remove it", k, last)
		}
	}
	return nil
}

// unwrapNullable undoes invopop/jsonschema's `jsonschema:"nullable"`
// ({"oneOf": [schema, {"type": "null"}]}) so that nullable applies
// Retab's form instead.
func unwrapNullable(prop *value) (*value, bool) {
	one := prop.Get("oneOf")
	if len(prop.Keys) != 1 || one == nil || one.Kind != jsontree.Array || len(one.Elems) != 2 {
		return nil, false
	}
	if t, _ := one.Elems[1].Str("type"); t != "null" || len(one.Elems[1].Keys) != 1 || one.Elems[0].Kind != jsontree.Object {
		return nil, false
	}
	return one.Elems[0], true
}

// nullable returns a schema that also accepts null, in the forms Retab's
// own schemas use: "type": ["string", "null"] for a schema with a single
// type, and {"anyOf": [schema, {"type": "null"}]} for a reference or a
// union, with annotations (description, X- keys...) kept outside.
func nullable(s *value) *value {
	if s.Kind != jsontree.Object {
		return s
	}
	typ := s.Get("type")
	switch {
	case s.Get("const") != nil:
	case typ != nil && typ.Kind == jsontree.String:
		if typ.Text == "null" {
			return s
		}
		s.Set("type", jsontree.NewArray(jsontree.NewString(typ.Text), jsontree.NewString("null")))
		addNullToEnum(s)
		return s
	case typ != nil && typ.Kind == jsontree.Array:
		for _, e := range typ.Elems {
			if e.Kind == jsontree.String && e.Text == "null" {
				return s
			}
		}
		typ.Elems = append(typ.Elems, jsontree.NewString("null"))
		addNullToEnum(s)
		return s
	case s.Get("$ref") == nil && s.Get("anyOf") == nil && s.Get("oneOf") == nil && s.Get("allOf") == nil && s.Get("enum") == nil:
		return s // no constraint on the type: null is already accepted
	}
	if any := s.Get("anyOf"); any != nil && any.Kind == jsontree.Array {
		for _, e := range any.Elems {
			if t, _ := e.Str("type"); t == "null" {
				return s
			}
		}
	}
	outer, inner := jsontree.NewObject(), jsontree.NewObject()
	for i, k := range s.Keys {
		if isAnnotation(k) {
			outer.Set(k, s.Vals[i])
		} else {
			inner.Set(k, s.Vals[i])
		}
	}
	null := jsontree.NewObject()
	null.Set("type", jsontree.NewString("null"))
	outer.Set("anyOf", jsontree.NewArray(inner, null))
	return outer
}

func addNullToEnum(s *value) {
	if e := s.Get("enum"); e != nil && e.Kind == jsontree.Array {
		for _, v := range e.Elems {
			if v.Kind == jsontree.Null {
				return
			}
		}
		e.Elems = append(e.Elems, jsontree.NewNull())
	}
}

// isAnnotation reports keywords that describe a schema without
// constraining values, and Retab's keys.
func isAnnotation(k string) bool {
	switch k {
	case "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "$comment":
		return true
	}
	return strings.HasPrefix(k, "X-") || strings.HasPrefix(k, "x-")
}

// checkValidateTag warns about the two `validate` traps: required means
// non-zero (so it refuses 0 and false, which the JSON Schema accepts), and
// the rules of slice, array and map elements run only with dive.
func (d *deriver) checkValidateTag(f jsonField, where, ptr string) {
	tag := f.tag.Get("validate")
	if tag == "" && !hasElementRules(f.typ) {
		return
	}
	items := strings.FieldsFunc(tag, func(r rune) bool { return r == ',' || r == '|' })
	has := func(s string) bool { return slices.Contains(items, s) }
	switch f.typ.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Bool:
		if has("required") {
			d.warnings = append(d.warnings, Warning{Code: WarnValidateRequired, Pointer: ptr, Message: fmt.Sprintf(
				"%s: validate:\"required\" means non-zero, so it refuses %s, a value the document may well print; "+
					"the JSON Schema already requires the key (no omitempty). Drop required, or use a pointer if a missing value must be refused",
				where, zeroWord(f.typ))})
		}
	}
	if hasElementRules(f.typ) && !has("dive") {
		d.warnings = append(d.warnings, Warning{Code: WarnValidateDive, Pointer: ptr, Message: fmt.Sprintf(
			"%s: the validator never runs the validate rules of its elements (the schema still checks those it can say, in their type's definition): add dive to its validate tag (validate:\"dive\")", where)})
	}
}

func zeroWord(t reflect.Type) string {
	if t.Kind() == reflect.Bool {
		return "false"
	}
	return "0"
}

// hasElementRules reports a slice, array or map whose element type is a
// struct with validate tags.
func hasElementRules(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
	default:
		return false
	}
	e := t.Elem()
	for e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	return e.Kind() == reflect.Struct && hasRules(e, map[reflect.Type]bool{})
}

func hasRules(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("validate") != "" {
			return true
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && hasRules(ft, seen) {
			return true
		}
	}
	return false
}

type jsonField struct {
	name     string // JSON name
	goName   string // Go field name
	owner    string // Go type that declares the field
	typ      reflect.Type
	tag      reflect.StructTag
	nullable bool
}

// jsonFields lists the JSON properties of a struct type, following
// encoding/json's rules for names and embedded structs.
func jsonFields(t reflect.Type) []jsonField {
	fields, _ := gojson.Fields(t)
	out := make([]jsonField, len(fields))
	for i, f := range fields {
		out[i] = jsonField{
			name: f.Name, goName: f.Field.Name, owner: goTypeName(f.Owner), typ: f.Field.Type, tag: f.Field.Tag,
			nullable: f.OmitEmpty || f.OmitZero || f.Field.Type.Kind() == reflect.Pointer,
		}
	}
	return out
}

// followShadowing makes the properties of struct type t's schema node
// those encoding/json decodes, where embedded structs declare the same
// JSON name (invopop/jsonschema resolves such names its own way): a name
// that encoding/json drops (a tie at the same depth) is removed, and the
// property of a name with a shallower or tagged winner is derived again
// from the winner alone, so that no tag of a losing field leaks into it.
func (d *deriver) followShadowing(t reflect.Type, node *value) error {
	winners, dropped := gojson.Fields(t)
	props := node.Get("properties")
	if len(dropped) == 0 || props == nil || props.Kind != jsontree.Object {
		return nil
	}
	keep := map[string]bool{}
	for _, w := range winners {
		keep[w.Name] = true
	}
	req := node.Get("required")
	setRequired := func(name string, on bool) {
		if req == nil || req.Kind != jsontree.Array {
			req = jsontree.NewArray()
			node.Set("required", req)
		}
		req.Elems = slices.DeleteFunc(req.Elems, func(v *value) bool { return v.Kind == jsontree.String && v.Text == name })
		if on {
			req.Elems = append(req.Elems, jsontree.NewString(name))
		}
	}
	for _, k := range slices.Clone(props.Keys) {
		if !keep[k] {
			props.Del(k)
			setRequired(k, false)
		}
	}
	lost := map[string]bool{}
	for _, f := range dropped {
		lost[f.Name] = true
	}
	for _, w := range winners {
		if !lost[w.Name] {
			continue
		}
		_, opts, _ := strings.Cut(w.Field.Tag.Get("json"), ",")
		tag := fmt.Sprintf("json:%q", strings.TrimSuffix(w.Name+","+opts, ","))
		for _, k := range []string{"jsonschema", "jsonschema_extras", "jsonschema_description", "validate", TagName} {
			if v, ok := w.Field.Tag.Lookup(k); ok {
				tag += fmt.Sprintf(" %s:%q", k, v)
			}
		}
		alone := reflect.StructOf([]reflect.StructField{{Name: "F", Type: w.Field.Type, Tag: reflect.StructTag(tag)}})
		js, err := reflectSafely(d.reflector, alone)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(js)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrUnsupportedType, t, err)
		}
		tree, err := jsontree.Parse(raw)
		if err != nil {
			return fmt.Errorf("%w: %s: %w", ErrUnsupportedType, t, err)
		}
		d.normalize(tree, true)
		if p := tree.Get("properties").Get(w.Name); p != nil {
			props.Set(w.Name, p)
		}
		required := false
		if r := tree.Get("required"); r != nil {
			for _, v := range r.Elems {
				required = required || v.Kind == jsontree.String && v.Text == w.Name
			}
		}
		setRequired(w.Name, required)
	}
	return nil
}

// keywordOrder is the order of keywords in a derived schema object:
// identity, then what a reader looks for first. Other keys follow, sorted,
// and $defs comes last.
var keywordOrder = func() map[string]int {
	order := []string{
		"$schema", "$id", "$ref", "title", "description",
		"X-SystemPrompt", "X-FieldPrompt", "X-ReasoningPrompt", "X-SourceQuote",
		"type", "format", "pattern", "enum", "const",
		"minLength", "maxLength", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "multipleOf",
		"contentEncoding", "contentMediaType",
		"items", "prefixItems", "contains", "minItems", "maxItems", "uniqueItems",
		"properties", "patternProperties", "additionalProperties", "propertyNames", "minProperties", "maxProperties",
		"required", "dependentRequired", "dependentSchemas",
		"anyOf", "oneOf", "allOf", "not", "if", "then", "else",
		"default", "examples", "deprecated", "readOnly", "writeOnly", "$comment",
	}
	m := make(map[string]int, len(order))
	for i, k := range order {
		m[k] = i
	}
	return m
}()

// orderKeys puts the keywords of every schema object in keywordOrder,
// keeps property names in field order and sorts $defs by name.
func orderKeys(v *value) {
	if v.Kind != jsontree.Object {
		return
	}
	rank := func(k string) int {
		if k == "$defs" {
			return len(keywordOrder) + 1
		}
		if r, ok := keywordOrder[k]; ok {
			return r
		}
		return len(keywordOrder)
	}
	idx := make([]int, len(v.Keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(rank(v.Keys[a]), rank(v.Keys[b])), func() int {
			if rank(v.Keys[a]) == len(keywordOrder) {
				return strings.Compare(v.Keys[a], v.Keys[b])
			}
			return 0
		}())
	})
	keys, vals := make([]string, len(idx)), make([]*value, len(idx))
	for n, i := range idx {
		keys[n], vals[n] = v.Keys[i], v.Vals[i]
	}
	v.Keys, v.Vals = keys, vals
	for i, k := range v.Keys {
		m := v.Vals[i]
		switch k {
		case "properties", "patternProperties", "dependentSchemas", "$defs":
			if m.Kind != jsontree.Object {
				continue
			}
			if k == "$defs" {
				idx := make([]int, len(m.Keys))
				for j := range idx {
					idx[j] = j
				}
				slices.SortFunc(idx, func(a, b int) int { return strings.Compare(m.Keys[a], m.Keys[b]) })
				keys, vals := make([]string, len(idx)), make([]*value, len(idx))
				for n, j := range idx {
					keys[n], vals[n] = m.Keys[j], m.Vals[j]
				}
				m.Keys, m.Vals = keys, vals
			}
			for _, e := range m.Vals {
				orderKeys(e)
			}
		case "items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames":
			orderKeys(m)
		case "anyOf", "oneOf", "allOf", "prefixItems":
			if m.Kind == jsontree.Array {
				for _, e := range m.Elems {
					orderKeys(e)
				}
			}
		}
	}
}
