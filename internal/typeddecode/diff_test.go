package typeddecode_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/internal/gojson"
	"github.com/retabhook/retabhook/internal/typeddecode"
	"github.com/retabhook/retabhook/schemas"
)

// The differential tests decode the same bytes with the compiled decoder
// and with json.Unmarshal and require: the decoder handles the bytes only
// when json.Unmarshal succeeds, and then with a reflect.DeepEqual value.

// Inner and the types below exercise encoding/json's field selection:
// embedded structs and pointers to them, shadowing, tags, case folding.
type Inner struct {
	A int
	B string `json:"b"`
	C *Inner `json:"c,omitempty"`
}

type Other struct {
	A string // ties with Inner.A at the same depth: both dropped
	D []int
}

type Tagged struct {
	A float64 `json:"A"` // tagged: wins over Inner.A at the same depth
}

type Shadow struct {
	Inner
	*Other
	X  int
	A2 string `json:"a"` // "a" and "A" differ only by case
}

type Shadow2 struct {
	Inner
	Tagged
	Z *int
}

type hidden struct{ H1, H2 int }

type WithHidden struct {
	hidden         // promoted through an unexported embedded struct
	*hiddenPtr     // an embedded pointer to an unexported type: encoding/json cannot allocate it
	Own        int `json:"own"`
}

type hiddenPtr struct{ P1 int }

// Key is a string map key type.
type Key string

// Text has only UnmarshalText.
type Text struct{ V string }

func (t *Text) UnmarshalText(b []byte) error {
	if string(b) == "bad" {
		return fmt.Errorf("bad text")
	}
	t.V = "text:" + string(b)
	return nil
}

// ValueUnmarshaler has UnmarshalJSON on a value receiver.
type ValueUnmarshaler struct{ n *int }

func (ValueUnmarshaler) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return fmt.Errorf("no strings")
	}
	return nil
}

// Upper records what UnmarshalJSON is given, null included.
type Upper string

func (u *Upper) UnmarshalJSON(b []byte) error {
	if string(b) == `"fail"` {
		return fmt.Errorf("fail")
	}
	*u = Upper(strings.ToUpper(string(b)))
	return nil
}

// Embedder embeds a type with UnmarshalJSON in an unnamed struct: a value
// of the unnamed struct is decoded as a struct, a pointer to it with the
// promoted method.
type Embedder struct {
	V  struct{ Upper }
	P  *struct{ Upper }
	NP NamedPtr
}

// NamedPtr is a named pointer type: it has no methods, so encoding/json
// decodes what it points to as a struct, not with Upper's method.
type NamedPtr *struct{ U Upper }

type Bytes []byte

type Everything struct {
	B     bool
	I     int
	I8    int8
	I16   int16
	I32   int32
	I64   int64
	U     uint
	U8    uint8
	U16   uint16
	U32   uint32
	U64   uint64
	UP    uintptr
	F32   float32
	F64   float64
	S     string
	K     Key
	N     json.Number
	R     json.RawMessage
	PR    *json.RawMessage
	By    []byte
	NBy   Bytes
	Arr   [3]int
	Arr0  [0]string
	PS    *string
	PPI   **int
	Sl    []Inner
	SlP   []*Inner
	SlS   [][]string
	M     map[string]int
	MP    map[string]*Inner
	MK    map[Key]string
	MI    map[int]string
	MS    map[string][]float64
	Any   any
	AnyS  []any
	Str   fmt.Stringer
	Date  schemas.Date
	PDate *schemas.Date
	Amt   schemas.Amount
	PAmt  *schemas.Amount
	DT    *schemas.DateTime
	Txt   Text
	PTxt  *Text
	VU    ValueUnmarshaler
	Up    Upper
	PUp   *Upper
	Q     int     `json:",string"`
	QS    *string `json:"qs,string"`
	Skip  int     `json:"-"`
	Dash  int     `json:"-,"`
	Tag   string  `json:"tag_name,omitempty"`
	Emb   Embedder
	Shad  Shadow
	Shad2 Shadow2
	Hid   WithHidden
	Empty struct{}
	Unn   struct {
		X int `json:"x"`
		Y []string
	}
	unexported int //nolint:unused // encoding/json skips it
}

// Gathered has strings everywhere but in a map: the decoder gathers its
// strings into one allocation once the value is decoded.
type Gathered struct {
	S   string
	K   Key
	N   json.Number
	PS  *string
	Arr [2]string
	Sl  []Inner
	SlP []*Inner
	SlS [][]string
	Lns []struct {
		D   string
		Arr [2]Key
		Sub []Inner
	}
	Emb Shadow
	R   json.RawMessage
}

