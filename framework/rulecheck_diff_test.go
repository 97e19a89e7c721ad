package framework

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/go-playground/validator/v10"

	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/internal/rulecheck"
	"github.com/retabhook/retabhook/schemas"
)

// The differential test of the rule programs (internal/rulecheck) against
// go-playground/validator configured as the router configures it
// (newValidator): over struct types built at random with reflect.StructOf,
// with random validate tags, and random values of them. With the tags the
// program implements, it must pass exactly the values the validator
// passes; with any tag at all (unknown ones, cross-field ones,
// alternatives, parameters the validator panics on), it must never pass a
// value the validator refuses or panics on.

// ruleAgreement compares the program with the validator on one value and
// returns an error when the program passes what the validator does not,
// or (exact) when the two disagree at all.
func ruleAgreement(v *validator.Validate, p *rulecheck.Program, x any, exact bool) (passes, valid bool, err error) {
	rv := reflect.ValueOf(x)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	passes = p.Passes(rv)
	if rv.Kind() == reflect.Struct && reflect.ValueOf(x).Kind() == reflect.Struct {
		if inPlace := p.PassesAny(x); inPlace != passes {
			return passes, false, fmt.Errorf("PassesAny says %v, Passes %v, of %#v", inPlace, passes, x)
		}
	}
	var verr error
	panicked := func() (p any) {
		defer func() { p = recover() }()
		verr = v.Struct(x)
		return nil
	}()
	valid = panicked == nil && verr == nil
	switch {
	case passes && !valid:
		return passes, valid, fmt.Errorf("the program passes %#v, the validator says %v (panic %v)", x, verr, panicked)
	case exact && valid && !passes:
		return passes, valid, fmt.Errorf("the program does not pass %#v, which the validator passes", x)
	case exact && panicked != nil:
		return passes, valid, fmt.Errorf("the validator panics on %#v with tags the program implements: %v", x, panicked)
	}
	return passes, valid, nil
}

// ruleGen builds random types, tags and values.
type ruleGen struct {
	rng  *rand.Rand
	wild bool // tags beyond the ones the program implements
}

func (g *ruleGen) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }

var (
	ruleScalars = []reflect.Type{
		reflect.TypeFor[string](), reflect.TypeFor[int](), reflect.TypeFor[int8](), reflect.TypeFor[int64](),
		reflect.TypeFor[uint](), reflect.TypeFor[uint8](), reflect.TypeFor[float32](), reflect.TypeFor[float64](),
		reflect.TypeFor[bool](), reflect.TypeFor[time.Duration](), reflect.TypeFor[time.Time](),
		reflect.TypeFor[schemas.Date](), reflect.TypeFor[json.Number](),
	}
	ruleNamed = []reflect.Type{
		reflect.TypeFor[fixtures.LineItem](), reflect.TypeFor[fixtures.Party](), reflect.TypeFor[ruleNode](),
		reflect.TypeFor[ruleEmbeds](),
	}
)

// ruleNode is recursive; ruleEmbeds embeds exported and unexported types.
type ruleNode struct {
	Name string     `json:"name" validate:"required,max=3"`
	Kids []ruleNode `json:"kids" validate:"omitempty,max=2,dive"`
	Next *ruleNode  `json:"next"`
}

type ruleEmbeds struct {
	RuleInner
	ruleHidden
	*RulePtrInner
	hidden string `validate:"required"` // the validator skips it
}

type RuleInner struct {
	A int `validate:"gte=1"`
}

type ruleHidden struct {
	B string `validate:"len=2"`
}

type RulePtrInner struct {
	C []int `validate:"dive,lt=3"`
}

// typ returns a random type, at most depth levels of containers deep.
func (g *ruleGen) typ(depth int) reflect.Type {
	n := g.rng.IntN(12)
	if depth <= 0 && n >= 7 {
		n = 0
	}
	switch n {
	case 7:
		return reflect.PointerTo(g.typ(depth - 1))
	case 8:
		return reflect.SliceOf(g.typ(depth - 1))
	case 9:
		if g.rng.IntN(2) == 0 {
			return reflect.ArrayOf(g.rng.IntN(3), g.typ(depth-1))
		}
		return reflect.MapOf(reflect.TypeFor[string](), g.typ(depth-1))
	case 10:
		if g.rng.IntN(3) == 0 {
			return ruleNamed[g.rng.IntN(len(ruleNamed))]
		}
		return g.structType(depth - 1)
	case 11:
		return reflect.TypeFor[any]()
	}
	return ruleScalars[g.rng.IntN(len(ruleScalars))]
}

