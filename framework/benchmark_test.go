package framework

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"

	"github.com/retabhook/retabhook/internal/bench"
	"github.com/retabhook/retabhook/internal/envelope"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// Benchmarks of the request pipeline; BENCHMARKS.md has the commands and
// the numbers. Every comparison is within one run: the framework against
// the hand-written baseline (internal/bench.Naive) and against HMAC-SHA256
// alone over the same bytes.

const benchSecret = "whsec_bench"

func benchRouter(tb testing.TB, handle func(context.Context, fixtures.Invoice) error, opts ...Option) *Router {
	r, err := NewRouter(append([]Option{WithSecrets(benchSecret), WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	if handle == nil {
		handle = checkInvoice
	}
	Handle(r, handle)
	return r
}

func checkInvoice(_ context.Context, inv fixtures.Invoice) error {
	if inv.Number == "" || len(inv.Lines) == 0 {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func benchNaive() http.Handler {
	return &bench.Naive{Secret: benchSecret, Handle: func(ctx context.Context, inv fixtures.Invoice, _ string) error {
		return checkInvoice(ctx, inv)
	}}
}

// signedPost is a POST of body to /webhook with the signature sig in
// header; chunked: without a declared length, read through another
// reader.
func signedPost(body []byte, header, sig string, chunked bool) *http.Request {
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(bytes.NewReader(nil), rd)
	}
	req := httptest.NewRequest(http.MethodPost, "/webhook", rd)
	if chunked {
		req.ContentLength = -1
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(header, sig)
	return req
}

func serveOnce(b testing.TB, h http.Handler, body []byte, sig string) {
	req := signedPost(body, "X-Retab-Signature", sig, false)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

func hmacOnce(body []byte) {
	mac := hmac.New(sha256.New, []byte(benchSecret))
	mac.Write(body)
	mac.Sum(nil)
}

// runImpls measures the naive handler, the pipeline, HMAC alone and,
// when bounded is not nil, the pipeline under WithMaxInFlightBytes (whose
// body buffer is allocated at the declared size at once), as
// sub-benchmarks impl=naive, pipeline, hmac and bounded. Besides the wall
// clock each reports cpu-ns/op, the process's CPU time per delivery.
func runImpls(b *testing.B, r, bounded *Router, naive http.Handler, body []byte) {
	sig := Sign(benchSecret, body)
	impls := []struct {
		name string
		run  func()
	}{
		{"naive", func() { serveOnce(b, naive, body, sig) }},
		{"pipeline", func() { serveOnce(b, r, body, sig) }},
		{"hmac", func() { hmacOnce(body) }},
	}
	if bounded != nil {
		impls = append(impls, struct {
			name string
			run  func()
		}{"bounded", func() { serveOnce(b, bounded, body, sig) }})
	}
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			cpu0, ok := processCPU()
			for b.Loop() {
				impl.run()
			}
			if cpu1, _ := processCPU(); ok {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// BenchmarkDelivery: a typical delivery (2 KB of content, a 1 KiB
// document) and a large one (a 10 MiB document, 14 MB of base64) through
// ServeHTTP, against the baseline and HMAC alone.
func BenchmarkDelivery(b *testing.B) {
	r, naive := benchRouter(b, nil), benchNaive()
	bounded := benchRouter(b, nil, WithMaxInFlightBytes(256<<20))
	for _, body := range []struct {
		name string
		body []byte
	}{
		{"typical", fixtures.TypicalDelivery()},
		{"large", fixtures.LargeDelivery(10 << 20)},
	} {
		b.Run("body="+body.name, func(b *testing.B) { runImpls(b, r, bounded, naive, body.body) })
	}
}

// BenchmarkPayloadSize sweeps the document's size (the data for the
// throughput plot, scripts/bench-plot.sh).
func BenchmarkPayloadSize(b *testing.B) {
	r, naive := benchRouter(b, nil), benchNaive()
	for _, size := range []int{0, 4 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 40 << 20} {
		body := fixtures.LargeDelivery(size)
		b.Run(fmt.Sprintf("doc=%d", size), func(b *testing.B) { runImpls(b, r, nil, naive, body) })
	}
}

// BenchmarkStage measures the pipeline's steps one by one on the typical
// delivery, with the full path's content steps for comparison.
func BenchmarkStage(b *testing.B) {
	r := benchRouter(b, nil)
	rt := r.order[0]
	body := fixtures.TypicalDelivery()
	sig := Sign(benchSecret, body)
	d, c, err := r.decode(body, nil)
	if err != nil {
		b.Fatal(err)
	}
	content := d.Content
	if err := r.check(rt, d, c, nil); err != nil {
		b.Fatal(err)
	}
	stage := func(name string, f func() error) {
		b.Run("stage="+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := f(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	hdr := http.Header{"X-Retab-Signature": {sig}}
	stage("verify", func() error {
		a, err := r.authenticate(hdr)
		if err != nil {
			return err
		}
		room := a.take()
		defer a.set.put(room)
		h := room.h
		h.reset(true, a.sig.Prefix)
		h.read(body, 0, len(body))
		h.finish()
		_, err = matchSignature(a.sig, h.sums)
		return err
	})
	var room envelope.Room
	stage("envelope", func() error { // with the contents and the metadata decoded, in the room the router reuses
		_, err := envelope.DecodeRuns(body, nil, &room)
		room.Release()
		return err
	})
	stage("delivery", func() error { // envelope, Delivery, content prepared
		_, _, err := r.decode(body, nil)
		return err
	})
	stage("content", func() error { // prepare and validate
		c, _, err := parseContent(content, nil)
		if err != nil {
			return err
		}
		_, err = c.validate(rt)
		return err
	})
	stage("decode", func() error { // decode into the type and validate tags
		v, err := rt.decode(c.clean)
		if err != nil {
			return err
		}
		return r.rules(rt, v)
	})
	stage("rules", func() error { // the validate tags alone, on the decoded value
		return r.rules(rt, d.Value)
	})
	stage("dispatch", func() error {
		return r.run(context.Background(), rt, d)
	})
	// The full path the fast one replaces, for comparison.
	stage("content-full", func() error {
		inst, err := schemas.ParseInstance(content)
		if err != nil {
			return err
		}
		return rt.schema.Validate(inst.Value)
	})
	stage("rules-full", func() error { // go-playground/validator, which the rule program answers for
		return r.validate.Struct(d.Value)
	})
	inst, _ := schemas.ParseInstance(content)
	stage("decode-full", func() error {
		clean, err := json.Marshal(inst.Value)
		if err != nil {
			return err
		}
		v, err := rt.decode(clean)
		if err != nil {
			return err
		}
		return r.rules(rt, v)
	})
}

// BenchmarkRouting is routing by schema match between the example's two
// types (the invoice and a calendar event) on the typical delivery's
// content: walked as it is once per route until one takes it
// (path=judged, what decode does), against prepared first and then
// validated against every route (path=prepared, what it did before).
//
//	go test -run '^$' -bench BenchmarkRouting -benchmem ./framework
func BenchmarkRouting(b *testing.B) {
	r := benchRouter(b, nil)
	Handle(r, func(context.Context, fastEvent) error { return nil })
	d, _, err := r.decode(fixtures.TypicalDelivery(), nil)
	if err != nil {
		b.Fatal(err)
	}
	raw := d.Content
	route := func(c *content) {
		if rt, _, err := r.choose("", c); err != nil || rt != r.order[0] {
			b.Fatal(rt, err)
		}
	}
	b.Run("path=judged", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.mu.RLock()
			c, _, err := newContent(raw, r.order, nil)
			r.mu.RUnlock()
			if err != nil || c.accepted == nil {
				b.Fatal("not taken as it is", err)
			}
			route(c)
		}
	})
	b.Run("path=prepared", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, _, err := parseContent(raw, nil)
			if err != nil {
				b.Fatal(err)
			}
			route(c)
		}
	})
}

// BenchmarkInFlight holds n large deliveries inside their handlers at once
// and measures the live heap then (after a collection): heap/body is the
// memory one in-flight delivery holds, as a multiple of its body.
func BenchmarkInFlight(b *testing.B) {
	const n = 4
	body := fixtures.LargeDelivery(10 << 20)
	sig := Sign(benchSecret, body)
	var arrived, release sync.WaitGroup
	r := benchRouter(b, func(ctx context.Context, inv fixtures.Invoice) error {
		arrived.Done()
		release.Wait()
		return checkInvoice(ctx, inv)
	})
	// The baseline is left out: by the time its handler runs, the body and
	// the envelope are garbage, so its live heap then says nothing of its
	// peak (its allocations per delivery, 3.4x the body, bound that).
	for _, impl := range []struct {
		name string
		h    http.Handler
	}{{"pipeline", r}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			var live float64
			for b.Loop() {
				var base runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&base)
				arrived.Add(n)
				release.Add(1)
				var done sync.WaitGroup
				for range n {
					done.Go(func() {
						req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("X-Retab-Signature", sig)
						w := httptest.NewRecorder()
						impl.h.ServeHTTP(w, req)
						if w.Code != http.StatusOK {
							b.Errorf("status %d: %s", w.Code, w.Body)
						}
					})
				}
				arrived.Wait()
				var held runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&held)
				release.Done()
				done.Wait()
				live += float64(held.HeapAlloc) - float64(base.HeapAlloc)
			}
			perDelivery := live / float64(b.N) / n
			b.ReportMetric(perDelivery, "heapB/delivery")
			b.ReportMetric(perDelivery/float64(len(body)), "heap/body")
		})
	}
}