// manyStrings is a Gathered with n elements in each slice (past the
// scratch slices' first room), escapes and numbers as strings among them.
func manyStrings(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"S":"top\n","K":"k\u00e9","N":"12.5e3","PS":"p","Arr":["a\"","b"],"Sl":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"A":%d,"b":"line %d\tmore","c":{"b":"in %d"}}`, i, i, i)
	}
	b.WriteString(`],"SlS":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `["x%d","y\u0041%d"]`, i, i)
	}
	b.WriteString(`],"Lns":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"D":"d%d","Arr":["e","f\/%d"],"Sub":[{"b":"s%d"},{"b":""}]}`, i, i, i)
	}
	b.WriteString(`],"Emb":{"b":"eb","a":"ea","X":7},"R":{"x":"raw"}}`)
	return []byte(b.String())
}

// TestGatheredStrings: strings written into slices that grow past their
// scratch room, into nested slices and arrays and through pointers, are
// json.Unmarshal's and share no memory with the input (check overwrites
// it) nor with the next input's (the escape buffer is reused).
func TestGatheredStrings(t *testing.T) {
	dec := compile(t, reflect.TypeFor[Gathered]())
	for _, n := range []int{0, 1, 3, 4, 5, 100, 300, 1000} {
		data := manyStrings(n)
		require.True(t, check(t, dec, data), "n=%d not handled", n)
		first, ok := dec.DecodeAny(data)
		require.True(t, ok)
		var want Gathered
		require.NoError(t, json.Unmarshal(data, &want))
		other := manyStrings(n + 7)
		other = bytes.ReplaceAll(other, []byte(`line`), []byte(`LINE`))
		require.True(t, check(t, dec, other))
		require.Equal(t, want, first, "n=%d: a value changed when the next input was decoded", n)
	}
}

// check decodes data both ways and fails t when the decoder handled data
// with another value than json.Unmarshal's, or when it handled data that
// json.Unmarshal refuses. It reports whether the decoder handled data.
func check(t testing.TB, dec *typeddecode.Decoder, data []byte) bool {
	t.Helper()
	typ := dec.Type()
	in := append([]byte(nil), data...)
	fast := reflect.New(typ)
	ok := dec.Decode(in, fast.UnsafePointer())
	slow := reflect.New(typ)
	err := json.Unmarshal(data, slow.Interface())
	anyV, anyOK := dec.DecodeAny(in)
	if anyOK != ok {
		t.Fatalf("%s: Decode says %v, DecodeAny %v, on %q", typ, ok, anyOK, data)
	}
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("%s: the decoder handled %q, which json.Unmarshal refuses: %v", typ, data, err)
	}
	// The value must not share memory with the input.
	for i := range in {
		in[i] = 'x'
	}
	if !reflect.DeepEqual(fast.Elem().Interface(), slow.Elem().Interface()) {
		t.Fatalf("%s: on %q\n decoder:      %#v\n json.Unmarshal: %#v", typ, data, fast.Elem().Interface(), slow.Elem().Interface())
	}
	if !reflect.DeepEqual(anyV, slow.Elem().Interface()) {
		t.Fatalf("%s: on %q DecodeAny gives %#v, json.Unmarshal %#v", typ, data, anyV, slow.Elem().Interface())
	}
	return true
}

func compile(t testing.TB, typ reflect.Type) *typeddecode.Decoder {
	t.Helper()
	dec, err := typeddecode.Compile(typ)
	require.NoError(t, err)
	return dec
}

// TestInvoiceIsHandled: the typical content is decoded by the decoder, not
// handed back, with json.Unmarshal's value.
func TestInvoiceIsHandled(t *testing.T) {
	dec := compile(t, reflect.TypeFor[fixtures.Invoice]())
	for _, lines := range []int{0, 1, fixtures.TypicalLines, 200} {
		require.True(t, check(t, dec, fixtures.InvoiceContent(lines)), "lines=%d", lines)
	}
	v, ok := dec.DecodeAny(fixtures.InvoiceContent(2))
	require.True(t, ok)
	inv := v.(fixtures.Invoice)
	require.Equal(t, "INV-2021-1437", inv.Number)
	require.Len(t, inv.Lines, 2)
}