func (g *ruleGen) structType(depth int) reflect.Type {
	n := 1 + g.rng.IntN(4)
	fields := make([]reflect.StructField, n)
	for i := range fields {
		t := g.typ(depth)
		tag := fmt.Sprintf(`json:"f%d"`, i)
		if vt := g.tag(t, 2); vt != "" || g.rng.IntN(8) == 0 {
			tag += fmt.Sprintf(` validate:"%s"`, vt)
		}
		fields[i] = reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: t, Tag: reflect.StructTag(tag)}
	}
	return reflect.StructOf(fields)
}

// tag returns a random validate tag chain for a value of type t.
func (g *ruleGen) tag(t reflect.Type, dives int) string {
	var items []string
	base := t
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	if t.Kind() == reflect.Pointer && g.rng.IntN(2) == 0 {
		if base.Kind() == reflect.Interface && !g.wild {
			items = append(items, g.pick("omitempty", "omitnil", "omitzero")) // all the program implements there
		} else {
			items = append(items, g.pick("omitempty", "omitnil", "required", "omitzero"))
		}
	}
	for range g.rng.IntN(3) {
		items = append(items, g.rule(base))
	}
	if k := base.Kind(); (k == reflect.Slice || k == reflect.Array || k == reflect.Map) && dives > 0 && g.rng.IntN(2) == 0 {
		items = append(items, "dive")
		if rest := g.tag(base.Elem(), dives-1); rest != "" {
			items = append(items, rest)
		}
	}
	if g.wild && g.rng.IntN(6) == 0 {
		items = append(items, g.pick("dive", "email", "url", "required_if=F0 1", "gtfield=F0", "iscolor", "min=1|max=0",
			"keys,len=1,endkeys", "min=abc", "", "bogus", "gt=-1", "gte=1.5", "oneof=a b", "isdefault", "structonly",
			"nostructlevel", "excluded_unless=F0 1", "omitempty", "required", "gt=1s", "eq=x", "datetime", "min=", "max=0x2"))
	}
	return strings.Join(items, ",")
}

// rule returns one rule the program implements for kind of t (or, when
// wild, sometimes one that does not apply).
func (g *ruleGen) rule(t reflect.Type) string {
	num := func() string { return g.pick("0", "1", "2", "3", "0x2") }
	cmp := func(p string) string {
		return g.pick("gt", "gte", "lt", "lte", "min", "max", "len", "eq", "ne") + "=" + p
	}
	switch t.Kind() {
	case reflect.String:
		return g.pick(cmp(num()), "required", "omitempty", "omitnil", "eq=a", "ne=", "oneof=a b", "oneof=red green 'dark blue'", "oneof=",
			"datetime=2006-01-02", "datetime=15:04", "iso4217", "iso3166_1_alpha2", "iso3166_1_alpha3", "boolean", "alphanum", "uuid", "eq=a0x2Cb",
			"email", "url", "uri", "http_url", "contains=a", "startswith=a", "endswith=0x2Cb", "e164", "ip", "hostname", "lowercase",
			"alpha", "numeric", "json", "base64", "uuid4", "semver")
	case reflect.Int, reflect.Int8, reflect.Int64:
		if t == reflect.TypeFor[time.Duration]() {
			return g.pick(cmp(g.pick("1s", "0", "2", "1m")), "required", "omitempty")
		}
		return g.pick(cmp(num()), cmp("-1"), "required", "omitempty", "oneof=1 2 3", "oneof=-1 01 2", "lte=0x10")
	case reflect.Uint, reflect.Uint8:
		return g.pick(cmp(num()), "required", "omitempty", "oneof=0 2")
	case reflect.Float32, reflect.Float64:
		return g.pick(cmp(g.pick("0", "1", "0.5", "-0", "2.5", "1e2", "0.1")), "required", "omitempty", "omitzero")
	case reflect.Bool:
		return g.pick("required", "omitempty", "eq=true", "ne=false", "boolean", "eq=1")
	case reflect.Slice, reflect.Array, reflect.Map:
		return g.pick(cmp(num()), "required", "omitempty", "omitnil", "omitzero")
	case reflect.Struct:
		if g.wild {
			return g.pick("required", "omitempty", "structonly", "nostructlevel", "gt=0")
		}
		return g.pick("required", "omitempty", "structonly", "nostructlevel", "omitzero")
	}
	if g.wild {
		return "required"
	}
	return g.pick("omitnil", "omitempty", "omitzero")
}

