package schemas

import (
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/retabhook/retabhook/internal/jsontree"
	"github.com/retabhook/retabhook/internal/validatetag"
)

// ErrTagConflict is wrapped by the derivation error of a field whose
// `jsonschema` tag and `validate` rules say different things about the same
// keyword (jsonschema:"minimum=5" with validate:"gte=0"): one of the two
// would be wrong, so neither is picked.
var ErrTagConflict = errors.New("schemas: jsonschema tag contradicts validate rule")

// A `validate` rule (go-playground/validator) becomes JSON Schema keywords
// where JSON Schema can say it, so that the model is told what the
// receiver will check. The mapping follows the validator's own semantics:
// lengths count runes (as minLength does), min/max/len are item counts on
// slices and maps and bounds on numbers, and dive applies the rules after
// it to the elements (items, or additionalProperties for a map; keys ...
// endkeys to propertyNames).

// rule is one item of a validate tag: "min=1" is {name: "min", param: "1"}.
type rule struct{ name, param string }

func (r rule) String() string {
	if r.param == "" {
		return r.name
	}
	return r.name + "=" + r.param
}

// ruleLevel is the rules of one level of a validate tag: the field itself
// (level 0), then the elements after each dive.
type ruleLevel struct {
	rules []rule
	keys  []rule // keys ... endkeys, for a map's keys
}

// parseValidateTag splits a validate tag into levels at each dive. An
// alternative (a|b) is kept whole, as one rule without a schema form.
func parseValidateTag(tag string) []ruleLevel {
	levels := []ruleLevel{{}}
	inKeys := false
	for _, item := range strings.Split(tag, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		cur := &levels[len(levels)-1]
		switch item {
		case "dive":
			levels = append(levels, ruleLevel{})
			continue
		case "keys":
			inKeys = true
			continue
		case "endkeys":
			inKeys = false
			continue
		}
		name, param, _ := strings.Cut(item, "=")
		if strings.Contains(item, "|") {
			name, param = item, ""
		}
		r := rule{name: name, param: validatetag.Param(param)}
		if inKeys {
			cur.keys = append(cur.keys, r)
		} else {
			cur.rules = append(cur.rules, r)
		}
	}
	return levels
}

// fieldRules is what the validate tag of one field asks of its schema
// beyond keywords on its nodes.
type fieldRules struct {
	notNull bool // null (nil, or the zero value) fails the rules: the schema must refuse it
	present bool // a missing key fails the rules: the property must be required
}

// keywordSource records, for the keywords a jsonschema tag wrote, their
// values, so that a validate rule saying otherwise is a conflict.
type keywordSource map[string][]string

// boundKeywords are keywords a rule may tighten: lower bounds keep the
// larger value, upper bounds the smaller.
var (
	lowerBounds = []string{"minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum"}
	upperBounds = []string{"maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum"}
)

// applyRules turns the validate tag of field f into keywords on prop, its
// schema node (before nullability is applied), and returns what the field
// needs besides. Rules without a schema form become validate-untold
// warnings; a rule that contradicts the field's jsonschema tag is an
// error.
func (d *deriver) applyRules(f jsonField, prop *value, ptr, where string) (fieldRules, error) {
	var fr fieldRules
	tag := f.tag.Get("validate")
	if tag == "" || tag == "-" {
		return fr, nil
	}
	fromTag := keywordSource(tagValues(splitTag(f.tag.Get("jsonschema"), func(rest string) bool {
		return startsItem(rest, jsonschemaKeys, jsonschemaFlags)
	})))
	a := &ruleApplier{d: d, where: where, fromTag: fromTag}
	levels := parseValidateTag(tag)
	node, typ := prop, f.typ
	for i, lv := range levels {
		if node == nil {
			for _, r := range lv.rules {
				a.untold(ptr, r, "the schema of these elements is not inline (a named slice or map type): JSON Schema cannot be given the rule here")
			}
			continue
		}
		isPtr := typ.Kind() == reflect.Pointer
		base := typ
		for base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		var keys []rule // keys ... endkeys follow a dive, and describe the map's keys
		if i+1 < len(levels) {
			keys = levels[i+1].keys
		}
		lr, err := a.level(node, ptr, base, isPtr, lv.rules, keys)
		if err != nil {
			return fr, err
		}
		if i == 0 {
			fr = lr
		}
		if i+1 == len(levels) {
			break
		}
		// Dive: the next level's rules apply to the elements.
		switch base.Kind() {
		case reflect.Slice, reflect.Array:
			node, ptr = schemaChild(node, "items"), ptr+"/items"
		case reflect.Map:
			node, ptr = schemaChild(node, "additionalProperties"), ptr+"/additionalProperties"
		default:
			node = nil
		}
		typ = base.Elem()
	}
	return fr, nil
}

