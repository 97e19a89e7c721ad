package rulecheck

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/retabhook/retabhook/internal/validatetag"
)

// implemented names the rules [rule] compiles (for some kinds).
var implemented = map[string]bool{
	"required": true, "gt": true, "gte": true, "lt": true, "lte": true, "min": true, "max": true,
	"len": true, "eq": true, "ne": true, "oneof": true, "datetime": true, "iso4217": true,
	"iso3166_1_alpha2": true, "iso3166_1_alpha3": true, "boolean": true, "alphanum": true, "uuid": true,
}

// delegated names validator rules that read nothing but the value and
// their parameter (no other field, no parent, no pointer flag; checked in
// the validator's source). On a string the program asks the validator
// about the value alone (validator.Var), which costs a few allocations
// instead of the whole struct's walk.
var delegated = map[string]bool{
	"email": true, "url": true, "uri": true, "http_url": true, "alpha": true, "alphaunicode": true,
	"numeric": true, "number": true, "hexadecimal": true, "e164": true, "lowercase": true, "uppercase": true,
	"ascii": true, "startswith": true, "endswith": true, "contains": true, "excludes": true, "uuid4": true,
	"hostname": true, "ip": true, "ipv4": true, "ipv6": true, "base64": true, "json": true, "semver": true,
	"jwt": true, "hexcolor": true,
}

var durationType = reflect.TypeFor[time.Duration]()

// rule compiles one item of a tag chain ("min=1") for a value of type t
// (after pointers; viaPtr when it was reached through one), with the
// validator's semantics. ok is false when the item is not implemented
// here for t, including every case where the validator would panic.
func rule(vd *validator.Validate, t reflect.Type, viaPtr bool, item string) (test func(reflect.Value) bool, ok bool) {
	if strings.Contains(item, "|") {
		return nil, false // an alternative
	}
	name, param, _ := strings.Cut(item, "=")
	if delegated[name] {
		// Only on strings: validator.Var validates a struct's fields
		// instead of the rule.
		if t.Kind() != reflect.String {
			return nil, false
		}
		return func(v reflect.Value) bool { return v.CanInterface() && varPasses(vd, v.Interface(), item) }, true
	}
	param = validatetag.Param(param)
	k := t.Kind()
	isString := k == reflect.String
	switch name {
	case "required":
		return func(v reflect.Value) bool { return hasValue(v, viaPtr) }, true
	case "gt", "gte", "lt", "lte", "min", "max", "len", "eq", "ne":
		return compare(t, name, param)
	case "oneof":
		return oneof(k, param)
	case "datetime":
		if isString {
			return func(v reflect.Value) bool {
				_, err := time.Parse(param, v.String())
				return err == nil
			}, true
		}
	case "iso4217", "iso3166_1_alpha2", "iso3166_1_alpha3":
		if codes := validatetag.Codes(name); isString {
			return func(v reflect.Value) bool {
				_, found := slices.BinarySearch(codes, v.String())
				return found
			}, true
		}
	case "boolean":
		switch k {
		case reflect.Bool:
			return func(reflect.Value) bool { return true }, true
		case reflect.String:
			return func(v reflect.Value) bool {
				_, err := strconv.ParseBool(v.String())
				return err == nil
			}, true
		}
	case "alphanum": // ^[a-zA-Z0-9]+$
		if isString {
			return func(v reflect.Value) bool { return alphanum(v.String()) }, true
		}
	case "uuid": // ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$
		if isString {
			return func(v reflect.Value) bool { return isUUID(v.String()) }, true
		}
	}
	return nil, false
}