var (
	ruleStrings = []string{"", "a", "ab", "abc", "é", "日本", "日本語x", "\xff", "a b", "dark blue", "red", "1", "01", "-1", "2",
		"true", "T", "yes", "EUR", "eur", "XXX", "ZZZ", "US", "USA", "2021-11-24", "2021-02-29", "2020-02-29", "2021-13-01", "12:30",
		"0a1B2c3D-0000-4000-8000-00000000000f", "0a1B2c3D-0000-4000-8000-00000000000g", "a,b", "abc1", "ab-c",
		"a@b.co", "a@b", "https://x.io/a", "HTTP://X.IO", "ftp://x", "/a", "+14155552671", "127.0.0.1", "::1", "{}", "YQ==",
		"1.2.3", "a-b.example", "6ba7b810-9dad-41d1-80b4-00c04fd430c8"}
	ruleFloats = []float64{0, math.Copysign(0, -1), 0.5, 1, 2, 2.5, 3, -1, 0.1, 100, 2.9999999, math.NaN(), math.Inf(1), math.Inf(-1), 1e300}
)

// value fills a random value of type t.
func (g *ruleGen) value(t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	if g.rng.IntN(5) == 0 {
		return v // zero
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(ruleStrings[g.rng.IntN(len(ruleStrings))])
	case reflect.Int, reflect.Int8, reflect.Int64:
		if t == reflect.TypeFor[time.Duration]() {
			v.SetInt([]int64{0, 1, 2, int64(time.Second), int64(time.Second) + 1, int64(time.Minute)}[g.rng.IntN(6)])
		} else {
			v.SetInt(int64(g.rng.IntN(7)) - 2)
		}
	case reflect.Uint, reflect.Uint8:
		v.SetUint(uint64(g.rng.IntN(5)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(ruleFloats[g.rng.IntN(len(ruleFloats))])
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		if depth > 0 {
			v.Set(g.value(t.Elem(), depth-1).Addr())
		}
	case reflect.Slice:
		n := g.rng.IntN(4)
		if depth <= 0 {
			n = 0
		}
		s := reflect.MakeSlice(t, n, n)
		for i := range n {
			s.Index(i).Set(g.value(t.Elem(), depth-1))
		}
		v.Set(s)
	case reflect.Array:
		for i := range t.Len() {
			if depth > 0 {
				v.Index(i).Set(g.value(t.Elem(), depth-1))
			}
		}
	case reflect.Map:
		m := reflect.MakeMap(t)
		for i := range g.rng.IntN(3) {
			if depth > 0 {
				m.SetMapIndex(reflect.ValueOf(fmt.Sprint("k", i)), g.value(t.Elem(), depth-1))
			}
		}
		v.Set(m)
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2021, 11, 24, 0, 0, 0, 0, time.UTC)))
			break
		}
		for i := range t.NumField() {
			if f := t.Field(i); depth > 0 || f.Type.Kind() != reflect.Pointer {
				// Unexported fields too: the validator looks into embedded ones.
				reflect.NewAt(f.Type, unsafe.Pointer(v.Field(i).UnsafeAddr())).Elem().Set(g.value(f.Type, depth-1))
			}
		}
	case reflect.Interface:
		switch g.rng.IntN(5) {
		case 1:
			v.Set(reflect.ValueOf("x"))
		case 2:
			v.Set(reflect.ValueOf(map[string]any{"a": 1.0, "b": []any{"c"}}))
		case 3:
			v.Set(reflect.ValueOf([]any{nil, 2.0}))
		case 4:
			if g.wild {
				v.Set(reflect.ValueOf(fixtures.LineItem{}))
			}
		}
	}
	return v
}

func TestRuleProgramsAgreeWithTheValidator(t *testing.T) {
	v := newValidator()
	for _, wild := range []bool{false, true} {
		t.Run(fmt.Sprintf("wild=%v", wild), func(t *testing.T) {
			cases, valid, passed, err := compareRulePrograms(v, 1, map[bool]uint64{false: 2, true: 3}[wild], wild, 2000)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d values: the validator passes %d, the program %d", cases, valid, passed)
			if passed < cases/10 || valid < cases/10 {
				t.Fatalf("too few passing values to mean anything: %d program, %d validator of %d", passed, valid, cases)
			}
		})
	}
}

