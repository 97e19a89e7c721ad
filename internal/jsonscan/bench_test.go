package jsonscan_test

import (
	"bytes"
	"testing"

	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/internal/jsonscan"
)

// typicalPart returns the value of the typical delivery that follows the
// first occurrence of key (its "parsed" copy of the content, or the
// content string).
func typicalPart(b *testing.B, key string) []byte {
	body := fixtures.TypicalDelivery()
	i := bytes.Index(body, []byte(`"`+key+`":`))
	if i < 0 {
		b.Fatalf("no %s in the typical delivery", key)
	}
	v := body[i+len(key)+3:]
	end, ok := jsonscan.Skip(v, 0)
	if !ok {
		b.Fatalf("%s does not skip", key)
	}
	return v[:end:end]
}

// BenchmarkSkipParsed skips the typical delivery's "parsed" copy of its
// content, as the envelope scan does.
func BenchmarkSkipParsed(b *testing.B) {
	v := typicalPart(b, "parsed")
	b.SetBytes(int64(len(v)))
	for b.Loop() {
		if end, ok := jsonscan.Skip(v, 0); !ok || end != len(v) {
			b.Fatal(end, ok)
		}
	}
}

// BenchmarkAppendStringContent decodes the typical delivery's content
// string into room that holds it, as the envelope scan does.
func BenchmarkAppendStringContent(b *testing.B) {
	v := typicalPart(b, "content")
	b.SetBytes(int64(len(v)))
	room := make([]byte, 0, len(v)+8)
	for b.Loop() {
		if _, end, ok := jsonscan.AppendString(room, v, 0); !ok || end != len(v) {
			b.Fatal(end, ok)
		}
	}
}
