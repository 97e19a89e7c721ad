package metrics_test

import (
	"context"
	"os"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/handlers/metrics"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestQuarantineMetrics: each kept delivery counts in quarantined_total,
// and each entry the store drops past its size bound moves
// quarantine_dropped_total.
func TestQuarantineMetrics(t *testing.T) {
	m := metrics.New()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	body := fixtures.ContentEnvelope(`{"number":"INV-1","line_items":[],"total":1}`)
	// Room for two entries of this body (body + record each): one entry
	// is measured on a store of its own first.
	probeDir := t.TempDir()
	probe, err := framework.OpenDiskQuarantine(probeDir, framework.DiskLogger(nopLogger()))
	require.NoError(t, err)
	pr, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(nopLogger()), framework.WithQuarantine(probe))
	require.NoError(t, err)
	framework.Handle(pr, func(context.Context, Invoice) error { return nil })
	require.Equal(t, 422, post(t, pr, "/webhook", body, framework.Sign(secret, body)))
	var entry int64
	files, err := os.ReadDir(probeDir)
	require.NoError(t, err)
	for _, f := range files {
		info, err := f.Info()
		require.NoError(t, err)
		entry += info.Size()
	}
	q, err := framework.OpenDiskQuarantine(t.TempDir(), framework.DiskMaxBytes(2*entry+entry/2),
		framework.DiskObserver(m), framework.DiskLogger(nopLogger()))
	require.NoError(t, err)
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithObserver(m),
		framework.WithLogger(nopLogger()), framework.WithQuarantine(q))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, Invoice) error { return nil })

	for range 4 {
		require.Equal(t, 422, post(t, r, "/webhook", body, framework.Sign(secret, body)))
	}
	assert.Equal(t, 4.0, series(t, reg, "retabhook_quarantined_total", "kind", "invoice", "problem", "schema-violation"))
	list, err := q.List(context.Background())
	require.NoError(t, err)
	assert.Len(t, list, 2)
	assert.Equal(t, 2.0, series(t, reg, "retabhook_quarantine_dropped_total", "reason", "size"))
}

// TestReviewOutcome: a delivery sent to the review handler counts as
// outcome="review".
func TestReviewOutcome(t *testing.T) {
	m := metrics.New()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(m))
	r, err := framework.NewRouter(framework.WithSecrets(retabtest.Secret), framework.WithObserver(m), framework.WithLogger(nopLogger()))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, Invoice) error { return nil },
		framework.WithReview(framework.ReviewPolicy{Threshold: 0.7}, func(context.Context, framework.Review[Invoice]) error { return nil }))
	inv := Invoice{Number: "INV-1", Lines: []LineItem{{Description: "Widget", Quantity: 1}}, Total: 3}
	d, err := retabtest.NewDelivery(inv, retabtest.WithLikelihoods([]byte(`{"number":1,"line_items":[{"description":1,"quantity":1}],"total":0.4}`)))
	require.NoError(t, err)
	require.Equal(t, 200, retabtest.Serve(r, d, "/webhook").Status)
	assert.Equal(t, 1.0, series(t, reg, "retabhook_deliveries_total", "kind", "invoice", "outcome", "review", "status", "200"))
}
