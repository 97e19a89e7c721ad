package framework_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
)

// Invoice and CalendarEvent are the document types of the tests.
type Invoice struct {
	Number   string     `json:"number" validate:"required"`
	Date     string     `json:"date" validate:"datetime=2006-01-02"`
	Currency string     `json:"currency" validate:"iso4217"`
	Lines    []LineItem `json:"line_items" validate:"min=1,dive"`
	Total    float64    `json:"total" validate:"gte=0"`
	Note     *string    `json:"note,omitempty"`
}

type LineItem struct {
	Description string  `json:"description" validate:"required"`
	Quantity    int     `json:"quantity" validate:"gt=0"`
	Amount      float64 `json:"amount"`
}

type CalendarEvent struct {
	Name string `json:"name"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

const (
	secret       = "whsec_test_secret"
	otherSecret  = "whsec_rotated_secret"
	validInvoice = `{"number":"INV-1","date":"2024-05-01","currency":"EUR","line_items":[{"description":"Widget","quantity":2,"amount":10.5}],"total":21}`
)

// recorder collects what handlers received.
type recorder struct {
	mu         sync.Mutex
	invoices   []Invoice
	events     []CalendarEvent
	deliveries []*framework.Delivery
}

func (rec *recorder) invoice(ctx context.Context, v Invoice) error {
	d, _ := framework.DeliveryFrom(ctx)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.invoices = append(rec.invoices, v)
	rec.deliveries = append(rec.deliveries, d)
	return nil
}

func (rec *recorder) event(ctx context.Context, v CalendarEvent) error {
	d, _ := framework.DeliveryFrom(ctx)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.events = append(rec.events, v)
	rec.deliveries = append(rec.deliveries, d)
	return nil
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newTestRouter registers Invoice and CalendarEvent with secret.
func newTestRouter(t *testing.T, opts ...framework.Option) (*framework.Router, *recorder) {
	t.Helper()
	opts = append([]framework.Option{framework.WithSecrets(secret), framework.WithLogger(quietLogger())}, opts...)
	r, err := framework.NewRouter(opts...)
	require.NoError(t, err)
	rec := &recorder{}
	framework.Handle(r, rec.invoice)
	framework.Handle(r, rec.event)
	return r, rec
}

// post signs body with sec and sends it through h.
func post(t *testing.T, h http.Handler, target string, body []byte, sec string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sec != "" {
		req.Header.Set("X-Retab-Signature", framework.Sign(sec, body))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// problem decodes a problem document, checking its media type.
func problem(t *testing.T, w *httptest.ResponseRecorder) framework.ProblemDocument {
	t.Helper()
	require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"), "body: %s", w.Body)
	var doc framework.ProblemDocument
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc), "body: %s", w.Body)
	return doc
}

// kindMux mounts r on "POST /webhook/{kind}" so deliveries route by path.
func kindMux(r http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST /webhook", r)
	mux.Handle("POST /webhook/{kind}", r)
	return mux
}