// TestCases are inputs chosen by hand, each with whether the decoder must
// handle it (false: it must hand it to json.Unmarshal; the value check is
// check's).
func TestCases(t *testing.T) {
	dec := compile(t, reflect.TypeFor[Everything]())
	cases := []struct {
		in      string
		handled bool
	}{
		{`{}`, true},
		{` {"B":true,"I":-12,"I8":-128,"I16":32767,"I32":-2147483648,"I64":9223372036854775807} `, true},
		{`{"U":0,"U8":255,"U16":65535,"U32":4294967295,"U64":18446744073709551615,"UP":1}`, true},
		{`{"I8":128}`, false},
		{`{"I8":-129}`, false},
		{`{"I":1.0}`, false},
		{`{"I":1e2}`, false},
		{`{"I":-0}`, true},
		{`{"U":-0}`, false},
		{`{"U64":18446744073709551616}`, false},
		{`{"I64":-9223372036854775809}`, false},
		{`{"I":123456789012345678901234567890}`, false},
		{`{"F64":-0,"F32":-0.0}`, true},
		{`{"F64":1e400}`, false},
		{`{"F64":1e-400}`, true},
		{`{"F32":3.5e38}`, false},
		{`{"F32":3.4e38,"F64":1.7976931348623157e308}`, true},
		{`{"F64":123456789012345678901234567890}`, true},
		{`{"F64":2.5E-3,"F32":0.1}`, true},
		{`{"F64":"1"}`, false},
		{`{"S":"plain","K":"key"}`, true},
		{`{"S":"\u00e9\n\t\"\\\/\b\f\r\ud83d\ude00"}`, true},
		{`{"S":"\ud800"}`, true},
		{`{"S":"\ud800\u0041"}`, true},
		{`{"S":"\udc00\ud800"}`, true},
		{"{\"S\":\"\xff\xfe\"}", true},
		{"{\"S\":\"a\xc3\"}", true},
		{"{\"S\":\"\xed\xa0\x80\"}", true},
		{"{\"S\":\"\\n\xff\"}", true},
		{"{\"S\":\"\x01\"}", false},
		{`{"S":"\x"}`, false},
		{`{"S":"\u12"}`, false},
		{`{"S":1}`, false},
		{`{"S":null,"I":null,"B":null,"F64":null,"Arr":null,"Date":null}`, true},
		{`{"N":12.5e3}`, true},
		{`{"N":"12"}`, true},
		{`{"N":"12x"}`, false},
		{`{"N":""}`, false},
		{`{"N":true}`, false},
		{`{"R":{"a": [1, 2]},"PR":null}`, true},
		{`{"R":null,"PR":"x"}`, true},
		{`{"By":"aGVsbG8=","NBy":[1,2,255]}`, true},
		{`{"By":"not base64"}`, false},
		{`{"By":[256]}`, false},
		{`{"By":null,"NBy":[]}`, true},
		{`{"Arr":[1,2],"Arr0":["x"]}`, true},
		{`{"Arr":[1,2,3,4,5]}`, true},
		{`{"Arr":[1,2,3,"x"]}`, true},
		{`{"Arr":[1,2,3,tru]}`, false},
		{`{"PS":"s","PPI":7}`, true},
		{`{"PS":null,"PPI":null}`, true},
		{`{"Sl":[{"A":1,"b":"x","c":{"A":2,"c":null}}],"SlP":[null,{"A":3}],"SlS":[[],["a"],null]}`, true},
		{`{"Sl":[],"SlP":null}`, true},
		{`{"M":{"a":1,"b":2},"MP":{"x":null,"y":{"b":"z"}},"MK":{"k":"v"},"MS":{"f":[1.5]}}`, true},
		{`{"M":{"a":1,"a":2}}`, true},
		{`{"M":{"\u0061":1,"b\n":2}}`, true},
		{`{"M":{}}`, true},
		{`{"MI":{"1":"one","-2":"two"}}`, true},
		{`{"MI":{"x":"one"}}`, false},
		{`{"M":{"a":"x"}}`, false},
		{`{"Any":{"a":[1,"x",null,true]},"AnyS":[1,{}]}`, true},
		{`{"Str":null}`, true},
		{`{"Str":"x"}`, false},
		{`{"Date":"2024-02-29","PDate":"2023-01-31","DT":"2024-01-02T03:04:05"}`, true},
		{`{"DT":"2024-01-02T03:04:05Z"}`, false},
		{`{"Date":"2023-02-29"}`, false},
		{`{"Amt":12.50,"PAmt":null}`, true},
		{`{"Amt":null}`, true},
		{`{"Txt":"hello","PTxt":"x"}`, true},
		{`{"Txt":"bad"}`, false},
		{`{"Txt":1}`, false},
		{`{"Txt":null,"PTxt":null}`, true},
		{`{"VU":1,"VU":2}`, false},
		{`{"VU":"x"}`, false},
		{`{"VU":{"a":1}}`, true},
		{`{"Up":null,"PUp":null}`, true},
		{`{"Up":"a","PUp":{"b": 1}}`, true},
		{`{"Up":"fail"}`, false},
		{`{"Q":"12"}`, false},
		{`{"qs":"\"x\""}`, false},
		{`{"Skip":1,"Dash":2,"-":3}`, true},
		{`{"tag_name":"t","TAG_NAME":"u"}`, false},
		{`{"TAG_NAME":"u","tag_name":"t"}`, false},
		{`{"Tag":"not the name"}`, true},
		{`{"TAG_name":"folded"}`, true},
		{`{"b":true,"i":3,"s":"folded keys"}`, true},
		{`{"\u0042":true}`, true},
		{`{"B":true,"B":false}`, false},
		{`{"B":true,"b":false}`, false},
		{`{"unknown":{"deep":[1,{"x":null}]},"unexported":3}`, true},
		{`{"unknown":[1,}`, false},
		{`{"Emb":{"V":{"Upper":"x"},"P":"y","NP":{"U":"z"}}}`, true},
		{`{"Emb":{"V":"x"}}`, false},
		{`{"Emb":{"P":null,"NP":null}}`, true},
		{`{"Shad":{"A":"folded","b":"x","X":2,"D":[1]}}`, true},
		{`{"Shad":{"A":"folded","a":"exact"}}`, false}, // one field twice
		{`{"Shad":{"Inner":{"A":1},"Other":{}}}`, true},
		{`{"Shad2":{"A":1.5,"b":"x","Z":3}}`, true},
		{`{"Hid":{"H1":1,"H2":2,"own":3}}`, true},
		{`{"Hid":{"P1":1}}`, false},
		{`{"Empty":{},"Unn":{"x":1,"Y":["a"]}}`, true},
		{`{"Empty":{"a":1}}`, true},
		{`{"Empty":[]}`, false},
		{`null`, true},
		{` null `, true},
		{``, false},
		{` `, false},
		{`{} {}`, false},
		{`{},`, false},
		{`{"B":true,}`, false},
		{`{"B" true}`, false},
		{`{"B":true`, false},
		{`{"I":01}`, false},
		{`{"I":1.}`, false},
		{`{"I":-}`, false},
		{`{"F64":.5}`, false},
		{`{"F64":1e}`, false},
		{`{"B":nul}`, false},
		{`{"B":truex}`, false},
		{`[]`, false},
		{`"x"`, false},
		{`{"Sl":[{"A":1} {"A":2}]}`, false},
		{`{"Sl":[{"A":1},]}`, false},
		{"{\"Sl\"\t:\n[ {\"A\" : 1 } , {\r} ] }", true},
		{strings.Repeat(`{"Sl":[{"c":`, 300) + `null` + strings.Repeat(`}]}`, 300), true},
		{`{"Any":` + strings.Repeat(`[`, 2000) + strings.Repeat(`]`, 2000) + `}`, false},
	}
	for _, c := range cases {
		t.Run("", func(t *testing.T) {
			require.Equal(t, c.handled, check(t, dec, []byte(c.in)), "handled %q", c.in)
		})
	}
}

