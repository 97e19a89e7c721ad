package framework

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// The router's fast path (internal/fastpath) must not change anything a
// client or a handler can see. These tests serve the same deliveries
// through a router with the fast path and through one where every route
// has it turned off, and compare the answers and the handlers' values.

type fastEvent struct {
	Name string `json:"name" validate:"required"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

// fastStamped has a field with its own UnmarshalJSON, which sees the
// prepared bytes (escapes included) on both paths.
type fastStamped struct {
	Number string    `json:"number"`
	At     time.Time `json:"at"`
}

// fastDated has schemas.Date and schemas.Amount fields.
type fastDated struct {
	Reference string           `json:"reference"`
	Issued    schemas.Date     `json:"issued"`
	Due       *schemas.Date    `json:"due"`
	Total     schemas.Amount   `json:"total"`
	Taxes     []schemas.Amount `json:"taxes,omitempty"`
}

func TestFastPathChangesNothing(t *testing.T) {
	const secret = "whsec_diff"
	p := newRoutingPair(t, typeSetNamed("four"), secret)
	seeds := [][]byte{
		fixtures.InvoiceContent(3),
		[]byte(fixtures.SeedContent),
		[]byte(`{"number": "A-1", "at": "2024-05-01T10:00:00Z"}`),
		[]byte(`{"reference": "R-7", "issued": "2024-05-01", "due": null, "total": 1211.50, "taxes": [10, 2.5e1, 3.0]}`),
	}
	var contents [][]byte
	for i, seed := range seeds {
		contents = append(contents, seed)
		contents = append(contents, fixtures.Mutants(seed, 300, uint64(i))...)
	}
	contents = append(contents,
		[]byte(`{"name": "x", "date": "2023-12-31", "reasoning___root": "r", "reasoning___date": {"why": 1.0}}`),
		[]byte(`{"name": "x", "date": "2023-12-31"} trailing`),
		[]byte(`{"name": "x", "name": "y", "date": "2023-12-31"}`),
		[]byte(`not json`),
		[]byte(`{"reference": "R-7", "issued": "\u0032024-05-01", "due": "2024-06\u002d01", "total": 1}`),
		[]byte(`{"reference": "R-7", "issued": "2024-02-30", "due": null, "total": 1}`),
		[]byte(`{"reference": "R-7", "issued": "2024-05-01", "due": null, "total": 1e400}`),
		[]byte(`{"reference": "R-7", "issued": "2024-05-01", "due": null, "total": -0.000}`),
	)
	statuses := map[int]int{}
	for _, c := range contents {
		p.compare(t, secret, c, statuses, "/webhook", "/webhook/invoice")
	}
	require.Greater(t, statuses[http.StatusOK], len(contents)/10)
	require.Greater(t, statuses[http.StatusUnprocessableEntity], len(contents)/10)
}

// TestSoleRouteCheckedAsPrepared: with one registered type, content its
// fast path takes as it is (judgeContent) gets the answers, values and
// annotations of the full path; the typical invoice is taken so.
func TestSoleRouteCheckedAsPrepared(t *testing.T) {
	const secret = "whsec_diff"
	p := newRoutingPair(t, typeSet{"invoice", func(r *Router, rec func(context.Context, any)) {
		handleRecorded[fixtures.Invoice](r, rec)
	}}, secret)
	fast := p.fast
	typical := fixtures.InvoiceContent(fixtures.TypicalLines)
	contents := [][]byte{typical}
	contents = append(contents, fixtures.Mutants(typical, 600, 7)...)
	contents = append(contents, fixtures.Mutants(fixtures.InvoiceContent(1), 300, 8)...)
	accepted := 0
	for _, content := range contents {
		_, c, err := fast.decode(fixtures.ContentEnvelope(string(content)), nil)
		if err == nil && c.accepted != nil {
			require.Same(t, fast.order[0], c.accepted)
			accepted++
		}
	}
	_, c, err := fast.decode(fixtures.ContentEnvelope(string(typical)), nil)
	require.NoError(t, err)
	require.NotNil(t, c.accepted, "the typical invoice is checked as it is prepared")
	statuses := map[int]int{}
	for _, c := range contents {
		p.compare(t, secret, c, statuses, "/webhook", "/webhook/invoice")
	}
	t.Logf("statuses: %v, %d of %d taken as they are", statuses, accepted, len(contents))
	require.Greater(t, accepted, 10)
	require.Greater(t, statuses[http.StatusUnprocessableEntity], len(contents)/10)
}

func TestLargeBodyHashedWhileRead(t *testing.T) {
	const old, current = "whsec_old", "whsec_new"
	p := newRoutingPair(t, typeSetNamed("four"), old, current)
	fast, got := p.fast, p.got
	body := fixtures.LargeDelivery(3 << 20) // above parallelMACMin
	for _, chunked := range []bool{false, true} {
		req := signedPost(body, "Retab-Signature", Sign(current, body), chunked)
		w := httptest.NewRecorder()
		fast.ServeHTTP(w, req)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		d := got[fast].d
		// The ID digested while reading (or after, for a chunked body) is
		// DeliveryID's.
		require.Equal(t, DeliveryID(body), d.ID)
		require.Equal(t, 1, d.SecretIndex)
		require.Equal(t, 3<<20, d.File.Size)
		data, err := d.File.Data()
		require.NoError(t, err)
		require.Equal(t, fixtures.Document(3<<20), data)
	}
}
