package rulecheck

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/go-playground/validator/v10"

	"github.com/retabhook/retabhook/internal/validatetag"
	"github.com/retabhook/retabhook/schemas"
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

// check is a compiled rule in two forms: on a reflect.Value (Passes) and
// on the value's memory (PassesAny), nil when the rule is only applied
// through reflection (a delegated rule, which needs the value's
// interface and so whether it may be read).
type check struct {
	test  func(reflect.Value) bool
	ptest func(unsafe.Pointer) bool
}

func onString(f func(string) bool) check {
	return check{
		test:  func(v reflect.Value) bool { return f(v.String()) },
		ptest: func(p unsafe.Pointer) bool { return f(*(*string)(p)) },
	}
}

// onInt and onUint read an integer of t's size, as Value.Int and
// Value.Uint do.
func onInt(t reflect.Type, f func(int64) bool) check {
	size := t.Size()
	return check{
		test:  func(v reflect.Value) bool { return f(v.Int()) },
		ptest: func(p unsafe.Pointer) bool { return f(intAt(p, size)) },
	}
}

func onUint(t reflect.Type, f func(uint64) bool) check {
	size := t.Size()
	return check{
		test:  func(v reflect.Value) bool { return f(v.Uint()) },
		ptest: func(p unsafe.Pointer) bool { return f(uintAt(p, size)) },
	}
}

// onFloat reads a float32 or float64 as Value.Float does.
func onFloat(t reflect.Type, f func(float64) bool) check {
	if t.Kind() == reflect.Float32 {
		return check{
			test:  func(v reflect.Value) bool { return f(v.Float()) },
			ptest: func(p unsafe.Pointer) bool { return f(float64(*(*float32)(p))) },
		}
	}
	return check{
		test:  func(v reflect.Value) bool { return f(v.Float()) },
		ptest: func(p unsafe.Pointer) bool { return f(*(*float64)(p)) },
	}
}

// onLen reads the length of a slice, an array or a map.
func onLen(t reflect.Type, f func(int) bool) check {
	c := check{test: func(v reflect.Value) bool { return f(v.Len()) }}
	switch t.Kind() {
	case reflect.Slice:
		c.ptest = func(p unsafe.Pointer) bool { return f((*sliceHeader)(p).len) }
	case reflect.Array:
		n := t.Len()
		c.ptest = func(unsafe.Pointer) bool { return f(n) }
	default:
		c.ptest = viaReflect(t, c.test)
	}
	return c
}

// viaReflect is the pointer form of test for a value of type t.
func viaReflect(t reflect.Type, test func(reflect.Value) bool) func(unsafe.Pointer) bool {
	return func(p unsafe.Pointer) bool { return test(reflect.NewAt(t, p).Elem()) }
}

type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

func intAt(p unsafe.Pointer, size uintptr) int64 {
	switch size {
	case 1:
		return int64(*(*int8)(p))
	case 2:
		return int64(*(*int16)(p))
	case 4:
		return int64(*(*int32)(p))
	}
	return *(*int64)(p)
}

func uintAt(p unsafe.Pointer, size uintptr) uint64 {
	switch size {
	case 1:
		return uint64(*(*uint8)(p))
	case 2:
		return uint64(*(*uint16)(p))
	case 4:
		return uint64(*(*uint32)(p))
	}
	return *(*uint64)(p)
}

// rule compiles one item of a tag chain ("min=1") for a value of type t
// (after pointers; viaPtr when it was reached through one), with the
// validator's semantics. ok is false when the item is not implemented
// here for t, including every case where the validator would panic.
func rule(vd *validator.Validate, t reflect.Type, viaPtr bool, item string) (c check, ok bool) {
	if strings.Contains(item, "|") {
		return check{}, false // an alternative
	}
	name, param, _ := strings.Cut(item, "=")
	if delegated[name] {
		// Only on strings: validator.Var validates a struct's fields
		// instead of the rule.
		if t.Kind() != reflect.String {
			return check{}, false
		}
		return check{test: func(v reflect.Value) bool { return v.CanInterface() && varPasses(vd, v.Interface(), item) }}, true
	}
	param = validatetag.Param(param)
	k := t.Kind()
	isString := k == reflect.String
	switch name {
	case "required":
		c := check{test: func(v reflect.Value) bool { return hasValue(v, viaPtr) }}
		if isString {
			c.ptest = func(p unsafe.Pointer) bool { return viaPtr || len(*(*string)(p)) != 0 }
		} else if zeroable(k) || k == reflect.Slice || k == reflect.Map {
			c.ptest = func(p unsafe.Pointer) bool { return hasValueAt(k, t.Size(), p, viaPtr) }
		} else {
			c.ptest = viaReflect(t, c.test)
		}
		return c, true
	case "gt", "gte", "lt", "lte", "min", "max", "len", "eq", "ne":
		return compare(t, name, param)
	case "oneof":
		return oneof(t, param)
	case "datetime":
		if isString {
			return onString(datetime(param)), true
		}
	case "iso4217", "iso3166_1_alpha2", "iso3166_1_alpha3":
		if codes := validatetag.Codes(name); isString {
			return onString(func(s string) bool {
				_, found := slices.BinarySearch(codes, s)
				return found
			}), true
		}
	case "boolean":
		switch k {
		case reflect.Bool:
			return check{test: func(reflect.Value) bool { return true }, ptest: func(unsafe.Pointer) bool { return true }}, true
		case reflect.String:
			return onString(func(s string) bool {
				_, err := strconv.ParseBool(s)
				return err == nil
			}), true
		}
	case "alphanum": // ^[a-zA-Z0-9]+$
		if isString {
			return onString(alphanum), true
		}
	case "uuid": // ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$
		if isString {
			return onString(isUUID), true
		}
	}
	return check{}, false
}