// TestTopLevel decodes values that are not structs at the top, and
// checks which ones the decoder decodes itself: one that handed
// everything back to encoding/json would pass check alone.
func TestTopLevel(t *testing.T) {
	for _, c := range []struct {
		typ reflect.Type
		in  []string
		// back are the inputs of in the decoder hands back to
		// encoding/json (all of them errors there); it decodes the others.
		back []string
	}{
		{reflect.TypeFor[int](), []string{`1`, `null`, `-0`, `1.5`, `"1"`}, []string{`1.5`, `"1"`}},
		{reflect.TypeFor[*int](), []string{`1`, `null`}, nil},
		{reflect.TypeFor[**Inner](), []string{`{"A":1}`, `null`}, nil},
		{reflect.TypeFor[[]int](), []string{`[1,2]`, `null`, `[]`}, nil},
		{reflect.TypeFor[map[string]Inner](), []string{`{"a":{"A":1}}`, `null`, `{}`}, nil},
		{reflect.TypeFor[json.RawMessage](), []string{` [1] `, `null`}, nil},
		{reflect.TypeFor[Upper](), []string{`"x"`, `null`}, nil},
		{reflect.TypeFor[struct{ Upper }](), []string{`"x"`, `null`, `{"Upper":"x"}`}, nil},
		{reflect.TypeFor[schemas.Date](), []string{`"2024-01-01"`, `null`, `""`}, nil},
		{reflect.TypeFor[any](), []string{`{"a":1}`, `null`}, nil},
		{reflect.TypeFor[[2]Key](), []string{`["a","b","c"]`, `null`}, nil},
		{reflect.TypeFor[string](), []string{`"\u00e9"`, `null`, `1`}, []string{`1`}},
	} {
		dec := compile(t, c.typ)
		for _, in := range c.in {
			require.Equal(t, !slices.Contains(c.back, in), check(t, dec, []byte(in)), "%s: is %s decoded (not handed back)?", c.typ, in)
		}
	}
}

