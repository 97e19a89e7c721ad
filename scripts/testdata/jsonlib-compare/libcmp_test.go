// This file is not part of any package of the repository: it lives under
// testdata (ignored by the go command) and scripts/jsonlib-compare.sh
// copies it into a scratch copy of internal/typeddecode, next to the
// differential test, whose check function the script renames to
// checkTypeddecode. Every input that the differential tests and fuzz
// targets give check is then also decoded by each third-party library and
// compared with json.Unmarshal: reflect.DeepEqual of the values when both
// succeed, and whether each fails.

package typeddecode_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/bytedance/sonic"
	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	goccy "github.com/goccy/go-json"
	segjson "github.com/segmentio/encoding/json"

	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/internal/typeddecode"
)

type library struct {
	name      string
	unmarshal func([]byte, any) error
}

var libraries = []library{
	{"goccy/go-json", goccy.Unmarshal},
	{"sonic.ConfigStd", sonic.ConfigStd.Unmarshal},
	{"segmentio/encoding/json", segjson.Unmarshal},
	{"json-experiment+v1opts", func(b []byte, v any) error { return jsonv2.Unmarshal(b, v, jsonv1.DefaultOptionsV1()) }},
}

// outcome decodes data into a fresh value of typ with f, recovering a panic.
func outcome(f func([]byte, any) error, typ reflect.Type, data []byte) (v reflect.Value, err error, panicked bool) {
	v = reflect.New(typ)
	defer func() {
		if r := recover(); r != nil {
			err, panicked = fmt.Errorf("panic: %v", r), true
		}
	}()
	err = f(append([]byte(nil), data...), v.Interface())
	return v, err, false
}

type tally struct {
	inputs, differ         int
	byClass                map[string]int
	examples               map[string]string
	libErrOnly, stdErrOnly int
}

var (
	tallyMu sync.Mutex
	tallies = map[string]*tally{} // key: corpus + "\x00" + library
	logFile *os.File
)

func record(corpus, lib, class, detail string) {
	tallyMu.Lock()
	defer tallyMu.Unlock()
	k := corpus + "\x00" + lib
	tl := tallies[k]
	if tl == nil {
		tl = &tally{byClass: map[string]int{}, examples: map[string]string{}}
		tallies[k] = tl
	}
	tl.inputs++
	if class == "" {
		return
	}
	tl.differ++
	tl.byClass[class]++
	if _, ok := tl.examples[class]; !ok {
		tl.examples[class] = detail
	}
	if logFile != nil && detail != "" {
		detail = strings.NewReplacer("\n", `\n`, "\t", `\t`).Replace(detail)
		fmt.Fprintf(logFile, "%s\t%s\t%s\t%s\n", corpus, lib, class, detail)
	}
}

// compareLibraries decodes data with every library and records where each
// differs from json.Unmarshal.
func compareLibraries(t testing.TB, typ reflect.Type, data []byte) {
	corpus, _, _ := strings.Cut(t.Name(), "/")
	std, stdErr, _ := outcome(json.Unmarshal, typ, data)
	for _, l := range libraries {
		got, err, panicked := outcome(l.unmarshal, typ, data)
		class, detail := "", ""
		switch {
		case panicked:
			class, detail = "panic", fmt.Sprintf("%q: %v", data, err)
		case (err != nil) != (stdErr != nil) && err != nil:
			class, detail = "library fails, encoding/json succeeds", fmt.Sprintf("%s on %q: %v", typ, data, err)
		case (err != nil) != (stdErr != nil):
			class, detail = "library succeeds, encoding/json fails", fmt.Sprintf("%s on %q: encoding/json: %v; library: %#v", typ, data, stdErr, got.Elem().Interface())
		case err == nil && !reflect.DeepEqual(got.Elem().Interface(), std.Elem().Interface()):
			class, detail = "both succeed, values differ", fmt.Sprintf("%s on %q: encoding/json %#v; library %#v", typ, data, std.Elem().Interface(), got.Elem().Interface())
		}
		record(corpus, l.name, class, detail)
		if !hasNumber(typ, map[reflect.Type]bool{}) {
			record(corpus+" w/o json.Number", l.name, class, "")
		}
	}
}