// schemaChild returns the object member key of a schema node when it is
// an inline schema (not a $ref to a definition), or nil.
func schemaChild(node *value, key string) *value {
	c := node.Get(key)
	if c == nil || c.Kind != jsontree.Object {
		return nil
	}
	return c
}

type ruleApplier struct {
	d       *deriver
	where   string
	fromTag keywordSource
}

func (a *ruleApplier) untold(ptr string, r rule, why string) {
	a.d.warnings = append(a.d.warnings, Warning{Code: WarnValidateUntold, Pointer: ptr, Message: fmt.Sprintf(
		"%s: validate rule %q has no JSON Schema form (%s): the receiver checks it after decoding, but the model is not told; "+
			"say it in the description", a.where, r.String(), why)})
}

// level applies the rules of one level to node, whose Go type is base
// (isPtr: the Go value is a pointer to it).
func (a *ruleApplier) level(node *value, ptr string, base reflect.Type, isPtr bool, rules, keys []rule) (fieldRules, error) {
	var fr fieldRules
	omit := len(rules) > 0 && (rules[0].name == "omitempty" || rules[0].name == "omitnil" || rules[0].name == "omitzero")
	if omit {
		rules = rules[1:]
	}
	if omit && !isPtr {
		// The zero value skips the rules: JSON Schema would need an anyOf
		// with the zero value, which strict mode shows badly.
		for _, r := range rules {
			a.untold(ptr, r, "after omitempty on a value that is not a pointer, the zero value skips it; make the field a pointer, so that null is what skips it")
		}
		return fr, nil
	}
	if isPtr && !omit && len(rules) > 0 {
		// The validator fails every rule on a nil pointer.
		fr.notNull, fr.present = true, true
	}
	var clauses []string
	for _, r := range rules {
		if r.name == "required" && isPtr {
			// A pointer is required when it is not nil: *string "" passes.
			fr.notNull, fr.present = true, true
			continue
		}
		res, err := a.keywords(base, r)
		if err != nil {
			return fr, fmt.Errorf("%w: field %s: validate rule %q: %w", ErrUnsupportedType, a.where, r.String(), err)
		}
		if res.why != "" {
			if r.name == "required" && isNumberOrBool(base) {
				continue // the validate-required warning says it
			}
			a.untold(ptr, r, res.why)
			continue
		}
		if res.notNull {
			fr.notNull, fr.present = true, true
		}
		for _, kw := range res.kws {
			if err := a.set(node, kw.key, kw.val, r); err != nil {
				return fr, err
			}
			if droppedByStrict(kw.key) && res.clause != "" {
				a.d.told[ptr+"#"+kw.key] = true
			}
		}
		if res.clause != "" && !slices.Contains(clauses, res.clause) {
			clauses = append(clauses, res.clause)
		}
	}
	if len(keys) > 0 {
		if base.Kind() != reflect.Map {
			for _, r := range keys {
				a.untold(ptr, r, "keys applies to a map's keys only")
			}
		} else {
			names := jsontree.NewObject()
			for _, r := range keys {
				res, err := a.keywords(base.Key(), r)
				if err != nil {
					return fr, fmt.Errorf("%w: field %s: validate rule %q on the keys: %w", ErrUnsupportedType, a.where, r.String(), err)
				}
				if res.why != "" {
					a.untold(ptr, r, res.why)
					continue
				}
				for _, kw := range res.kws {
					if err := a.set(names, kw.key, kw.val, r); err != nil {
						return fr, err
					}
				}
				if res.clause != "" {
					clauses = append(clauses, "Keys: "+lowerFirst(res.clause))
				}
			}
			if len(names.Keys) > 0 {
				node.Set("propertyNames", names)
			}
		}
	}
	if err := checkBounds(node, a.where); err != nil {
		return fr, err
	}
	appendClauses(node, clauses)
	return fr, nil
}

