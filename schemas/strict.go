package schemas

import (
	"fmt"
	"strings"

	"github.com/retabhook/retabhook/internal/jsonpointer"
	"github.com/retabhook/retabhook/internal/jsontree"
)

// Warning is one thing to know about a schema before uploading it to
// Retab. See [Schema.Warnings].
type Warning struct {
	// Code names the kind of warning (one of the Warn... constants), for
	// filtering.
	Code string `json:"code"`
	// Pointer is the JSON Pointer of the schema node concerned, in the
	// schema document ("" for the root): "/properties/total".
	Pointer string `json:"pointer"`
	// Message says what happens and what to do.
	Message string `json:"message"`
}

// String returns "pointer: message" ("/" for the root).
func (w Warning) String() string {
	ptr := w.Pointer
	if ptr == "" {
		ptr = "/"
	}
	return ptr + ": " + w.Message
}

// Warning codes. The strict- codes describe what Retab's strict mode
// changes when it shows the schema to the model; the retab- codes, what
// Retab refuses or ignores; the validate- codes, `validate` tags that do
// not do what they seem to (derived schemas only).
const (
	WarnStrictInteger    = "strict-integer"     // integer shown as number
	WarnStrictEnum       = "strict-enum"        // enum values shown as strings
	WarnStrictFormat     = "strict-format"      // format not shown
	WarnStrictLength     = "strict-length"      // minLength / maxLength not shown
	WarnStrictDefault    = "strict-default"     // default not shown
	WarnStrictRequired   = "strict-required"    // an optional, non-nullable property made required
	WarnStrictAdditional = "strict-additional"  // additional properties forbidden
	WarnStrictMap        = "strict-map"         // an object without properties (a map)
	WarnStrictOneOf      = "strict-oneof"       // oneOf is not supported in strict mode
	WarnRetabRef         = "retab-ref"          // a $ref Retab cannot expand
	WarnRetabAllOf       = "retab-allof"        // allOf with several schemas
	WarnRetabSystem      = "retab-system"       // X-SystemPrompt below the root
	WarnRetabSourceQuote = "retab-source-quote" // X-SourceQuote: no longer in Retab's docs
	WarnRetabFieldPrompt = "retab-field-prompt" // X-FieldPrompt: no longer in Retab's docs
	WarnValidateRequired = "validate-required"  // validate:"required" on a number or a bool
	WarnValidateDive     = "validate-dive"      // element rules without dive
	WarnValidateUntold   = "validate-untold"    // a validate rule with no schema form: the model is not told
)

// strictWarnings walks a schema document and reports what Retab's strict
// mode changes in it, and what Retab refuses.
func strictWarnings(root *value) []Warning {
	var out []Warning
	walkSchemas(root, "", func(s *value, ptr string) {
		out = append(out, nodeWarnings(s, ptr)...)
	})
	return out
}

// walkSchemas calls f on every schema object of a document, in document
// order.
func walkSchemas(v *value, ptr string, f func(s *value, ptr string)) {
	if v.Kind != jsontree.Object {
		return
	}
	f(v, ptr)
	for i, k := range v.Keys {
		m := v.Vals[i]
		p := ptr + "/" + jsonpointer.Escape(k)
		switch k {
		case "properties", "$defs", "definitions", "patternProperties", "dependentSchemas":
			if m.Kind == jsontree.Object {
				for j, name := range m.Keys {
					walkSchemas(m.Vals[j], p+"/"+jsonpointer.Escape(name), f)
				}
			}
		case "items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedProperties", "unevaluatedItems":
			walkSchemas(m, p, f)
		case "anyOf", "oneOf", "allOf", "prefixItems":
			if m.Kind == jsontree.Array {
				for j, e := range m.Elems {
					walkSchemas(e, fmt.Sprintf("%s/%d", p, j), f)
				}
			}
		}
	}
}