// compareRulePrograms runs ruleAgreement on 12 values of each of n types
// generated from the seed.
func compareRulePrograms(v *validator.Validate, seed1, seed2 uint64, wild bool, n int) (cases, valid, passed int, err error) {
	g := &ruleGen{rng: rand.New(rand.NewPCG(seed1, seed2)), wild: wild}
	for range n {
		st := g.structType(3)
		p := rulecheck.Compile(v, st)
		for range 12 {
			x := g.value(st, 4).Interface()
			pa, va, err := ruleAgreement(v, p, x, !wild)
			if err != nil {
				return cases, valid, passed, fmt.Errorf("type %v: %w", st, err)
			}
			cases++
			if pa {
				passed++
			}
			if va {
				valid++
			}
		}
	}
	return cases, valid, passed, nil
}

// FuzzRuleTypes runs the generated comparison from the fuzzer's seeds.
func FuzzRuleTypes(f *testing.F) {
	f.Add(uint64(1), uint64(2), false)
	f.Add(uint64(1), uint64(3), true)
	v := newValidator()
	f.Fuzz(func(t *testing.T, seed1, seed2 uint64, wild bool) {
		if _, _, _, err := compareRulePrograms(v, seed1, seed2, wild, 20); err != nil {
			t.Fatal(err)
		}
	})
}

// TestRuleProgramAnswersForTheFixtures: the registered types of the
// benchmarks and tests pass without the validator when they are valid.
func TestRuleProgramAnswersForTheFixtures(t *testing.T) {
	v := newValidator()
	var inv fixtures.Invoice
	if err := json.Unmarshal(fixtures.InvoiceContent(fixtures.TypicalLines), &inv); err != nil {
		t.Fatal(err)
	}
	p := rulecheck.Compile(v, reflect.TypeFor[fixtures.Invoice]())
	if !p.Passes(reflect.ValueOf(inv)) || !p.PassesAny(inv) {
		t.Fatal("the program does not answer for the typical invoice")
	}
	if err := v.Struct(inv); err != nil {
		t.Fatal(err)
	}
	bad := inv
	bad.Lines = append([]fixtures.LineItem(nil), inv.Lines...)
	bad.Lines[3].Quantity = 0
	if p.Passes(reflect.ValueOf(bad)) || p.PassesAny(bad) {
		t.Fatal("the program passes a line with quantity 0")
	}
	if p := rulecheck.Compile(v, reflect.TypeFor[*fixtures.Invoice]()); !p.Passes(reflect.ValueOf(inv)) {
		t.Fatal("a *Invoice program does not answer for an invoice")
	}
	if e := (ruleEmbeds{hidden: ""}); e.hidden != "" || !rulecheck.Compile(v, reflect.TypeFor[ruleEmbeds]()).Passes(reflect.ValueOf(ruleEmbeds{RuleInner{1}, ruleHidden{"ab"}, nil, ""})) {
		t.Fatal("the program does not answer for a valid value with embedded fields")
	}
	if p := rulecheck.Compile(v, reflect.TypeFor[**fixtures.Invoice]()); p != nil {
		t.Fatal("a **Invoice program: the validator refuses such a value")
	}
}