// TestGenerated decodes generated inputs, mostly shaped like their type
// and then altered, into the hand-written types and into struct types
// generated with reflect.StructOf.
func TestGenerated(t *testing.T) {
	n := 4000
	if testing.Short() {
		n = 500
	}
	rng := rand.New(rand.NewPCG(1, 2))
	types := []reflect.Type{reflect.TypeFor[Everything](), reflect.TypeFor[fixtures.Invoice](), reflect.TypeFor[Shadow](), reflect.TypeFor[Shadow2]()}
	for range 60 {
		types = append(types, randomType(rng, 0))
	}
	for _, typ := range types {
		dec := compile(t, typ)
		handled := 0
		for range n / 10 {
			data := generate(rng, typ, 0)
			if rng.IntN(3) == 0 {
				data = mutate(rng, data)
			}
			if check(t, dec, data) {
				handled++
			}
		}
		t.Logf("%s: %d of %d handled", typ, handled, n/10)
		require.Positive(t, handled, "%s: the decoder handled nothing", typ)
	}
}

// randomType returns a struct type with random fields and tags, some
// names differing only by case, some embedded structs.
func randomType(rng *rand.Rand, depth int) reflect.Type {
	names := []string{"A", "B", "Name", "NAME", "Value", "X", "Y", "Kelvin", "Sſ"}
	var fields []reflect.StructField
	used := map[string]bool{}
	for range 1 + rng.IntN(8) {
		name := names[rng.IntN(len(names))]
		if used[name] {
			continue
		}
		used[name] = true
		var tag reflect.StructTag
		switch rng.IntN(5) {
		case 0:
			tag = `json:"name"`
		case 1:
			tag = reflect.StructTag(`json:"` + strings.ToLower(name) + `,omitempty"`)
		case 2:
			tag = `json:"K"` // Kelvin sign folding: U+212A
		}
		fields = append(fields, reflect.StructField{Name: name, Type: randomFieldType(rng, depth), Tag: tag})
	}
	if rng.IntN(3) == 0 && !used["Inner"] {
		et := []reflect.Type{reflect.TypeFor[Inner](), reflect.TypeFor[*Inner](), reflect.TypeFor[Tagged](), reflect.TypeFor[Other]()}[rng.IntN(4)]
		fields = append([]reflect.StructField{{Name: et.String()[len("typeddecode_test."):], Type: et, Anonymous: true}}, fields...)
		if et.Kind() == reflect.Pointer {
			fields[0].Name = et.Elem().Name()
		}
	}
	return reflect.StructOf(fields)
}

func randomFieldType(rng *rand.Rand, depth int) reflect.Type {
	leaves := []reflect.Type{
		reflect.TypeFor[bool](), reflect.TypeFor[int](), reflect.TypeFor[int8](), reflect.TypeFor[uint16](),
		reflect.TypeFor[uint64](), reflect.TypeFor[int64](), reflect.TypeFor[float32](), reflect.TypeFor[float64](),
		reflect.TypeFor[string](), reflect.TypeFor[json.Number](), reflect.TypeFor[json.RawMessage](),
		reflect.TypeFor[schemas.Date](), reflect.TypeFor[any](), reflect.TypeFor[[]byte](), reflect.TypeFor[Upper](),
		reflect.TypeFor[Key](),
	}
	if depth >= 3 {
		return leaves[rng.IntN(len(leaves))]
	}
	switch rng.IntN(10) {
	case 0:
		return reflect.PointerTo(randomFieldType(rng, depth+1))
	case 1:
		return reflect.SliceOf(randomFieldType(rng, depth+1))
	case 2:
		return reflect.MapOf(reflect.TypeFor[string](), randomFieldType(rng, depth+1))
	case 3:
		return reflect.ArrayOf(rng.IntN(3), randomFieldType(rng, depth+1))
	case 4:
		return randomType(rng, depth+1)
	}
	return leaves[rng.IntN(len(leaves))]
}

// generate returns JSON for typ, mostly valid for it: case-folded and
// unknown keys, nulls, escapes, odd numbers and, now and then, a value of
// another JSON type.
func generate(rng *rand.Rand, typ reflect.Type, depth int) []byte {
	var b strings.Builder
	gen(&b, rng, typ, depth)
	return []byte(b.String())
}

func space(b *strings.Builder, rng *rand.Rand) {
	if rng.IntN(8) == 0 {
		b.WriteString([]string{" ", "\n", "\t ", "\r\n"}[rng.IntN(4)])
	}
}

