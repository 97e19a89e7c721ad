package framework

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestTypicalDeliveryAllocations holds the allocation goal of
// BENCHMARKS.md: a typical delivery through ServeHTTP, validated and
// decoded, allocates no more than the hand-written handler that validates
// nothing (internal/bench.Naive), counted in the same harness
// (httptest request and recorder included on both sides).
func TestTypicalDeliveryAllocations(t *testing.T) {
	body := fixtures.TypicalDelivery()
	sig := Sign(benchSecret, body)
	r, naive := benchRouter(t, nil), benchNaive()
	serveOnce(t, r, body, sig) // pools warmed
	pipeline := testing.AllocsPerRun(200, func() { serveOnce(t, r, body, sig) })
	baseline := testing.AllocsPerRun(200, func() { serveOnce(t, naive, body, sig) })
	t.Logf("typical delivery: pipeline %.0f allocations, naive %.0f", pipeline, baseline)
	assert.LessOrEqual(t, pipeline, baseline, "the pipeline allocates more than the hand-written handler")
	assert.Greater(t, baseline, 50.0, "the baseline's count is not what BENCHMARKS.md measured (113): the harness changed")
}

// TestOuterPathAllocations holds what the router's own work around the
// pipeline allocates for a typical delivery: its log line through a text
// handler costs one allocation (the record's attrs past the 5 it keeps
// inline), WithMaxInFlightBytes none (its share is given back without a
// closure), an observer that keeps nothing none, and the answer of a
// delivery processed one (its header value: its bytes, which
// ResponseWriter.Write may not keep, are written from a pooled buffer).
func TestOuterPathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled items at random: counted without -race (.ci/run)")
	}
	body := fixtures.TypicalDelivery()
	sig := Sign(benchSecret, body)
	count := func(r *Router) float64 {
		serveOnce(t, r, body, sig) // pools warmed
		return testing.AllocsPerRun(200, func() { serveOnce(t, r, body, sig) })
	}
	plain := count(benchRouter(t, nil))
	logged := count(benchRouter(t, nil, WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))))
	bounded := count(benchRouter(t, nil, WithMaxInFlightBytes(64<<20)))
	observed := count(benchRouter(t, nil, WithObserver(nopObserver{})))
	t.Logf("typical delivery: %.0f allocations; with a text log line %.0f, WithMaxInFlightBytes %.0f, an observer %.0f", plain, logged, bounded, observed)
	assert.LessOrEqual(t, logged-plain, 1.0, "the log line")
	assert.LessOrEqual(t, bounded, plain, "WithMaxInFlightBytes (the body buffer is allocated at once either way)")
	assert.LessOrEqual(t, observed, plain, "an observer")

	// The answer: its header value.
	d, out := &Delivery{Kind: "invoice", ID: "dlv_0123456789abcdef0123456789abcdef"}, &Outcome{}
	w, r := &nopWriter{header: http.Header{}}, new(Router)
	assert.Equal(t, 1.0, testing.AllocsPerRun(200, func() { r.writeAnswer(w, d, out) }), "writeAnswer")
}

// nopObserver observes nothing.
type nopObserver struct{}

func (nopObserver) StartStage(ctx context.Context, _ Stage) (context.Context, func(error)) {
	return ctx, func(error) {}
}
func (nopObserver) Finish(context.Context, Outcome) {}

// nopWriter is a ResponseWriter that keeps nothing.
type nopWriter struct{ header http.Header }

func (w *nopWriter) Header() http.Header         { return w.header }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// TestContentInTheRequestRoom: the router keeps a request's content (the
// struct that carries it through routing and validation) in the room its
// body hashes are pooled in, one allocation fewer than a decoding without
// that room, and the room holds nothing of it once put back.
func TestContentInTheRequestRoom(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector drops pooled items at random: counted without -race (.ci/run)")
	}
	r := benchRouter(t, nil)
	body := fixtures.TypicalDelivery()
	set := r.secretSets[""]
	room := set.get()
	decode := func(h *bodyHashes) func() {
		return func() {
			if _, c, err := r.decode(body, h); err != nil || c == nil {
				t.Fatal(err)
			}
		}
	}
	without := testing.AllocsPerRun(100, decode(nil))
	with := testing.AllocsPerRun(100, decode(room.h))
	assert.Equal(t, without-1, with, "the content in the room")
	_, c, err := r.decode(body, room.h)
	require.NoError(t, err)
	assert.Same(t, &room.h.ct, c)
	set.put(room)
	assert.Equal(t, content{}, room.h.ct, "a pooled room holds the content of the request it served")
}