// FuzzRulePrograms decodes the fuzzer's JSON into invoice-like types with
// every tag the program implements and compares the program with the
// validator on the values decoded (a partly decoded value too).
func FuzzRulePrograms(f *testing.F) {
	f.Add(fixtures.InvoiceContent(2))
	f.Add([]byte(`{"number":"","issue_date":"2021-02-29","due_date":null,"currency":"eur","line_items":[{"description":"é","quantity":-1}],"subtotal":-0}`))
	f.Add([]byte(`{"code":"0a1B2c3D-0000-4000-8000-00000000000f","tags":["a","dark blue"],"level":3,"ratio":0.5,"wait":1000000000,"flags":{"a":true},"country":"USA","kind":"red"}`))
	f.Add([]byte(`{"number":"x","line_items":[],"customer":{"name":""}}`))
	f.Add([]byte(`{"email":"a@b.co","site":"https://x.io","party":{"name":"p"},"kind":"red","level":1,"ratio":0.5,"country":"FRA","len":[1,2]}`))
	v := newValidator()
	types := []reflect.Type{reflect.TypeFor[fixtures.Invoice](), reflect.TypeFor[ruleFuzzDoc](), reflect.TypeFor[ruleNode]()}
	progs := make([]*rulecheck.Program, len(types))
	for i, t := range types {
		progs[i] = rulecheck.Compile(v, t)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for i, typ := range types {
			x := reflect.New(typ)
			_ = json.Unmarshal(data, x.Interface())
			if _, _, err := ruleAgreement(v, progs[i], x.Elem().Interface(), true); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// ruleFuzzDoc holds every tag the program implements.
type ruleFuzzDoc struct {
	Code    string            `json:"code" validate:"omitempty,uuid"`
	Name    *string           `json:"name" validate:"omitnil,min=1,max=5,alphanum"`
	Tags    []string          `json:"tags" validate:"omitempty,max=3,dive,oneof=a b 'dark blue'"`
	Level   int8              `json:"level" validate:"oneof=1 2 3"`
	Count   uint              `json:"count" validate:"lte=0x10"`
	Ratio   float32           `json:"ratio" validate:"gt=0,lt=1"`
	Score   *float64          `json:"score" validate:"omitempty,ne=0,gte=-1.5"`
	Wait    time.Duration     `json:"wait" validate:"omitempty,gte=1s,lte=1m"`
	Flags   map[string]bool   `json:"flags" validate:"omitnil,len=1,dive,eq=true"`
	Country string            `json:"country" validate:"required,iso3166_1_alpha3"`
	Alpha2  string            `json:"alpha2" validate:"omitempty,iso3166_1_alpha2"`
	Kind    string            `json:"kind" validate:"oneof=red green"`
	Bool    string            `json:"bool" validate:"omitempty,boolean"`
	Party   *fixtures.Party   `json:"party" validate:"required"`
	Parties []*fixtures.Party `json:"parties" validate:"dive,omitnil"`
	Time    string            `json:"time" validate:"omitempty,datetime=15:04,ne=12:00"`
	Len     [2]int            `json:"len" validate:"len=2,dive,min=0"`
	Any     any               `json:"any"`
	Grid    [][]int           `json:"grid" validate:"dive,max=2,dive,gte=0"`
	Plain   []fixtures.Party  `json:"plain"`
	Email   string            `json:"email" validate:"omitempty,email"`
	Site    *string           `json:"site" validate:"omitnil,http_url,contains=."`
}

// TestValidInvoiceSkipsTheValidator: the rules of a valid typical invoice
// allocate nothing (the validator allocates about 90 times), and an
// invalid one still gets the validator's errors.
func TestValidInvoiceSkipsTheValidator(t *testing.T) {
	r := benchRouter(t, nil)
	rt := r.order[0]
	v, err := rt.decode(fixtures.InvoiceContent(fixtures.TypicalLines))
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		if err := r.rules(rt, v); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations for the rules of a valid invoice, want 0", n)
	}
	inv := v.(fixtures.Invoice)
	inv.Currency = "eur"
	var verrs validator.ValidationErrors
	if err := r.rules(rt, inv); !errors.As(err, &verrs) || len(verrs) != 1 || verrs[0].Tag() != "iso4217" || verrs[0].Namespace() != "Invoice.currency" {
		t.Fatalf("got %v, want the validator's iso4217 error at Invoice.currency", err)
	}
}

// ruleValuer hands the validator another value to check.
type ruleValuer struct{ S string }

func (v ruleValuer) ValidatorValue() any { return v.S }

type ruleCases struct {
	Hidden  string                  `json:"-" validate:"required"` // not in the JSON, still validated
	Valuer  ruleValuer              `validate:"required"`
	Alias   string                  `validate:"omitempty,iscolor"`
	Lines   map[string]ruleNode     `validate:"omitempty,dive"`
	Ptrs    map[string]*ruleNode    `validate:"dive,omitnil"`
	Keys    map[string]int          `validate:"omitempty,dive,keys,len=1,endkeys,gt=0"`
	Inner   *ruleEmbeds             `validate:"omitnil"`
	Only    ruleBadTags             `validate:"structonly"`
	NoLevel ruleBadTags             `validate:"nostructlevel"`
	Or      string                  `validate:"omitempty,len=1|len=3"`
	Cross   int                     `validate:"omitempty,gtfield=Alias"`
	When    time.Time               `validate:"omitempty,gt"`
	Dur     *time.Duration          `validate:"omitempty,gte=1m"`
	Any     any                     `validate:"omitempty"`
	AnyReq  any                     `validate:"omitnil,required"`
	Arr     [2]*fixtures.LineItem   `validate:"dive"`
	Deep    [][]fixtures.LineItem   `validate:"dive,dive"`
	Grid    map[string][]ruleHidden `validate:"dive,max=1,dive"`
}

// ruleBadTags has a tag the validator panics on when it reads the type.
type ruleBadTags struct {
	A int `validate:"omitempty,no_such_rule"`
}

// TestRuleProgramsOnHandWrittenCases: shapes the generator does not build
// (named types with ValidatorValue, aliases, keys, struct-level options
// on a struct with bad tags, time comparisons, cross-field tags), each
// value checked for soundness, and the cases the program must answer.
func TestRuleProgramsOnHandWrittenCases(t *testing.T) {
	v := newValidator()
	p := rulecheck.Compile(v, reflect.TypeFor[ruleCases]())
	one := time.Minute
	item := &fixtures.LineItem{Description: "d", Quantity: 1}
	valid := ruleCases{Hidden: "h", Valuer: ruleValuer{"x"}, Lines: map[string]ruleNode{"a": {Name: "n"}},
		Ptrs: map[string]*ruleNode{"a": nil, "b": {Name: "b"}}, Dur: &one, Arr: [2]*fixtures.LineItem{item, nil},
		Deep: [][]fixtures.LineItem{{*item}, nil}, Grid: map[string][]ruleHidden{"g": {{B: "ab"}}}}
	g := &ruleGen{rng: rand.New(rand.NewPCG(4, 5)), wild: true}
	for range 3000 {
		x := g.value(reflect.TypeFor[ruleCases](), 4).Interface()
		if _, _, err := ruleAgreement(v, p, x, false); err != nil {
			t.Fatal(err)
		}
	}
	// The ValidatorValue method and the struct-level options on a type
	// the validator cannot read leave every value to the validator.
	if p.Passes(reflect.ValueOf(valid)) {
		t.Fatal("the program passes a value whose field has a ValidatorValue method")
	}
	type answered struct {
		Hidden string                  `json:"-" validate:"required"`
		Lines  map[string]ruleNode     `validate:"omitempty,dive"`
		Ptrs   map[string]*ruleNode    `validate:"dive,omitnil"`
		Alias  string                  `validate:"omitempty,iscolor"`
		Or     string                  `validate:"omitempty,len=1|len=3"`
		Dur    *time.Duration          `validate:"omitempty,gte=1m"`
		Any    any                     `validate:"omitempty"`
		Arr    [2]*fixtures.LineItem   `validate:"dive"`
		Deep   [][]fixtures.LineItem   `validate:"dive,dive"`
		Grid   map[string][]ruleHidden `validate:"dive,max=1,dive"`
		Skip   ruleBadTags             `validate:"-"`
		No     ruleBadTags             `validate:"nostructlevel"`
	}
	a := answered{Hidden: "h", Lines: valid.Lines, Ptrs: valid.Ptrs, Dur: &one, Any: map[string]any{"a": 1.0},
		Arr: valid.Arr, Deep: valid.Deep, Grid: valid.Grid}
	pa := rulecheck.Compile(v, reflect.TypeFor[answered]())
	if _, _, err := ruleAgreement(v, pa, a, true); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []func(*answered){
		func(a *answered) { a.Hidden = "" },
		func(a *answered) { a.Lines = map[string]ruleNode{"a": {}} },
		func(a *answered) { a.Ptrs = map[string]*ruleNode{"a": {Name: "toolong"}} },
		func(a *answered) { d := time.Second; a.Dur = &d },
		func(a *answered) { a.Arr[1] = &fixtures.LineItem{Description: "d"} },
		func(a *answered) { a.Deep = [][]fixtures.LineItem{{{Quantity: 1}}} },
		func(a *answered) { a.Grid = map[string][]ruleHidden{"g": {{B: "ab"}, {B: "ab"}}} },
		func(a *answered) { a.Alias = "x" }, // not answered: the validator's
		func(a *answered) { a.Or = "ab" },
	} {
		b := a
		bad(&b)
		if pass, valid, err := ruleAgreement(v, pa, b, false); err != nil || pass || valid {
			t.Fatalf("%+v: program %v, validator %v, %v", b, pass, valid, err)
		}
	}
}
