package schemas

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/retabhook/retabhook/internal/jsontree"
)

// TagName is the struct tag that carries Retab's keys on a field.
const TagName = "retab"

// splitTag splits a tag value into items at commas. A comma starts a new
// item only when the text after it starts a known item (starts reports
// that); any other comma belongs to the value before it, so that
// "description=Total, tax included" and "pattern=^[A-Z]{2,3}$" stay whole.
// "\," is always a literal comma.
func splitTag(tag string, starts func(rest string) bool) []string {
	var items []string
	var cur strings.Builder
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		switch {
		case c == '\\' && i+1 < len(tag) && tag[i+1] == ',':
			cur.WriteByte(',')
			i++
		case c == ',' && starts(tag[i+1:]):
			items = append(items, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(items, cur.String())
}

// startsItem reports whether rest begins with one of the keys followed by
// '=' or is one of the flags (alone or followed by a comma).
func startsItem(rest string, keys, flags []string) bool {
	for _, k := range keys {
		if strings.HasPrefix(rest, k+"=") {
			return true
		}
	}
	for _, f := range flags {
		if rest == f || strings.HasPrefix(rest, f+",") {
			return true
		}
	}
	return false
}

// retabTag is a parsed `retab:"..."` tag.
type retabTag struct {
	prompt        string // X-FieldPrompt
	reasoning     string // X-ReasoningPrompt on the field
	itemReasoning string // X-ReasoningPrompt on the array's items
	quote         bool   // X-SourceQuote
}

var (
	retabKeys  = []string{"prompt", "reasoning", "item-reasoning"}
	retabFlags = []string{"quote"}
)

// parseRetabTag parses the retab tag:
//
//	retab:"prompt=TEXT,reasoning=TEXT,item-reasoning=TEXT,quote"
//
// Every item is optional and may come in any order. Values are free text:
// a comma inside one is kept unless what follows it is another item
// ("prompt=", "reasoning=", "item-reasoning=" or "quote").
func parseRetabTag(tag string) (retabTag, error) {
	var rt retabTag
	if tag == "" {
		return rt, nil
	}
	items := splitTag(tag, func(rest string) bool { return startsItem(rest, retabKeys, retabFlags) })
	for _, it := range items {
		key, val, hasVal := strings.Cut(it, "=")
		switch {
		case key == "quote" && !hasVal:
			rt.quote = true
			continue
		case !hasVal:
			return rt, fmt.Errorf("retab tag: %q is not an item (want prompt=, reasoning=, item-reasoning= or quote)", it)
		case strings.TrimSpace(val) == "":
			return rt, fmt.Errorf("retab tag: %s has an empty value", key)
		}
		switch key {
		case "prompt":
			rt.prompt = val
		case "reasoning":
			rt.reasoning = val
		case "item-reasoning":
			rt.itemReasoning = val
		default:
			return rt, fmt.Errorf("retab tag: unknown item %q (want prompt=, reasoning=, item-reasoning= or quote)", key)
		}
	}
	return rt, nil
}

// jsonschemaKeys and jsonschemaFlags are the items invopop/jsonschema
// reads from a `jsonschema:"..."` tag.
var (
	jsonschemaKeys = []string{
		"title", "description", "type", "anchor",
		"oneof_required", "anyof_required", "oneof_ref", "oneof_type", "anyof_ref", "anyof_type",
		"minLength", "maxLength", "pattern", "format", "readOnly", "writeOnly",
		"default", "example", "enum",
		"multipleOf", "minimum", "maximum", "exclusiveMaximum", "exclusiveMinimum",
		"minItems", "maxItems", "uniqueItems",
	}
	jsonschemaFlags = []string{"required", "nullable"}
)

// naiveSplit splits as invopop/jsonschema does: at every comma not
// preceded by a backslash.
func naiveSplit(tag string) []string {
	parts := strings.Split(tag, ",")
	out := []string{parts[0]}
	for _, p := range parts[1:] {
		last := out[len(out)-1]
		if strings.HasSuffix(last, `\`) {
			out[len(out)-1] = last[:len(last)-1] + "," + p
			continue
		}
		out = append(out, p)
	}
	return out
}

// tagValues groups the key=value items of a split tag by key, in order.
func tagValues(items []string) map[string][]string {
	m := map[string][]string{}
	for _, it := range items {
		if k, v, ok := strings.Cut(it, "="); ok {
			m[k] = append(m[k], v)
		}
	}
	return m
}

// commaFixes compares how invopop/jsonschema split a jsonschema tag with
// how it was meant (see splitTag) and returns, for each keyword whose
// values differ, the values meant.
func commaFixes(tag string) map[string][]string {
	if !strings.Contains(tag, ",") {
		return nil
	}
	meant := tagValues(splitTag(tag, func(rest string) bool { return startsItem(rest, jsonschemaKeys, jsonschemaFlags) }))
	got := tagValues(naiveSplit(tag))
	var fixes map[string][]string
	for _, k := range jsonschemaKeys {
		if !sameStrings(meant[k], got[k]) {
			if fixes == nil {
				fixes = map[string][]string{}
			}
			fixes[k] = meant[k]
		}
	}
	return fixes
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkSchemaTag refuses a jsonschema tag value invopop/jsonschema would
// drop without a word: a bound or a count that is not a number, an enum
// or default value that is not a value of the field's numeric or boolean
// type, a boolean keyword that is neither true nor false.
func checkSchemaTag(tag string, t reflect.Type) error {
	if tag == "" || tag == "-" {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	items := splitTag(tag, func(rest string) bool { return startsItem(rest, jsonschemaKeys, jsonschemaFlags) })
	for _, it := range items {
		k, v, ok := strings.Cut(it, "=")
		if !ok {
			continue
		}
		bad := ""
		switch k {
		case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf":
			if n, err := jsontree.Parse([]byte(v)); err != nil || n.Kind != jsontree.Number {
				bad = "is not a number"
			}
		case "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties":
			if n, err := strconv.ParseUint(v, 10, 63); err != nil || strconv.FormatUint(n, 10) != v {
				bad = "is not a count (a non-negative integer)"
			}
		case "readOnly", "writeOnly", "uniqueItems":
			if v != "true" && v != "false" {
				bad = "is neither true nor false"
			}
		case "enum", "default":
			switch t.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					if _, err := strconv.ParseUint(v, 10, 64); err != nil {
						bad = "is not an integer"
					}
				}
			case reflect.Float32, reflect.Float64:
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					bad = "is not a number"
				}
			case reflect.Bool:
				if v != "true" && v != "false" {
					bad = "is neither true nor false"
				}
			}
		}
		if bad != "" {
			return fmt.Errorf("jsonschema tag: %s=%s %s, so it cannot be applied", k, v, bad)
		}
	}
	return nil
}