// compare compiles gt, gte (min), lt, lte (max), len, eq and ne: the
// validator's isGt, isGte, isLt, isLte, hasLengthOf, isEq and isNe.
func compare(t reflect.Type, name, param string) (func(reflect.Value) bool, bool) {
	var holds func(c int) bool // c compares the value with the parameter
	switch name {
	case "gt":
		holds = func(c int) bool { return c > 0 }
	case "gte", "min":
		holds = func(c int) bool { return c >= 0 }
	case "lt":
		holds = func(c int) bool { return c < 0 }
	case "lte", "max":
		holds = func(c int) bool { return c <= 0 }
	case "len", "eq":
		holds = func(c int) bool { return c == 0 }
	case "ne":
		holds = func(c int) bool { return c != 0 }
	}
	equality := name == "eq" || name == "ne"
	switch k := t.Kind(); k {
	case reflect.String:
		if equality {
			return func(v reflect.Value) bool { return holds(strings.Compare(v.String(), param)) }, true
		}
		p, err := strconv.ParseInt(param, 0, 64)
		if err != nil {
			return nil, false
		}
		return func(v reflect.Value) bool { return holds(cmpInt(int64(utf8.RuneCountInString(v.String())), p)) }, true
	case reflect.Slice, reflect.Map, reflect.Array:
		p, err := strconv.ParseInt(param, 0, 64)
		if err != nil {
			return nil, false
		}
		return func(v reflect.Value) bool { return holds(cmpInt(int64(v.Len()), p)) }, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		p, err := strconv.ParseInt(param, 0, 64)
		if t == durationType {
			var d time.Duration
			if d, err = time.ParseDuration(param); err != nil {
				p, err = strconv.ParseInt(param, 0, 64)
			} else {
				p = int64(d)
			}
		}
		if err != nil {
			return nil, false
		}
		return func(v reflect.Value) bool { return holds(cmpInt(v.Int(), p)) }, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		p, err := strconv.ParseUint(param, 0, 64)
		if err != nil {
			return nil, false
		}
		return func(v reflect.Value) bool {
			u := v.Uint()
			switch {
			case u < p:
				return holds(-1)
			case u > p:
				return holds(1)
			}
			return holds(0)
		}, true
	case reflect.Float32, reflect.Float64:
		bits := 64
		if k == reflect.Float32 {
			bits = 32
		}
		p, err := strconv.ParseFloat(param, bits)
		if err != nil {
			return nil, false
		}
		// Not a three-way comparison: NaN is neither above nor below.
		var op func(f float64) bool
		switch name {
		case "gt":
			op = func(f float64) bool { return f > p }
		case "gte", "min":
			op = func(f float64) bool { return f >= p }
		case "lt":
			op = func(f float64) bool { return f < p }
		case "lte", "max":
			op = func(f float64) bool { return f <= p }
		case "len", "eq":
			op = func(f float64) bool { return f == p }
		case "ne":
			op = func(f float64) bool { return f != p }
		}
		return func(v reflect.Value) bool { return op(v.Float()) }, true
	case reflect.Bool:
		if !equality {
			return nil, false
		}
		p, err := strconv.ParseBool(param)
		if err != nil {
			return nil, false
		}
		want := name == "eq"
		return func(v reflect.Value) bool { return (v.Bool() == p) == want }, true
	}
	return nil, false // time.Time compares with the clock; other kinds panic
}

// varPasses reports whether the validator passes x for the one rule item;
// a panic (which validator.Struct would raise too) is not a pass.
func varPasses(vd *validator.Validate, x any, item string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return vd.Var(x, item) == nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// oneof compiles the validator's isOneOf: the value's text (a string, or
// an integer in decimal) is one of the parameter's values.
func oneof(k reflect.Kind, param string) (func(reflect.Value) bool, bool) {
	vals := validatetag.OneofValues(param)
	switch k {
	case reflect.String:
		return func(v reflect.Value) bool { return slices.Contains(vals, v.String()) }, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		// A value is matched by its decimal text: keep the values that
		// are the text of an int64.
		var ints []int64
		for _, s := range vals {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(i, 10) == s {
				ints = append(ints, i)
			}
		}
		return func(v reflect.Value) bool { return slices.Contains(ints, v.Int()) }, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var uints []uint64
		for _, s := range vals {
			if u, err := strconv.ParseUint(s, 10, 64); err == nil && strconv.FormatUint(u, 10) == s {
				uints = append(uints, u)
			}
		}
		return func(v reflect.Value) bool { return slices.Contains(uints, v.Uint()) }, true
	}
	return nil, false
}

func alphanum(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
