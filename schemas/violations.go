package schemas

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"

	sjsonschema "github.com/santhosh-tekuri/jsonschema/v6"
	skind "github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/retabhook/retabhook/internal/jsonpointer"
	"github.com/retabhook/retabhook/internal/validatetag"
)

// Violation is one way an extracted object fails its schema.
type Violation struct {
	// Pointer is the JSON Pointer of the failing value in the extracted
	// object ("" for the root). For a missing or unexpected property it
	// points at the property itself ("/supplier/name"), not at the object
	// that lacks or holds it.
	Pointer string `json:"pointer"`
	// Keyword is the failing JSON Schema keyword (type, required, enum,
	// additionalProperties...) or, for validate tags, "validate:" and the
	// tag.
	Keyword string `json:"keyword,omitempty"`
	// Message says what is wrong in words, without the pointer: "must be a
	// number, not a string".
	Message string `json:"message"`
}

// CompareViolations orders violations as [ValidationError] lists them: by
// Pointer (compared as strings), then Keyword, then Message. A router
// lists a delivery's schema, decoding and validate-rule violations in
// this one order.
func CompareViolations(a, b Violation) int {
	return cmp.Or(strings.Compare(a.Pointer, b.Pointer), strings.Compare(a.Keyword, b.Keyword), strings.Compare(a.Message, b.Message))
}

// String returns "pointer: message" ("/" for the root).
func (v Violation) String() string {
	ptr := v.Pointer
	if ptr == "" {
		ptr = "/"
	}
	return ptr + ": " + v.Message
}

// ValidationError lists every violation of a schema.
type ValidationError struct {
	Violations []Violation
}

// Error implements error with a one-line summary naming the first three
// violations.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schemas: %d violation(s)", len(e.Violations))
	for i, v := range e.Violations {
		if i == 3 {
			b.WriteString("; ...")
			break
		}
		fmt.Fprintf(&b, "; %s", v)
	}
	return b.String()
}

var printer = message.NewPrinter(language.English)

func newValidationError(ve *sjsonschema.ValidationError) *ValidationError {
	out := &ValidationError{}
	collectViolations(ve, &out.Violations)
	slices.SortStableFunc(out.Violations, CompareViolations)
	out.Violations = slices.Compact(out.Violations)
	return out
}

// collectViolations flattens the error tree into its leaves. Under anyOf
// and oneOf, the branch that only allows null is dropped when the value is
// not null: "got object, want null" says nothing useful about a nullable
// object whose fields are wrong.
func collectViolations(e *sjsonschema.ValidationError, out *[]Violation) {
	if len(e.Causes) > 0 {
		causes := e.Causes
		switch e.ErrorKind.(type) {
		case *skind.AnyOf, *skind.OneOf:
			var kept []*sjsonschema.ValidationError
			for _, c := range causes {
				if t, ok := c.ErrorKind.(*skind.Type); ok && len(c.Causes) == 0 && len(t.Want) == 1 && t.Want[0] == "null" {
					continue
				}
				kept = append(kept, c)
			}
			if len(kept) > 0 {
				causes = kept
			}
		}
		for _, c := range causes {
			collectViolations(c, out)
		}
		return
	}
	ptr := ""
	for _, tok := range e.InstanceLocation {
		ptr += "/" + jsonpointer.Escape(tok)
	}
	switch k := e.ErrorKind.(type) {
	case *skind.Required:
		for _, m := range k.Missing {
			*out = append(*out, Violation{Pointer: ptr + "/" + jsonpointer.Escape(m), Keyword: "required", Message: "is required but missing"})
		}
		return
	case *skind.AdditionalProperties:
		for _, m := range k.Properties {
			*out = append(*out, Violation{Pointer: ptr + "/" + jsonpointer.Escape(m), Keyword: "additionalProperties", Message: "is not a property of the schema (additional properties are not allowed)"})
		}
		return
	}
	kw := ""
	if path := e.ErrorKind.KeywordPath(); len(path) > 0 {
		kw = path[0]
	}
	*out = append(*out, Violation{Pointer: ptr, Keyword: kw, Message: humanMessage(e.ErrorKind)})
}