// hasNumber reports whether typ holds a json.Number anywhere: the
// standalone json-experiment module has a Number type of its own and
// treats encoding/json's as a plain string (under GOEXPERIMENT=jsonv2 the
// two are one type), so its disagreements are also counted without them.
func hasNumber(typ reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[typ] {
		return false
	}
	seen[typ] = true
	switch typ.Kind() {
	case reflect.String:
		return typ == reflect.TypeFor[json.Number]()
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return hasNumber(typ.Elem(), seen)
	case reflect.Struct:
		for i := range typ.NumField() {
			if hasNumber(typ.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// check replaces the differential test's check (renamed checkTypeddecode
// by the script): the libraries first, then the test as it is.
func check(t testing.TB, dec *typeddecode.Decoder, data []byte) bool {
	t.Helper()
	if dumpFile != nil {
		corpus, _, _ := strings.Cut(t.Name(), "/")
		dump(corpus, dec.Type(), data, nil)
		return dec.Decode(append([]byte(nil), data...), reflect.New(dec.Type()).UnsafePointer())
	}
	compareLibraries(t, dec.Type(), data)
	return checkTypeddecode(t, dec, data)
}

// dumpFile, when JSONLIB_DUMP names a file, receives json.Unmarshal's
// outcome on every input in a canonical form, instead of the comparisons:
// the script compares the dumps of a classic build and of a
// GOEXPERIMENT=jsonv2 build, whose encoding/json is encoding/json/v2 with
// the v1 options, since one binary cannot hold both.
var dumpFile *os.File

func dump(corpus string, typ reflect.Type, data []byte, into func() any) {
	var v any
	if into != nil {
		v = into()
	} else {
		v = reflect.New(typ).Interface()
	}
	err := json.Unmarshal(data, v)
	var b strings.Builder
	if err != nil {
		b.WriteString("error")
	} else {
		canon(&b, reflect.ValueOf(v).Elem())
	}
	fmt.Fprintf(dumpFile, "%s\t%q\t%s\t%s\n", corpus, data, typ, b.String())
}

// canon writes v so that two values print alike exactly when they are
// reflect.DeepEqual (for the acyclic values a decode makes).
func canon(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Invalid:
		b.WriteString("invalid")
	case reflect.Bool:
		fmt.Fprint(b, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		fmt.Fprint(b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		fmt.Fprint(b, v.Uint())
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); f == 0 {
			b.WriteString("0")
		} else {
			fmt.Fprint(b, f)
		}
	case reflect.String:
		fmt.Fprintf(b, "%q", v.String())
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		if v.Kind() == reflect.Interface {
			fmt.Fprintf(b, "(%s)", v.Elem().Type())
		} else {
			b.WriteString("&")
		}
		canon(b, v.Elem())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("nil")
			return
		}
		b.WriteString("[")
		for i := range v.Len() {
			canon(b, v.Index(i))
			b.WriteString(",")
		}
		b.WriteString("]")
	case reflect.Map:
		if v.IsNil() {
			b.WriteString("nil")
			return
		}
		var entries []string
		for it := v.MapRange(); it.Next(); {
			var e strings.Builder
			canon(&e, it.Key())
			e.WriteString(":")
			canon(&e, it.Value())
			entries = append(entries, e.String())
		}
		sort.Strings(entries)
		fmt.Fprintf(b, "map{%s}", strings.Join(entries, ","))
	case reflect.Struct:
		b.WriteString("{")
		for i := range v.NumField() {
			fmt.Fprintf(b, "%s:", v.Type().Field(i).Name)
			canon(b, v.Field(i))
			b.WriteString(",")
		}
		b.WriteString("}")
	default:
		fmt.Fprintf(b, "%s?", v.Kind())
	}
}

func TestMain(m *testing.M) {
	if p := os.Getenv("JSONLIB_LOG"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			panic(err)
		}
		logFile = f
	}
	if p := os.Getenv("JSONLIB_DUMP"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			panic(err)
		}
		dumpFile = f
	}
	code := m.Run()
	printTallies()
	os.Exit(code)
}

func printTallies() {
	if len(tallies) == 0 {
		return
	}
	keys := make([]string, 0, len(tallies))
	for k := range tallies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Println("== disagreements with json.Unmarshal, by corpus and library")
	for _, k := range keys {
		corpus, lib, _ := strings.Cut(k, "\x00")
		tl := tallies[k]
		fmt.Printf("%-22s %-26s %5d of %5d inputs differ\n", corpus, lib, tl.differ, tl.inputs)
		classes := make([]string, 0, len(tl.byClass))
		for c := range tl.byClass {
			classes = append(classes, c)
		}
		sort.Strings(classes)
		for _, c := range classes {
			ex := tl.examples[c]
			if len(ex) > 400 {
				ex = ex[:400] + "..."
			}
			if ex != "" {
				ex = ", e.g. " + ex
			}
			fmt.Printf("    %5d %s%s\n", tl.byClass[c], c, ex)
		}
	}
}

// probes are one input for each kind of encoding/json behaviour a
// replacement must reproduce.
type probe struct {
	kind string
	into func() any // a pointer to the destination, possibly prefilled
	in   string
}

type probeShadow struct {
	Inner
	*Other
	A2 string `json:"a"`
}

type probeNested struct{ A struct{ X, Y int } }

type probeString struct {
	Q int `json:",string"`
}

var probes = []probe{
	{"case-insensitive key, non-ASCII folding (ſ is s)", func() any { return new(struct{ S string }) }, `{"ſ":"x"}`},
	{"case-insensitive key", func() any { return new(struct{ Name string }) }, `{"NAME":"x"}`},
	{"Unicode case folding (Kelvin sign)", func() any { return new(struct{ K string }) }, `{"\u212a":"x"}`},
	{"duplicate key, last wins", func() any { return new(struct{ Name string }) }, `{"Name":"a","Name":"b"}`},
	{"exact and folded key for one field", func() any { return new(struct{ Name string }) }, `{"Name":"a","name":"b"}`},
	{"duplicate object key merges", func() any { return new(probeNested) }, `{"A":{"X":1},"A":{"Y":2}}`},
	{"invalid UTF-8 becomes U+FFFD", func() any { return new(struct{ S string }) }, "{\"S\":\"a\xffb\"}"},
	{"lone surrogate becomes U+FFFD", func() any { return new(struct{ S string }) }, `{"S":"\ud800x"}`},
	{"control character in string is an error", func() any { return new(struct{ S string }) }, "{\"S\":\"\x01\"}"},
	{"int64 overflow is an error", func() any { return new(struct{ I int64 }) }, `{"I":9223372036854775808}`},
	{"int8 overflow is an error", func() any { return new(struct{ I int8 }) }, `{"I":128}`},
	{"fraction into int is an error", func() any { return new(struct{ I int }) }, `{"I":1.0}`},
	{"float64 out of range is an error", func() any { return new(struct{ F float64 }) }, `{"F":1e400}`},
	{"float32 out of range is an error", func() any { return new(struct{ F float32 }) }, `{"F":3.5e38}`},
	{"big integer into any is float64", func() any { return new(any) }, `123456789012345678901234567890`},
	{"json.Number from a bare number", func() any { return new(struct{ N json.Number }) }, `{"N":1.5}`},
	{"json.Number from a quoted number", func() any { return new(struct{ N json.Number }) }, `{"N":"12"}`},
	{"null into a non-pointer keeps the value", func() any { return &struct{ I int }{I: 5} }, `{"I":null}`},
	{"null into a non-nil []byte sets it nil", func() any { return &struct{ B []byte }{B: []byte{1}} }, `{"B":null}`},
	{"null into a slice sets it nil", func() any { return &struct{ S []int }{S: []int{1}} }, `{"S":null}`},
	{"UnmarshalJSON gets null (value field)", func() any { return new(struct{ U Upper }) }, `{"U":null}`},
	{"null into *T with UnmarshalJSON: nil, not called", func() any { return &struct{ U *Upper }{U: new(Upper)} }, `{"U":null}`},
	{"struct{Upper} value: a struct, not Upper's method", func() any { return new(struct{ V struct{ Upper } }) }, `{"V":{"Upper":"x"}}`},
	{"embedded-field shadowing and tie", func() any { return new(probeShadow) }, `{"A":"x","b":"y"}`},
	{"embedded pointer to unexported struct is an error", func() any { return new(WithHidden) }, `{"P1":1}`},
	{",string option", func() any { return new(probeString) }, `{"Q":"12"}`},
	{",string option on a bare number is an error", func() any { return new(probeString) }, `{"Q":12}`},
	{"empty JSON array into a Go array", func() any { return new([2]int) }, `[]`},
	{"longer array than the Go array: rest dropped", func() any { return new([2]int) }, `[1,2,3]`},
	{"shorter array: rest zeroed", func() any { return &[3]int{7, 7, 7} }, `[1]`},
	{"[]byte from base64", func() any { return new([]byte) }, `"aGVsbG8="`},
	{"map merges into an existing map", func() any { return &map[string]int{"a": 1} }, `{"b":2}`},
	{"map with int keys", func() any { return new(map[int]string) }, `{"-2":"x"}`},
	{"type mismatch keeps decoding, then errs", func() any { return new(struct{ A, B int }) }, `{"A":"x","B":2}`},
	{"syntax error in a skipped value", func() any { return new(struct{ A int }) }, `{"X":[1,},"A":1}`},
	{"trailing data is an error", func() any { return new(struct{ A int }) }, `{"A":1} x`},
	{"leading zero is an error", func() any { return new(struct{ A int }) }, `{"A":01}`},
	{"deep nesting (10001) is an error", func() any { return new(any) }, strings.Repeat("[", 10001) + strings.Repeat("]", 10001)},
	{"UnmarshalText from a string", func() any { return new(struct{ T Text }) }, `{"T":"hi"}`},
	{"value-receiver UnmarshalJSON is not used", func() any { return new(struct{ V ValueUnmarshaler }) }, `{"V":"x"}`},
	{"escaped key", func() any { return new(struct{ Name string }) }, `{"\u004eame":"x"}`},
	{"unknown keys skipped", func() any { return new(struct{ A int }) }, `{"Z":{"y":[1,{"x":null}]},"A":1}`},
}

// TestLibraryProbes prints, for each probe, whether each library agrees
// with json.Unmarshal (value, including a prefilled destination, and
// whether it fails).
func TestLibraryProbes(t *testing.T) {
	if dumpFile != nil {
		for _, p := range probes {
			dump("probe: "+p.kind, reflect.TypeOf(p.into()).Elem(), []byte(p.in), p.into)
		}
		return
	}
	fmt.Println("== probes: one input per behaviour of encoding/json")
	mismatches := map[string][]string{}
	for _, p := range probes {
		std := p.into()
		stdErr := json.Unmarshal([]byte(p.in), std)
		line := fmt.Sprintf("%-50s", p.kind)
		for _, l := range libraries {
			got := p.into()
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panic: %v", r)
					}
				}()
				err = l.unmarshal([]byte(p.in), got)
			}()
			verdict := "same"
			switch {
			case (err != nil) != (stdErr != nil):
				verdict = fmt.Sprintf("error-ness differs (encoding/json: %v; library: %v; library value %#v)", stdErr, err, reflect.ValueOf(got).Elem().Interface())
			case err == nil && !reflect.DeepEqual(got, std):
				verdict = fmt.Sprintf("value differs (encoding/json %#v; library %#v)", reflect.ValueOf(std).Elem().Interface(), reflect.ValueOf(got).Elem().Interface())
			}
			if verdict != "same" {
				in := p.in
				if len(in) > 60 {
					in = in[:60] + "..."
				}
				mismatches[l.name] = append(mismatches[l.name], fmt.Sprintf("%s: %q: %s", p.kind, in, verdict))
				line += fmt.Sprintf(" %s:DIFF", l.name)
			} else {
				line += fmt.Sprintf(" %s:ok", l.name)
			}
		}
		fmt.Println(line)
	}
	for _, l := range libraries {
		fmt.Printf("-- %s: %d of %d probes differ\n", l.name, len(mismatches[l.name]), len(probes))
		for _, m := range mismatches[l.name] {
			if len(m) > 500 {
				m = m[:500] + "..."
			}
			fmt.Println("   ", m)
		}
	}
}

