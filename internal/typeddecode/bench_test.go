package typeddecode_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/internal/typeddecode"
)

// BenchmarkInvoice compares the compiled decoder with json.Unmarshal on the
// typical invoice content.
func BenchmarkInvoice(b *testing.B) {
	data := fixtures.InvoiceContent(fixtures.TypicalLines)
	dec, err := typeddecode.Compile(reflect.TypeFor[fixtures.Invoice]())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("impl=typeddecode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if _, ok := dec.DecodeAny(data); !ok {
				b.Fatal("not handled")
			}
		}
	})
	b.Run("impl=json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var v fixtures.Invoice
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
			_ = any(v)
		}
	})
}
