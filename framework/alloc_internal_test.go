package framework

import (
	"testing"

	"github.com/stretchr/testify/assert"

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