// appendClauses states rules in words at the end of a node's description
// (and of its X-FieldPrompt, which replaces the description for the
// model), so that the model reads them even where strict mode drops the
// keyword. The text depends only on the rules, so ids stay stable.
func appendClauses(node *value, clauses []string) {
	if len(clauses) == 0 {
		return
	}
	words := strings.Join(clauses, " ")
	for _, k := range []string{"description", "X-FieldPrompt"} {
		d, ok := node.Str(k)
		switch {
		case !ok && k == "description":
			node.Set(k, jsontree.NewString(words))
		case ok:
			d = strings.TrimRight(d, " ")
			if d != "" && !strings.HasSuffix(d, ".") && !strings.HasSuffix(d, "!") && !strings.HasSuffix(d, "?") {
				d += "."
			}
			node.Set(k, jsontree.NewString(strings.TrimSpace(d+" "+words)))
		}
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// droppedByStrict reports the keywords Retab's strict mode does not show
// the model (those the reference names; see docs/schemas.md).
func droppedByStrict(k string) bool {
	return k == "minLength" || k == "maxLength" || k == "format"
}

func isNumberOrBool(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Bool:
		return true
	}
	return false
}

type keyword struct {
	key string
	val *value
}

// ruleResult is what one rule becomes: keywords and a clause for the
// description, or the reason it has no schema form.
type ruleResult struct {
	kws     []keyword
	clause  string
	notNull bool
	why     string // no schema form, and why
}

// goKind classifies a Go type the way the validator's size rules do.
type goKind int

const (
	kindOther goKind = iota
	kindStr
	kindInt
	kindUint
	kindFloat
	kindList
	kindMap
)

func classify(t reflect.Type) goKind {
	// Types whose JSON form is not their Go kind (Date, Amount,
	// json.Number, a MarshalText type...) have no mapping.
	switch t {
	case numberType, rawType:
		return kindOther
	}
	if t.Kind() != reflect.Slice && (t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler) ||
		t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler)) {
		return kindOther
	}
	switch t.Kind() {
	case reflect.String:
		return kindStr
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kindInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return kindUint
	case reflect.Float32, reflect.Float64:
		return kindFloat
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return kindOther // []byte is a base64 string
		}
		return kindList
	case reflect.Map:
		return kindMap
	}
	return kindOther
}

// sizeKeywords names the count keywords of each kind: lower, upper, the
// word for one unit and for several.
func sizeKeywords(k goKind) (lo, hi, one, many string) {
	switch k {
	case kindStr:
		return "minLength", "maxLength", "character", "characters"
	case kindList:
		return "minItems", "maxItems", "entry", "entries"
	case kindMap:
		return "minProperties", "maxProperties", "key", "keys"
	}
	return "", "", "", ""
}