// humanMessage words the common failures for a person; the rest use the
// validator's English text.
func humanMessage(k sjsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *skind.Type:
		return fmt.Sprintf("must be %s, not %s", typeList(k.Want), withArticle(k.Got))
	case *skind.Enum:
		if name := codeListName(k.Want); name != "" {
			return fmt.Sprintf("must be %s; got %s", name, display(k.Got))
		}
		if len(k.Want) > 12 {
			// A long list: name a few values, not all.
			return fmt.Sprintf("must be one of the %d values the schema lists (%s...); got %s", len(k.Want), displayList(k.Want[:5])+", ", display(k.Got))
		}
		return fmt.Sprintf("must be one of %s; got %s", displayList(k.Want), display(k.Got))
	case *skind.Const:
		return fmt.Sprintf("must be %s; got %s", display(k.Want), display(k.Got))
	case *skind.MinLength:
		if k.Want == 1 && k.Got == 0 {
			return "must not be empty"
		}
		return fmt.Sprintf("must be at least %s long; got %d", plural(k.Want, "character"), k.Got)
	case *skind.MaxLength:
		return fmt.Sprintf("must be at most %s long; got %d", plural(k.Want, "character"), k.Got)
	case *skind.Pattern:
		return fmt.Sprintf("must match the pattern %s; got %s", display(k.Want), display(k.Got))
	case *skind.Format:
		return fmt.Sprintf("must be a valid %s; got %s", k.Want, display(k.Got))
	case *skind.Minimum:
		return fmt.Sprintf("must be at least %s; got %s", ratString(k.Want), ratString(k.Got))
	case *skind.Maximum:
		return fmt.Sprintf("must be at most %s; got %s", ratString(k.Want), ratString(k.Got))
	case *skind.ExclusiveMinimum:
		return fmt.Sprintf("must be greater than %s; got %s", ratString(k.Want), ratString(k.Got))
	case *skind.ExclusiveMaximum:
		return fmt.Sprintf("must be less than %s; got %s", ratString(k.Want), ratString(k.Got))
	case *skind.MinItems:
		if k.Want == 1 && k.Got == 0 {
			return "must have at least one item; got none"
		}
		return fmt.Sprintf("must have at least %s; got %d", plural(k.Want, "item"), k.Got)
	case *skind.MaxItems:
		return fmt.Sprintf("must have at most %s; got %d", plural(k.Want, "item"), k.Got)
	case *skind.FalseSchema:
		return "is not allowed here"
	}
	return k.LocalizedString(printer)
}

// codeListName names the enums that validate rules write (iso4217...),
// so a violation says "must be an ISO 4217 currency code".
func codeListName(want []any) string {
	for _, l := range []struct {
		codes []string
		name  string
	}{
		{validatetag.Codes("iso4217"), "an ISO 4217 currency code"},
		{validatetag.Codes("iso3166_1_alpha2"), "an ISO 3166-1 alpha-2 country code"},
		{validatetag.Codes("iso3166_1_alpha3"), "an ISO 3166-1 alpha-3 country code"},
	} {
		if len(want) != len(l.codes) {
			continue
		}
		same := true
		for i, w := range want {
			if s, ok := w.(string); !ok || s != l.codes[i] {
				same = false
				break
			}
		}
		if same {
			return l.name
		}
	}
	return ""
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func typeList(types []string) string {
	words := make([]string, 0, len(types))
	null := false
	for _, t := range types {
		if t == "null" {
			null = true
			continue
		}
		words = append(words, withArticle(t))
	}
	if null {
		words = append(words, "null") // "a string or null" reads better
	}
	if len(words) == 1 {
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func withArticle(t string) string {
	switch t {
	case "null":
		return "null"
	case "integer", "object", "array":
		return "an " + t
	}
	return "a " + t
}

func display(v any) string {
	if r, ok := v.(*big.Rat); ok {
		return ratString(r)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}

func displayList(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = display(v)
	}
	return strings.Join(parts, ", ")
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return fmt.Sprint(f)
}