func gen(b *strings.Builder, rng *rand.Rand, typ reflect.Type, depth int) {
	space(b, rng)
	defer space(b, rng)
	if depth > 6 || rng.IntN(40) == 0 {
		anyValue(b, rng, depth)
		return
	}
	if rng.IntN(20) == 0 {
		b.WriteString("null")
		return
	}
	switch typ {
	case reflect.TypeFor[schemas.Date]():
		b.WriteString([]string{`"2024-02-29"`, `"2023-02-29"`, `""`, `"2024-1-1"`}[rng.IntN(4)])
		return
	case reflect.TypeFor[schemas.Amount]():
		number(b, rng)
		return
	case reflect.TypeFor[json.Number]():
		if rng.IntN(3) == 0 {
			b.WriteString(strconv.Quote([]string{"12", "-0.5e3", "x", "", "01"}[rng.IntN(5)]))
			return
		}
		number(b, rng)
		return
	}
	switch typ.Kind() {
	case reflect.Bool:
		b.WriteString([]string{"true", "false"}[rng.IntN(2)])
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		if rng.IntN(4) == 0 {
			number(b, rng)
			return
		}
		// A number the kind holds.
		switch typ.Kind() {
		case reflect.Float32, reflect.Float64:
			b.WriteString([]string{"0", "1.5", "-2.25", "1e3", "3.14159", "0.1", "12.50", "-0", "7E-2"}[rng.IntN(9)])
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			b.WriteString([]string{"0", "1", "-1", "42", "-100", "127"}[rng.IntN(6)])
		default:
			b.WriteString([]string{"0", "1", "42", "200"}[rng.IntN(4)])
		}
	case reflect.String:
		str(b, rng)
	case reflect.Pointer:
		gen(b, rng, typ.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if typ.Elem().Kind() == reflect.Uint8 && rng.IntN(2) == 0 {
			b.WriteString([]string{`"aGVsbG8="`, `"bad!"`, `""`}[rng.IntN(3)])
			return
		}
		b.WriteByte('[')
		for i := range rng.IntN(5) {
			if i > 0 {
				b.WriteByte(',')
			}
			gen(b, rng, typ.Elem(), depth+1)
		}
		b.WriteByte(']')
	case reflect.Map:
		b.WriteByte('{')
		for i := range rng.IntN(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			str(b, rng)
			b.WriteByte(':')
			gen(b, rng, typ.Elem(), depth+1)
		}
		b.WriteByte('}')
	case reflect.Struct:
		fields, dropped := gojson.Fields(typ)
		b.WriteByte('{')
		n := 0
		member := func(key string, ft reflect.Type) {
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			space(b, rng)
			b.WriteString(key)
			space(b, rng)
			b.WriteByte(':')
			gen(b, rng, ft, depth+1)
		}
		for _, i := range rng.Perm(len(fields)) {
			f := fields[i]
			if rng.IntN(6) == 0 {
				continue
			}
			member(keyFor(rng, f.Name), f.Field.Type)
			if rng.IntN(30) == 0 {
				member(keyFor(rng, f.Name), f.Field.Type) // repeated
			}
		}
		for _, f := range dropped {
			if rng.IntN(3) == 0 {
				member(keyFor(rng, f.Name), f.Field.Type)
			}
		}
		if rng.IntN(5) == 0 {
			member(strconv.Quote("unknown"+strconv.Itoa(rng.IntN(3))), reflect.TypeFor[any]())
		}
		b.WriteByte('}')
	default:
		anyValue(b, rng, depth)
	}
}

// keyFor writes a key that selects the field name: as is, case-changed,
// or escaped.
func keyFor(rng *rand.Rand, name string) string {
	switch rng.IntN(8) {
	case 0:
		return strconv.Quote(strings.ToUpper(name))
	case 1:
		return strconv.Quote(strings.ToLower(name))
	case 2:
		var e strings.Builder
		e.WriteByte('"')
		for _, r := range name {
			if r < 0x10000 {
				fmt.Fprintf(&e, `\u%04x`, r)
			} else {
				e.WriteRune(r)
			}
		}
		e.WriteByte('"')
		return e.String()
	case 3:
		return strconv.Quote(strings.Map(func(r rune) rune {
			if r == 'k' || r == 'K' {
				return '\u212a' // Kelvin sign
			}
			if r == 's' || r == 'S' {
				return 'ſ'
			}
			return unicode.ToUpper(r)
		}, name))
	}
	return strconv.Quote(name)
}

var numbers = []string{
	"0", "-0", "1", "-1", "7", "127", "128", "-128", "-129", "255", "256", "65535", "65536", "-32769",
	"2147483647", "2147483648", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
	"-9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616",
	"123456789012345678901234567890", "1e2", "1E+2", "1e-2", "1.5", "1.0", "-0.0", "0.1", "1e400", "-1e400",
	"1e-400", "3.4028234663852886e38", "3.5e38", "1.7976931348623157e308", "2.5e-3", "4.9e-324", "1e-46",
	"12.50", "100.000",
}

func number(b *strings.Builder, rng *rand.Rand) {
	b.WriteString(numbers[rng.IntN(len(numbers))])
}

var strs = []string{
	`""`, `"a"`, `"plain text"`, `"2024-02-29"`, `"\u00e9t\u00e9"`, `"\ud83d\ude00"`, `"\ud800"`, `"\udc00x"`,
	`"\ud800\ud800"`, `"\"\\\/\b\f\n\r\t"`, "\"caf\xc3\xa9\"", "\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"",
	"\"\xf4\x90\x80\x80\"", `"\u0000"`, `"€"`, `"a\u0062c"`, `"12"`, `"fail"`, `"bad"`,
}

func str(b *strings.Builder, rng *rand.Rand) {
	b.WriteString(strs[rng.IntN(len(strs))])
}

func anyValue(b *strings.Builder, rng *rand.Rand, depth int) {
	switch k := rng.IntN(7); {
	case k == 0:
		b.WriteString([]string{"true", "false", "null"}[rng.IntN(3)])
	case k == 1:
		number(b, rng)
	case k == 2:
		str(b, rng)
	case k == 3 && depth < 8:
		b.WriteString("[")
		gen(b, rng, reflect.TypeFor[any](), depth+1)
		b.WriteString("]")
	case k == 4 && depth < 8:
		b.WriteString(`{"k":`)
		anyValue(b, rng, depth+1)
		b.WriteString("}")
	default:
		b.WriteString("{}")
	}
}

// mutate alters data at byte level: a byte dropped, repeated or replaced,
// the end cut off.
func mutate(rng *rand.Rand, data []byte) []byte {
	if len(data) == 0 {
		return data
	}
	i := rng.IntN(len(data))
	out := append([]byte(nil), data[:i]...)
	switch rng.IntN(4) {
	case 0: // drop
		out = append(out, data[i+1:]...)
	case 1: // repeat
		out = append(append(out, data[i]), data[i:]...)
	case 2: // replace
		const bytes = `{}[]:,"\ 0-e.x`
		out = append(out, bytes[rng.IntN(len(bytes))])
		out = append(out, data[i+1:]...)
	case 3: // cut
	}
	return out
}

// TestFloats decodes random number literals (up to 20 digits, a fraction,
// an exponent) into float64 and float32 fields and ints, as json.Unmarshal.
func TestFloats(t *testing.T) {
	type nums struct {
		F float64
		G float32
		I int64
		U uint32
	}
	dec := compile(t, reflect.TypeFor[nums]())
	rng := rand.New(rand.NewPCG(7, 8))
	handled := 0
	for range 20000 {
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.FormatUint(rng.Uint64()>>rng.IntN(64), 10))
		if rng.IntN(2) == 0 {
			b.WriteByte('.')
			b.WriteString(strings.Repeat("0", rng.IntN(4)))
			b.WriteString(strconv.FormatUint(rng.Uint64()>>rng.IntN(64), 10))
		}
		if rng.IntN(3) == 0 {
			b.WriteString([]string{"e", "E", "e+", "e-", "E-"}[rng.IntN(5)])
			b.WriteString(strconv.Itoa(rng.IntN(40)))
		}
		lit := b.String()
		field := []string{"F", "G", "I", "U"}[rng.IntN(4)]
		if check(t, dec, []byte(`{"`+field+`":`+lit+`}`)) {
			handled++
		}
	}
	require.Greater(t, handled, 10000)
	// Exponents past what the decoder reads (it keeps 5 or 6 of their
	// digits), leading zeros, and 15, 16, 19 and 20 digits.
	for _, lit := range []string{
		"1e000000000000000000000001", "1e-0000000000000000000000022", "0e99999999999999999999", "-0e-99999999",
		"1e99999", "1e100000", "1e-100000", "5e-324", "1.5e+000022", "9.99999999999999e22", "999999999999999e-22",
		"1234567890123456", "123456789012345.6", "0.000000000000001", "9999999999999999999", "18446744073709551615",
		"18446744073709551616", "99999999999999999999", "-9223372036854775808", "-9223372036854775809", "00", "-01",
		"1.", ".5", "1e", "1e+", "-", "--1", "1.5.5", "1ee5", "0x10", "1_000", "+1", "1E5", "1e5.5",
	} {
		for _, field := range []string{"F", "G", "I", "U"} {
			check(t, dec, []byte(`{"`+field+`":`+lit+`}`))
		}
	}
}