func countWords(n int64, one, many string) string {
	if n == 1 {
		if one == "entry" {
			return "one entry"
		}
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// keywords maps one rule on a value of Go type t to keywords.
func (a *ruleApplier) keywords(t reflect.Type, r rule) (ruleResult, error) {
	k := classify(t)
	isString := k == kindStr
	switch r.name {
	case "required":
		switch k {
		case kindStr:
			return ruleResult{kws: []keyword{{"minLength", jsontree.NewNumber("1")}}, clause: "Not empty.", notNull: true}, nil
		case kindList, kindMap:
			return ruleResult{notNull: true}, nil // non-nil: present and not null
		}
		if t.Kind() == reflect.Interface {
			return ruleResult{notNull: true}, nil
		}
		if isNumberOrBool(t) {
			return ruleResult{why: "required means non-zero"}, nil
		}
		return ruleResult{why: "required on a struct means not its zero value"}, nil
	case "min", "max", "len", "gt", "gte", "lt", "lte", "eq", "ne":
		if r.param == "" {
			return ruleResult{why: "compares with the current time"}, nil
		}
		if r.name == "eq" || r.name == "ne" {
			return ruleResult{why: "eq and ne are not mapped"}, nil
		}
		switch k {
		case kindStr, kindList, kindMap:
			n, err := strconv.ParseInt(r.param, 0, 64)
			if err != nil {
				return ruleResult{}, fmt.Errorf("%q is not a whole number", r.param)
			}
			lo, hi, one, many := sizeKeywords(k)
			num := func(n int64) *value { return jsontree.NewNumber(strconv.FormatInt(n, 10)) }
			switch r.name {
			case "min", "gte":
				return ruleResult{kws: []keyword{{lo, num(n)}}, clause: "At least " + countWords(n, one, many) + "."}, nil
			case "gt":
				return ruleResult{kws: []keyword{{lo, num(n + 1)}}, clause: "At least " + countWords(n+1, one, many) + "."}, nil
			case "max", "lte":
				return ruleResult{kws: []keyword{{hi, num(n)}}, clause: "At most " + countWords(n, one, many) + "."}, nil
			case "lt":
				if n <= 0 {
					return ruleResult{why: "no length is below 0"}, nil
				}
				return ruleResult{kws: []keyword{{hi, num(n - 1)}}, clause: "At most " + countWords(n-1, one, many) + "."}, nil
			case "len":
				return ruleResult{kws: []keyword{{lo, num(n)}, {hi, num(n)}}, clause: "Exactly " + countWords(n, one, many) + "."}, nil
			}
		case kindInt, kindUint, kindFloat:
			p, err := numberParam(k, r.param)
			if err != nil {
				return ruleResult{}, err
			}
			switch r.name {
			case "min", "gte":
				return ruleResult{kws: []keyword{{"minimum", jsontree.NewNumber(p)}}, clause: "At least " + p + "."}, nil
			case "gt":
				return ruleResult{kws: []keyword{{"exclusiveMinimum", jsontree.NewNumber(p)}}, clause: "Greater than " + p + "."}, nil
			case "max", "lte":
				return ruleResult{kws: []keyword{{"maximum", jsontree.NewNumber(p)}}, clause: "At most " + p + "."}, nil
			case "lt":
				return ruleResult{kws: []keyword{{"exclusiveMaximum", jsontree.NewNumber(p)}}, clause: "Less than " + p + "."}, nil
			case "len":
				return ruleResult{kws: []keyword{{"minimum", jsontree.NewNumber(p)}, {"maximum", jsontree.NewNumber(p)}}, clause: "Exactly " + p + "."}, nil
			}
		}
		return ruleResult{why: "its meaning on " + t.String() + " has no keyword"}, nil
	case "oneof":
		vals := validatetag.OneofValues(r.param)
		enum := jsontree.NewArray()
		switch k {
		case kindStr:
			for _, v := range vals {
				enum.Elems = append(enum.Elems, jsontree.NewString(v))
			}
		case kindInt, kindUint:
			for _, v := range vals {
				// The validator compares the decimal text of the value: a
				// value written otherwise ("01") never matches.
				if n, err := strconv.ParseInt(v, 10, 64); err == nil && strconv.FormatInt(n, 10) == v && (k == kindInt || n >= 0) {
					enum.Elems = append(enum.Elems, jsontree.NewNumber(v))
				}
			}
		default:
			return ruleResult{why: "oneof applies to strings and integers"}, nil
		}
		return ruleResult{kws: []keyword{{"enum", enum}}}, nil
	case "iso4217", "iso3166_1_alpha2", "iso3166_1_alpha3":
		if !isString {
			return ruleResult{why: r.name + " on " + t.String() + " is not mapped"}, nil
		}
		codes := validatetag.Codes(r.name)
		enum := jsontree.NewArray()
		for _, c := range codes {
			enum.Elems = append(enum.Elems, jsontree.NewString(c))
		}
		return ruleResult{kws: []keyword{{"enum", enum}}}, nil
	}
	if !isString {
		return ruleResult{why: fmt.Sprintf("it is not mapped on %s", t)}, nil
	}
	f, ok := stringFormats[r.name]
	if ok {
		var kws []keyword
		if f.format != "" {
			kws = append(kws, keyword{"format", jsontree.NewString(f.format)})
		}
		kws = append(kws, keyword{"pattern", jsontree.NewString(f.pattern)})
		return ruleResult{kws: kws, clause: f.clause}, nil
	}
	if r.name == "datetime" {
		pattern, human, ok := layoutPattern(r.param)
		if !ok {
			return ruleResult{why: "its layout has elements without a pattern"}, nil
		}
		var kws []keyword
		switch r.param {
		case "2006-01-02":
			kws = append(kws, keyword{"format", jsontree.NewString("date")})
		case "2006-01-02T15:04:05Z07:00":
			kws = append(kws, keyword{"format", jsontree.NewString("date-time")})
		}
		kws = append(kws, keyword{"pattern", jsontree.NewString(pattern)})
		return ruleResult{kws: kws, clause: "Written " + human + "."}, nil
	}
	return ruleResult{why: "it is a cross-field, custom or unmapped rule"}, nil
}

// stringFormat is the schema form of a validate rule on strings: a format
// (what the rule is called in JSON Schema, when it has a name there) and a
// pattern the validator's accepted values all match (it may accept more:
// the receiver still runs the rule).
type stringFormat struct{ format, pattern, clause string }

var stringFormats = map[string]stringFormat{
	"email": {"email", `^.+@[^\s@]+\.[^\s@]+$`, "An email address."},
	"url":   {"uri", `^[A-Za-z][A-Za-z0-9+.-]*:`, "A URL, starting with its scheme (https://...)."},
	"uri":   {"uri-reference", `^([A-Za-z][A-Za-z0-9+.-]*:|/)`, "A URI: a scheme (https:...) or a path starting with /."},
	"uuid":  {"uuid", `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`, "A UUID (8-4-4-4-12 hexadecimal digits)."},
	"e164":  {"", `^\+?[1-9][0-9]{7,14}$`, "A phone number in E.164 form: + and 8 to 15 digits, no spaces."},
	"bcp47_language_tag": {"", `^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*$`,
		"A BCP 47 language tag (en, fr-CA)."},
}

// numberParam parses a bound the way the validator does for a kind and
// returns it as a JSON number.
func numberParam(k goKind, p string) (string, error) {
	switch k {
	case kindInt:
		n, err := strconv.ParseInt(p, 0, 64)
		if err != nil {
			return "", fmt.Errorf("%q is not an integer", p)
		}
		return strconv.FormatInt(n, 10), nil
	case kindUint:
		n, err := strconv.ParseUint(p, 0, 64)
		if err != nil {
			return "", fmt.Errorf("%q is not an unsigned integer", p)
		}
		return strconv.FormatUint(n, 10), nil
	}
	f, err := strconv.ParseFloat(p, 64)
	if err != nil || f != f || f > 1e308 || f < -1e308 {
		return "", fmt.Errorf("%q is not a finite number", p)
	}
	return strconv.FormatFloat(f, 'g', -1, 64), nil
}

// set writes keyword key on node for rule r: a bound already there is
// tightened; a keyword the field's jsonschema tag wrote with another value
// is a conflict.
func (a *ruleApplier) set(node *value, key string, v *value, r rule) error {
	old := node.Get(key)
	if old == nil {
		node.Set(key, v)
		return nil
	}
	if old.Equal(v) || (old.Kind == jsontree.Number && v.Kind == jsontree.Number && jsontree.NumbersEqual(old.Text, v.Text)) || sameEnum(old, v) {
		return nil
	}
	if vals, ok := a.fromTag[key]; ok {
		return fmt.Errorf("%w: field %s: jsonschema:\"%s=%s\" and validate:%q disagree (the rule means %s %s): "+
			"remove %s from the jsonschema tag, since the validate rule now writes it", ErrTagConflict, a.where,
			key, strings.Join(vals, ","), r.String(), key, describe(v), key)
	}
	switch {
	case slices.Contains(lowerBounds, key) && old.Kind == jsontree.Number && v.Kind == jsontree.Number:
		if compareNumbers(v.Text, old.Text) > 0 {
			node.Set(key, v)
		}
	case slices.Contains(upperBounds, key) && old.Kind == jsontree.Number && v.Kind == jsontree.Number:
		if compareNumbers(v.Text, old.Text) < 0 {
			node.Set(key, v)
		}
	case key == "enum" && old.Kind == jsontree.Array && v.Kind == jsontree.Array:
		both := jsontree.NewArray()
		for _, e := range old.Elems {
			if slices.ContainsFunc(v.Elems, e.Equal) {
				both.Elems = append(both.Elems, e)
			}
		}
		node.Set(key, both)
	default:
		return fmt.Errorf("%w: field %s: validate rule %q gives %s %s, and the field already has %s %s", ErrTagConflict, a.where,
			r.String(), key, describe(v), key, describe(old))
	}
	return nil
}

func describe(v *value) string { return string(jsontree.AppendIndented(nil, v)) }

func sameEnum(a, b *value) bool {
	if a.Kind != jsontree.Array || b.Kind != jsontree.Array || len(a.Elems) != len(b.Elems) {
		return false
	}
	for _, e := range a.Elems {
		if !slices.ContainsFunc(b.Elems, e.Equal) {
			return false
		}
	}
	return true
}

func compareNumbers(a, b string) int {
	x, okx := new(big.Rat).SetString(a)
	y, oky := new(big.Rat).SetString(b)
	if !okx || !oky {
		return strings.Compare(a, b)
	}
	return x.Cmp(y)
}

// checkBounds refuses a node whose bounds leave no value: a jsonschema
// maximum below a validate minimum.
func checkBounds(node *value, where string) error {
	pairs := [][2]string{{"minLength", "maxLength"}, {"minItems", "maxItems"}, {"minProperties", "maxProperties"},
		{"minimum", "maximum"}, {"exclusiveMinimum", "maximum"}, {"minimum", "exclusiveMaximum"}, {"exclusiveMinimum", "exclusiveMaximum"}}
	for _, p := range pairs {
		lo, hi := node.Get(p[0]), node.Get(p[1])
		if lo == nil || hi == nil || lo.Kind != jsontree.Number || hi.Kind != jsontree.Number {
			continue
		}
		c := compareNumbers(lo.Text, hi.Text)
		if c > 0 || (c == 0 && (strings.HasPrefix(p[0], "exclusive") || strings.HasPrefix(p[1], "exclusive"))) {
			return fmt.Errorf("%w: field %s: %s %s and %s %s leave no value: the jsonschema tag and the validate rules disagree",
				ErrTagConflict, where, p[0], lo.Text, p[1], hi.Text)
		}
	}
	return nil
}

// layoutPattern turns a Go time layout (the datetime rule's parameter)
// into a pattern that every string time.Parse accepts matches, and a
// reading of it for the model ("as YYYY-MM-DD"). It fails for layouts
// with elements it does not know.
func layoutPattern(layout string) (pattern, human string, ok bool) {
	type elem struct{ token, re, human string }
	elems := []elem{
		{"January", `[A-Za-z]+`, "the month's name"}, {"Monday", `[A-Za-z]+`, "the weekday's name"},
		{"Jan", `[A-Za-z]{3}`, "Jan"}, {"Mon", `[A-Za-z]{3}`, "Mon"}, {"MST", `[A-Za-z0-9+-]+`, "a zone abbreviation"},
		{"2006", `[0-9]{4}`, "YYYY"}, {"002", `[0-9]{3}`, "DDD"},
		{"Z07:00:00", `(Z|[+-][0-9]{2}:[0-9]{2}:[0-9]{2})`, "Z or +hh:mm:ss"}, {"-07:00:00", `[+-][0-9]{2}:[0-9]{2}:[0-9]{2}`, "+hh:mm:ss"},
		{"Z070000", `(Z|[+-][0-9]{6})`, "Z or +hhmmss"}, {"-070000", `[+-][0-9]{6}`, "+hhmmss"},
		{"Z07:00", `(Z|[+-][0-9]{2}:[0-9]{2})`, "Z or +hh:mm"}, {"-07:00", `[+-][0-9]{2}:[0-9]{2}`, "+hh:mm"},
		{"Z0700", `(Z|[+-][0-9]{4})`, "Z or +hhmm"}, {"-0700", `[+-][0-9]{4}`, "+hhmm"},
		{"Z07", `(Z|[+-][0-9]{2})`, "Z or +hh"}, {"-07", `[+-][0-9]{2}`, "+hh"},
		{"__2", `[ 0-9]{1,2}[0-9]`, "DDD"}, {"_2", ` ?[0-9]{1,2}`, "D"},
		{"01", `[0-9]{2}`, "MM"}, {"02", `[0-9]{2}`, "DD"}, {"03", `[0-9]{2}`, "hh"}, {"04", `[0-9]{2}`, "mm"},
		{"05", `[0-9]{2}([.,][0-9]+)?`, "ss"}, {"06", `[0-9]{2}`, "YY"}, {"15", `[0-9]{1,2}`, "hh"},
		{"PM", `(AM|PM)`, "AM/PM"}, {"pm", `(am|pm)`, "am/pm"},
		{"1", `[0-9]{1,2}`, "M"}, {"2", `[0-9]{1,2}`, "D"}, {"3", `[0-9]{1,2}`, "h"}, {"4", `[0-9]{1,2}`, "m"}, {"5", `[0-9]{1,2}([.,][0-9]+)?`, "s"},
	}
	var re, hu strings.Builder
	re.WriteString("^")
	tokens := 0
	for i := 0; i < len(layout); {
		if c := layout[i]; (c == '.' || c == ',') && i+1 < len(layout) && (layout[i+1] == '0' || layout[i+1] == '9') {
			j := i + 1
			for j < len(layout) && layout[j] == layout[i+1] {
				j++
			}
			if j == len(layout) || layout[j] < '0' || layout[j] > '9' {
				if layout[i+1] == '0' {
					fmt.Fprintf(&re, `[.,][0-9]{%d}`, j-i-1)
				} else {
					re.WriteString(`([.,][0-9]+)?`)
				}
				hu.WriteString(layout[i:j])
				i, tokens = j, tokens+1
				continue
			}
		}
		matched := false
		for _, e := range elems {
			if strings.HasPrefix(layout[i:], e.token) {
				re.WriteString(e.re)
				hu.WriteString(e.human)
				i += len(e.token)
				matched, tokens = true, tokens+1
				break
			}
		}
		if matched {
			continue
		}
		c := layout[i]
		if c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' {
			// A letter or digit that is no element: time.Parse wants it
			// as written, but a misread element is likelier.
			return "", "", false
		}
		re.WriteString(regexp.QuoteMeta(string(c)))
		hu.WriteByte(c)
		i++
	}
	if tokens == 0 {
		return "", "", false
	}
	re.WriteString("$")
	return re.String(), "as " + hu.String(), true
}