// BenchmarkLibraries decodes the typical invoice content into
// fixtures.Invoice with json.Unmarshal, the compiled decoder and each
// library, in one run.
func BenchmarkLibraries(b *testing.B) {
	data := fixtures.InvoiceContent(fixtures.TypicalLines)
	var want fixtures.Invoice
	if err := json.Unmarshal(data, &want); err != nil {
		b.Fatal(err)
	}
	dec, err := typeddecode.Compile(reflect.TypeFor[fixtures.Invoice]())
	if err != nil {
		b.Fatal(err)
	}
	impls := append([]library{
		{"encoding-json", json.Unmarshal},
		{"typeddecode", func(d []byte, v any) error {
			if !dec.Decode(d, reflect.ValueOf(v).UnsafePointer()) {
				return fmt.Errorf("not handled")
			}
			return nil
		}},
	}, libraries...)
	for _, im := range impls {
		var got fixtures.Invoice
		if err := im.unmarshal(data, &got); err != nil || !reflect.DeepEqual(got, want) {
			b.Fatalf("%s decodes the invoice otherwise: %v", im.name, err)
		}
		name := strings.NewReplacer("/", "-", ".", "-", "+", "-").Replace(im.name)
		b.Run("impl="+name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				var v fixtures.Invoice
				if err := im.unmarshal(data, &v); err != nil {
					b.Fatal(err)
				}
				_ = any(v)
			}
		})
	}
}

// FuzzLibrary fuzzes the Everything type and fails on the first input where
// the library named by JSONLIB_FUZZ differs from json.Unmarshal.
func FuzzLibrary(f *testing.F) {
	var lib library
	for _, l := range libraries {
		if l.name == os.Getenv("JSONLIB_FUZZ") {
			lib = l
		}
	}
	if lib.unmarshal == nil {
		f.Skip("JSONLIB_FUZZ names no library")
	}
	typ := reflect.TypeFor[Everything]()
	rng := rand.New(rand.NewPCG(5, 6))
	for range 40 {
		f.Add(generate(rng, typ, 0))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		std, stdErr, _ := outcome(json.Unmarshal, typ, data)
		got, err, panicked := outcome(lib.unmarshal, typ, data)
		if panicked || (err != nil) != (stdErr != nil) || (err == nil && !reflect.DeepEqual(got.Interface(), std.Interface())) {
			t.Fatalf("%s differs on %q: encoding/json (%v) %#v; library (%v) %#v", lib.name, data, stdErr, std.Elem().Interface(), err, got.Elem().Interface())
		}
	})
}