// FuzzNumber checks a number literal, as a value of each kind of number
// field, against json.Unmarshal.
func FuzzNumber(f *testing.F) {
	type nums struct {
		F  float64
		G  float32
		I  int64
		I8 int8
		U  uint32
		N  json.Number
	}
	dec := compile(f, reflect.TypeFor[nums]())
	for _, lit := range []string{"0", "-0", "1.5", "-12.25e-3", "1e22", "1e23", "9007199254740993", "123456789012345678901", "1E+2", "0.1e-400"} {
		f.Add(lit)
	}
	f.Fuzz(func(t *testing.T, lit string) {
		for _, field := range []string{"F", "G", "I", "I8", "U", "N"} {
			check(t, dec, []byte(`{"`+field+`":`+lit+`}`))
			check(t, dec, []byte(`{"`+field+`":`+lit+` ,"F":1}`))
		}
	})
}

// TestInvoiceAllocations counts the allocations of decoding the typical
// invoice: the value, the one allocation of its strings, the line slice
// and the five pointers (json.Unmarshal: 41), and their bytes: with the
// strings gathered (822 bytes of the 1,881 of the content) the value holds
// less than the content, where a copy of the content for its strings
// (2,048 bytes allocated) made it 2,768.
func TestInvoiceAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	dec := compile(t, reflect.TypeFor[fixtures.Invoice]())
	data := fixtures.InvoiceContent(fixtures.TypicalLines)
	decode := func() {
		if _, ok := dec.DecodeAny(data); !ok {
			t.Fatal("not handled")
		}
	}
	allocs := testing.AllocsPerRun(100, decode)
	require.LessOrEqual(t, allocs, 8.0)
	const runs = 100
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		decode()
	}
	runtime.ReadMemStats(&after)
	perRun := (after.TotalAlloc - before.TotalAlloc) / runs
	require.Less(t, perRun, uint64(len(data)), "bytes allocated per decoding of the %d-byte content", len(data))
}

