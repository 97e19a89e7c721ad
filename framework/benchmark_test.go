package framework

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/retabhook/retabhook/internal/bench"
	"github.com/retabhook/retabhook/internal/envelope"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

const benchSecret = "whsec_bench"

var benchBodies = []struct {
	name string
	body func() []byte
}{
	{"typical", fixtures.TypicalDelivery},
	{"large", func() []byte { return fixtures.LargeDelivery(10 << 20) }},
}

func benchRouter(tb testing.TB) *Router {
	r, err := NewRouter(WithSecrets(benchSecret), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		tb.Fatal(err)
	}
	Handle(r, func(ctx context.Context, inv fixtures.Invoice) error {
		if inv.Number == "" {
			return io.EOF
		}
		return nil
	})
	return r
}

func benchNaive() http.Handler {
	return &bench.Naive{Secret: benchSecret, Handle: func(ctx context.Context, inv fixtures.Invoice, _ string) error {
		if inv.Number == "" {
			return io.EOF
		}
		return nil
	}}
}

func serveOnce(b *testing.B, h http.Handler, body []byte, sig string) {
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", sig)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

// BenchmarkDelivery compares, in one run, the whole pipeline through
// ServeHTTP with the hand-written baseline (bench.Naive) and, for the
// large body, with HMAC-SHA256 alone over the same bytes.
func BenchmarkDelivery(b *testing.B) {
	r := benchRouter(b)
	naive := benchNaive()
	for _, bb := range benchBodies {
		body := bb.body()
		sig := Sign(benchSecret, body)
		b.Run("body="+bb.name+"/impl=naive", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				serveOnce(b, naive, body, sig)
			}
		})
		b.Run("body="+bb.name+"/impl=pipeline", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				serveOnce(b, r, body, sig)
			}
		})
		b.Run("body="+bb.name+"/impl=hmac", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				mac := hmac.New(sha256.New, []byte(benchSecret))
				mac.Write(body)
				mac.Sum(nil)
			}
		})
	}
}

func BenchmarkStage(b *testing.B) {
	r := benchRouter(b)
	body := fixtures.TypicalDelivery()
	sig := Sign(benchSecret, body)
	content := fixtures.InvoiceContent(fixtures.TypicalLines)
	rt := r.order[0]
	b.Run("stage=verify", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Verify(body, sig, benchSecret); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=envelope", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := envelope.Decode(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=delivery", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := decodeDelivery(body, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := schemas.ParseInstance(content); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=schema", func(b *testing.B) {
		inst, _ := schemas.ParseInstance(content)
		b.ReportAllocs()
		for b.Loop() {
			if err := rt.schema.Validate(inst.Value); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stage=marshal", func(b *testing.B) {
		inst, _ := schemas.ParseInstance(content)
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(inst.Value)
		}
	})
	b.Run("stage=decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rt.decode(content)
		}
	})
	b.Run("stage=rules", func(b *testing.B) {
		v, _ := rt.decode(content)
		b.ReportAllocs()
		for b.Loop() {
			r.rules(v)
		}
	})
}