// datetime is the validator's isDatetime: the string parses with the
// layout. The date layout the usual tag names is read by
// schemas.ParseDate, which accepts exactly the strings
// time.Parse(time.DateOnly) accepts, most without calling it.
func datetime(layout string) func(string) bool {
	if layout == time.DateOnly {
		return func(s string) bool {
			_, err := schemas.ParseDate(s)
			return err == nil
		}
	}
	return func(s string) bool {
		_, err := time.Parse(layout, s)
		return err == nil
	}
}

// compare compiles gt, gte (min), lt, lte (max), len, eq and ne: the
// validator's isGt, isGte, isLt, isLte, hasLengthOf, isEq and isNe.
func compare(t reflect.Type, name, param string) (check, bool) {
	equality := name == "eq" || name == "ne"
	switch k := t.Kind(); k {
	case reflect.String:
		if equality {
			want := name == "eq"
			return onString(func(s string) bool { return (s == param) == want }), true
		}
		p, err := strconv.ParseInt(param, 0, 64)
		if err != nil {
			return check{}, false
		}
		holds := compareWith(name, p)
		return onString(func(s string) bool { return holds(int64(utf8.RuneCountInString(s))) }), true
	case reflect.Slice, reflect.Map, reflect.Array:
		p, err := strconv.ParseInt(param, 0, 64)
		if err != nil {
			return check{}, false
		}
		holds := compareWith(name, p)
		return onLen(t, func(n int) bool { return holds(int64(n)) }), true
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
			return check{}, false
		}
		return onInt(t, compareWith(name, p)), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		p, err := strconv.ParseUint(param, 0, 64)
		if err != nil {
			return check{}, false
		}
		return onUint(t, compareWith(name, p)), true
	case reflect.Float32, reflect.Float64:
		bits := 64
		if k == reflect.Float32 {
			bits = 32
		}
		p, err := strconv.ParseFloat(param, bits)
		if err != nil {
			return check{}, false
		}
		// The comparison operators themselves: NaN is neither above nor
		// below, nor equal.
		return onFloat(t, compareWith(name, p)), true
	case reflect.Bool:
		if !equality {
			return check{}, false
		}
		p, err := strconv.ParseBool(param)
		if err != nil {
			return check{}, false
		}
		want := name == "eq"
		f := func(b bool) bool { return (b == p) == want }
		return check{
			test:  func(v reflect.Value) bool { return f(v.Bool()) },
			ptest: func(ptr unsafe.Pointer) bool { return f(*(*bool)(ptr)) },
		}, true
	}
	return check{}, false // time.Time compares with the clock; other kinds panic
}

// compareWith returns the test of the value against the parameter p of
// gt, gte (min), lt, lte (max), len, eq or ne.
func compareWith[T int64 | uint64 | float64](name string, p T) func(T) bool {
	switch name {
	case "gt":
		return func(v T) bool { return v > p }
	case "gte", "min":
		return func(v T) bool { return v >= p }
	case "lt":
		return func(v T) bool { return v < p }
	case "lte", "max":
		return func(v T) bool { return v <= p }
	case "len", "eq":
		return func(v T) bool { return v == p }
	}
	return func(v T) bool { return v != p } // ne
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

// oneof compiles the validator's isOneOf: the value's text (a string, or
// an integer in decimal) is one of the parameter's values.
func oneof(t reflect.Type, param string) (check, bool) {
	vals := validatetag.OneofValues(param)
	switch t.Kind() {
	case reflect.String:
		return onString(func(s string) bool { return slices.Contains(vals, s) }), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		// A value is matched by its decimal text: keep the values that
		// are the text of an int64.
		var ints []int64
		for _, s := range vals {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(i, 10) == s {
				ints = append(ints, i)
			}
		}
		return onInt(t, func(i int64) bool { return slices.Contains(ints, i) }), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var uints []uint64
		for _, s := range vals {
			if u, err := strconv.ParseUint(s, 10, 64); err == nil && strconv.FormatUint(u, 10) == s {
				uints = append(uints, u)
			}
		}
		return onUint(t, func(u uint64) bool { return slices.Contains(uints, u) }), true
	}
	return check{}, false
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
