package typeddecode_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// FuzzDecodeInvoice checks the decoder against json.Unmarshal on bytes
// derived from the typical invoice content.
func FuzzDecodeInvoice(f *testing.F) {
	typ := reflect.TypeFor[fixtures.Invoice]()
	dec := compile(f, typ)
	f.Add(fixtures.InvoiceContent(fixtures.TypicalLines))
	f.Add(fixtures.InvoiceContent(0))
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		f.Add(generate(rng, typ, 0))
	}
	f.Fuzz(func(t *testing.T, data []byte) { check(t, dec, data) })
}

// FuzzDecodeEverything checks the decoder against json.Unmarshal on a type
// with a field of every kind it handles and of those it delegates.
func FuzzDecodeEverything(f *testing.F) {
	typ := reflect.TypeFor[Everything]()
	dec := compile(f, typ)
	rng := rand.New(rand.NewPCG(5, 6))
	for range 40 {
		f.Add(generate(rng, typ, 0))
	}
	f.Fuzz(func(t *testing.T, data []byte) { check(t, dec, data) })
}

// FuzzDecodeGathered checks the decoder against json.Unmarshal on a type
// without maps, whose strings are gathered into one allocation after the
// decoding (state.gathered): strings in slices, arrays, pointers and
// nested slices of structs.
func FuzzDecodeGathered(f *testing.F) {
	typ := reflect.TypeFor[Gathered]()
	dec := compile(f, typ)
	rng := rand.New(rand.NewPCG(7, 8))
	for range 40 {
		f.Add(generate(rng, typ, 0))
	}
	f.Add(manyStrings(300))
	f.Fuzz(func(t *testing.T, data []byte) { check(t, dec, data) })
}