// names is a struct whose field names are 1 to 16 bytes long: the key
// token and its colon fit the decoder's two words up to 14.
type names struct {
	A                int    `json:"a"`
	AB               int    `json:"ab"`
	ABCDE            string `json:"abcde"`
	ABCDEF           string `json:"abcdef"`
	Seven            string `json:"abcdefg"`
	Thirteen         int    `json:"abcdefghijklm"`
	Fourteen         int    `json:"abcdefghijklmn"`
	Fifteen          int    `json:"abcdefghijklmno"`
	Sixteen          string `json:"abcdefghijklmnop"`
	Other            string `json:"a\"b"`
	Abcdefghijklmnox int
}

// TestMemberKeys: keys that match a field's name up to its last byte, its
// quote or its colon, with space where the compact form has none, and
// where the input ends within the two words after a key.
func TestMemberKeys(t *testing.T) {
	dec := compile(t, reflect.TypeFor[names]())
	fields, _ := gojson.Fields(reflect.TypeFor[names]())
	values := map[reflect.Kind]string{reflect.Int: "7", reflect.String: `"v"`}
	handled := 0
	for _, f := range fields {
		v := values[f.Field.Type.Kind()]
		name := f.Name
		keys := []string{
			strconv.Quote(name), strconv.Quote(name + "x"), strconv.Quote(name[:len(name)-1]),
			strconv.Quote(strings.ToUpper(name)), `"` + name + `\u0020"`, `"\u00` + fmt.Sprintf("%x", name[0]) + name[1:] + `"`,
		}
		for _, key := range keys {
			for _, colon := range []string{":", " :", ": ", "\t:\n", ":\r"} {
				for _, before := range []string{"", ` "a":1,`, `"ab":2,`, `"abcde":"x",`} {
					for _, after := range []string{"", `,"a":1`, ` , "zzzzzzzzzzzzzzzz":1`, `,"abcdefghijklmnop":"w"`} {
						data := "{" + before + key + colon + v + after + "}"
						if check(t, dec, []byte(data)) {
							handled++
						} else if key == strconv.Quote(name) && !strings.Contains(before+after, key) && !(strings.Contains(before, `"a"`) && strings.Contains(after, `"a"`)) {
							t.Fatalf("not handled: %q", data) // a plain member in any spacing
						}
						// Cut at every byte of the member and after.
						for cut := len(before) + 1; cut < len(data); cut++ {
							check(t, dec, []byte(data[:cut]))
						}
					}
				}
			}
		}
	}
	require.Greater(t, handled, 1000)
}