func nodeWarnings(s *value, ptr string) []Warning {
	var out []Warning
	add := func(code, format string, args ...any) {
		out = append(out, Warning{Code: code, Pointer: ptr, Message: fmt.Sprintf(format, args...)})
	}
	types := typeSet(s)
	if types["integer"] {
		add(WarnStrictInteger, "integer is shown to the model as number: an answer such as 3.0 is read as 3, and a fractional answer fails validation")
	}
	if e := s.Get("enum"); e != nil && e.Kind == jsontree.Array {
		var shown []string
		nonString := false
		for _, v := range e.Elems {
			shown = append(shown, `"`+pythonStr(v)+`"`)
			nonString = nonString || v.Kind != jsontree.String
		}
		if nonString {
			add(WarnStrictEnum, "enum values are shown to the model as the strings %s; the router reads such a string back as the value it stands for", strings.Join(shown, ", "))
		}
	}
	if f, ok := s.Str("format"); ok && s.Get("pattern") == nil {
		add(WarnStrictFormat, "format %q is not shown to the model (it is not checked here either): say the format in the description, or add a pattern", f)
	}
	for _, k := range []string{"minLength", "maxLength"} {
		if s.Get(k) != nil {
			add(WarnStrictLength, "%s is not shown to the model (it is still checked here): say the limit in the description", k)
		}
	}
	if s.Get("default") != nil {
		add(WarnStrictDefault, "default is not shown to the model: a missing value is not replaced by it")
	}
	if props := s.Get("properties"); props != nil && props.Kind == jsontree.Object {
		required := map[string]bool{}
		if r := s.Get("required"); r != nil && r.Kind == jsontree.Array {
			for _, e := range r.Elems {
				if e.Kind == jsontree.String {
					required[e.Text] = true
				}
			}
		}
		for i, name := range props.Keys {
			if !required[name] && !acceptsNull(props.Vals[i]) {
				out = append(out, Warning{Code: WarnStrictRequired, Pointer: ptr + "/properties/" + jsonpointer.Escape(name), Message: fmt.Sprintf(
					"%q is optional, but strict mode makes every property required and this one does not accept null: "+
						"the model must answer a value even when the document has none. Make it nullable (a pointer, or omitempty)", name)})
			}
		}
		if ap := s.Get("additionalProperties"); ap == nil || ap.Kind != jsontree.Bool || ap.Bool {
			add(WarnStrictAdditional, "additional properties are allowed here, but strict mode forbids them: the model answers only the listed properties")
		}
	} else if types["object"] && s.Get("$ref") == nil {
		add(WarnStrictMap, "an object without properties (a map): strict mode needs every property named in advance, so the model may only be able to answer {}")
	}
	if s.Get("oneOf") != nil {
		add(WarnStrictOneOf, "oneOf is not supported by strict mode: use anyOf")
	}
	if all := s.Get("allOf"); all != nil && all.Kind == jsontree.Array && len(all.Elems) != 1 {
		add(WarnRetabAllOf, "Retab accepts allOf with exactly one schema; this one has %d", len(all.Elems))
	}
	if ref, ok := s.Str("$ref"); ok && !strings.HasPrefix(ref, "#/$defs/") {
		add(WarnRetabRef, "Retab expands only references of the form #/$defs/Name; %q would be refused", ref)
	}
	if ptr != "" && s.Get("X-SystemPrompt") != nil {
		add(WarnRetabSystem, "X-SystemPrompt is read at the root only: move it there")
	}
	// Retab's current docs document X-SystemPrompt and X-ReasoningPrompt;
	// these two keys left them (dates of the docs commits).
	if s.Get("X-SourceQuote") != nil {
		add(WarnRetabSourceQuote, "X-SourceQuote is no longer in Retab's docs (removed on 2026-03-09), so Retab may ignore it: "+
			"the sources of extracted values now come from GET /v1/extractions/{id}/sources. "+
			"The router still sets aside the source___ and quote___ keys if the model adds them")
	}
	if s.Get("X-FieldPrompt") != nil {
		add(WarnRetabFieldPrompt, "X-FieldPrompt has been missing from Retab's docs since 2025-05-11, so Retab may no longer read it: "+
			"put the text in the description, which the model reads (jsonschema:\"description=...\", or the field's doc comment)")
	}
	return out
}

// typeSet returns the types a schema node names in "type".
func typeSet(s *value) map[string]bool {
	set := map[string]bool{}
	switch t := s.Get("type"); {
	case t == nil:
	case t.Kind == jsontree.String:
		set[t.Text] = true
	case t.Kind == jsontree.Array:
		for _, e := range t.Elems {
			if e.Kind == jsontree.String {
				set[e.Text] = true
			}
		}
	}
	return set
}

// acceptsNull reports whether a property schema says it accepts null
// (type null, an enum with null, an anyOf or oneOf branch of type null)
// or has no type at all.
func acceptsNull(s *value) bool {
	if s.Kind == jsontree.Bool {
		return s.Bool
	}
	if s.Kind != jsontree.Object {
		return false
	}
	if typeSet(s)["null"] {
		return true
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		if a := s.Get(k); a != nil && a.Kind == jsontree.Array {
			for _, e := range a.Elems {
				if acceptsNull(e) {
					return true
				}
			}
		}
	}
	if e := s.Get("enum"); e != nil && e.Kind == jsontree.Array {
		for _, v := range e.Elems {
			if v.Kind == jsontree.Null {
				return true
			}
		}
		return false
	}
	return s.Get("type") == nil && s.Get("$ref") == nil && s.Get("anyOf") == nil && s.Get("oneOf") == nil &&
		s.Get("allOf") == nil && s.Get("const") == nil && s.Get("not") == nil
}

// pythonStr is Python's str() of a JSON value, as Retab's strict mode
// writes enum values.
func pythonStr(v *value) string {
	switch v.Kind {
	case jsontree.Null:
		return "None"
	case jsontree.Bool:
		if v.Bool {
			return "True"
		}
		return "False"
	case jsontree.Number:
		return jsontree.PythonNumber(v.Text)
	case jsontree.String:
		return v.Text
	default:
		return string(appendPython(nil, v))
	}
}
