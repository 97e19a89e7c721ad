package framework_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// TestStatusTable sends one request per row of the status table through
// the whole pipeline and checks the exact status and problem document.
func TestStatusTable(t *testing.T) {
	seed := fixtures.ContentEnvelope(fixtures.SeedContent)
	tests := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		sign        string // secret to sign with; "" for no header
		sigHeader   string // header value override
		wantStatus  int
		wantErr     *framework.Problem
		wantDetail  string
	}{
		{name: "handled", body: seed, sign: secret, wantStatus: 200},
		{name: "GET", method: http.MethodGet, body: seed, sign: secret, wantStatus: 405, wantErr: framework.ErrMethodNotAllowed},
		{name: "form content type", contentType: "application/x-www-form-urlencoded", body: seed, sign: secret, wantStatus: 415, wantErr: framework.ErrUnsupportedMediaType},
		{name: "no content type", contentType: "-", body: seed, sign: secret, wantStatus: 415, wantErr: framework.ErrUnsupportedMediaType},
		{name: "missing signature", body: seed, wantStatus: 401, wantErr: framework.ErrMissingSignature},
		{name: "wrong secret", body: seed, sign: "whsec_wrong", wantStatus: 401, wantErr: framework.ErrInvalidSignature, wantDetail: "WEBHOOKS_SECRET"},
		{name: "garbage signature", body: seed, sigHeader: "not-a-signature", wantStatus: 401, wantErr: framework.ErrInvalidSignature},
		{name: "malformed JSON", body: []byte(`{"completion":`), sign: secret, wantStatus: 400, wantErr: framework.ErrMalformedEnvelope},
		{name: "JSON array", body: []byte(`[1,2]`), sign: secret, wantStatus: 400, wantErr: framework.ErrMalformedEnvelope},
		{name: "no completion", body: []byte(`{"user":"a@b.c"}`), sign: secret, wantStatus: 400, wantErr: framework.ErrUnrecognizedFormat},
		{name: "null completion", body: []byte(`{"completion":null}`), sign: secret, wantStatus: 400, wantErr: framework.ErrMissingCompletion},
		{name: "no choices", body: []byte(`{"completion":{"id":"c","choices":[]}}`), sign: secret, wantStatus: 422, wantErr: framework.ErrNoContent, wantDetail: "choices is empty"},
		{name: "null content", body: []byte(`{"completion":{"choices":[{"message":{"content":null}}]}}`), sign: secret, wantStatus: 422, wantErr: framework.ErrNoContent, wantDetail: "content is null"},
		{name: "empty content", body: fixtures.ContentEnvelope(""), sign: secret, wantStatus: 422, wantErr: framework.ErrNoContent, wantDetail: "empty string"},
		{name: "non-JSON content", body: fixtures.ContentEnvelope("Sorry, I cannot read this document."), sign: secret, wantStatus: 422, wantErr: framework.ErrInvalidContent},
		{name: "content is a number", body: []byte(`{"completion":{"choices":[{"message":{"content":42}}]}}`), sign: secret, wantStatus: 422, wantErr: framework.ErrNoContent, wantDetail: "neither a JSON string nor an object"},
		{name: "no type matches", body: fixtures.ContentEnvelope(`{"title":"x"}`), sign: secret, wantStatus: 422, wantErr: framework.ErrNoRoute, wantDetail: "calendar_event: 3 violation(s), first at /date: is required but missing"},
		{name: "rule violation", body: fixtures.ContentEnvelope(`{"name":"Party","date":"2023-02-30"}`), sign: secret, wantStatus: 422, wantErr: framework.ErrRuleViolation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rec := newTestRouter(t)
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/webhook", bytes.NewReader(tt.body))
			switch tt.contentType {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-":
			default:
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.sign != "" {
				req.Header.Set("X-Retab-Signature", framework.Sign(tt.sign, tt.body))
			}
			if tt.sigHeader != "" {
				req.Header.Set("X-Retab-Signature", tt.sigHeader)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			require.Equal(t, tt.wantStatus, w.Code, "body: %s", w.Body)
			if tt.wantErr == nil {
				assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
				assert.Contains(t, w.Body.String(), `"status":"processed"`)
				require.Len(t, rec.events, 1)
				return
			}
			doc := problem(t, w)
			assert.Equal(t, tt.wantErr.Type(), doc.Type)
			assert.Equal(t, tt.wantErr.Title, doc.Title)
			assert.Equal(t, tt.wantStatus, doc.Status)
			assert.Contains(t, doc.Detail, tt.wantDetail)
			assert.NotContains(t, w.Body.String(), secret)
			assert.Empty(t, rec.events, "no handler may run for a refused delivery")
			assert.Empty(t, rec.invoices)
			if tt.wantStatus == 405 {
				assert.Equal(t, "POST", w.Header().Get("Allow"))
			}
		})
	}
}

func TestSchemaViolationsListEveryPointer(t *testing.T) {
	r, rec := newTestRouter(t)
	// Routed by path so that the invoice schema reports its violations.
	content := `{"number":"INV-1","date":"2024-05-01","currency":"EUR","line_items":[{"description":"Widget","quantity":"two","amount":10.5,"colour":"red"}],"total":"21"}`
	w := post(t, kindMux(r), "/webhook/invoice", fixtures.ContentEnvelope(content), secret)
	require.Equal(t, 422, w.Code, w.Body.String())
	doc := problem(t, w)
	assert.Equal(t, framework.ErrSchemaViolation.Type(), doc.Type)
	pointers := map[string]string{}
	for _, v := range doc.Violations {
		pointers[v.Pointer] = v.Keyword
		assert.NotEmpty(t, v.Message)
	}
	assert.Equal(t, map[string]string{
		"/line_items/0/quantity": "type",
		"/line_items/0/colour":   "additionalProperties",
		"/total":                 "type",
	}, pointers)
	assert.Empty(t, rec.invoices)
}

// ruleDoc has validate rules that have no JSON Schema form, so that the
// schema lets the content through and the rules refuse it.
type ruleDoc struct {
	Start int               `json:"start"`
	End   int               `json:"end" validate:"gtfield=Start"`
	Date  string            `json:"date" validate:"datetime=2006-01-02"`
	Lines []ruleLine        `json:"line_items" validate:"dive"`
	Tags  map[string]string `json:"tags" validate:"dive,alphanum"`
}

type ruleLine struct {
	Code string `json:"code" validate:"alphanum"`
}

func TestRuleViolationsAreJSONPaths(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	called := false
	framework.Handle(r, func(context.Context, ruleDoc) error { called = true; return nil })
	content := `{"start":5,"end":1,"date":"2024-02-30","line_items":[{"code":"ok"},{"code":"a-b"}],"tags":{"x/y":"a b"}}`
	w := post(t, r, "/webhook", fixtures.ContentEnvelope(content), secret)
	require.Equal(t, 422, w.Code, w.Body.String())
	doc := problem(t, w)
	assert.Equal(t, framework.ErrRuleViolation.Type(), doc.Type)
	got := map[string]string{}
	for _, v := range doc.Violations {
		got[v.Pointer] = v.Keyword
	}
	assert.Equal(t, map[string]string{
		"/end":               "validate:gtfield",
		"/date":              "validate:datetime",
		"/line_items/1/code": "validate:alphanum",
		"/tags/x~1y":         "validate:alphanum",
	}, got)
	assert.False(t, called)
}

func TestSeedSampleReachesCalendarEventByDefault(t *testing.T) {
	r, rec := newTestRouter(t)
	w := post(t, r, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent), secret)
	require.Equal(t, 200, w.Code, w.Body.String())
	var ok struct {
		Status     string `json:"status"`
		Kind       string `json:"kind"`
		DeliveryID string `json:"delivery_id"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &ok))
	assert.Equal(t, "calendar_event", ok.Kind)
	assert.Regexp(t, `^dlv2_[0-9a-f]{32}$`, ok.DeliveryID)
	require.Equal(t, []CalendarEvent{{Name: "Team Meeting!", Date: "2023-12-31"}}, rec.events)
	assert.Empty(t, rec.invoices)
}

// QuickstartInvoice mirrors the schema of samples/quickstart-schema-generate-response.json.
type QuickstartInvoice struct {
	SupplierName    string         `json:"supplier_name"`
	SupplierAddress string         `json:"supplier_address"`
	InvoiceNumber   string         `json:"invoice_number"`
	InvoiceDate     string         `json:"invoice_date"`
	BillTo          QuickstartWho  `json:"bill_to"`
	ShipTo          QuickstartWho  `json:"ship_to"`
	ContactDetails  map[string]any `json:"contact_details"`
	LineItems       []struct {
		Quantity    int     `json:"quantity" validate:"gt=0"`
		Description string  `json:"description"`
		PriceEach   float64 `json:"price_each"`
		Amount      float64 `json:"amount"`
	} `json:"line_items" validate:"dive"`
	Summary struct {
		Subtotal        float64 `json:"subtotal"`
		SalesTax        float64 `json:"sales_tax"`
		Total           float64 `json:"total"`
		PaymentsCredits float64 `json:"payments_credits"`
		BalanceDue      float64 `json:"balance_due"`
	} `json:"summary"`
	CompanyContact map[string]string `json:"company_contact"`
	Notes          string            `json:"notes"`
	SocialMedia    map[string]string `json:"social_media"`
}

type QuickstartWho struct {
	Name    string `json:"name"`
	Company string `json:"company"`
	Address string `json:"address"`
}

func TestQuickstartCompletion(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
	require.NoError(t, err)
	var got QuickstartInvoice
	var d *framework.Delivery
	framework.Handle(r, func(ctx context.Context, v QuickstartInvoice) error {
		got = v
		d, _ = framework.DeliveryFrom(ctx)
		return nil
	})
	body := fixtures.Envelope(fixtures.Read(fixtures.QuickstartCompletion))
	w := post(t, r, "/webhook", body, secret)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, "1437", got.InvoiceNumber)
	assert.Equal(t, "Abcxyz Traders", got.BillTo.Company)
	require.Len(t, got.LineItems, 6)
	assert.Equal(t, 3, got.LineItems[0].Quantity)
	assert.InDelta(t, 12113.67, got.Summary.Total, 1e-9)
	require.NotNil(t, d)
	assert.Equal(t, "chatcmpl-Bzg9crFsttMJG9nZR3QZvPk9uFJ6s", d.CompletionID)
	assert.Equal(t, "gpt-4.1-2025-04-14", d.Model)
	assert.Equal(t, "extr_kH0zC_m3sOU-WXsjRfsQx", d.ExtractionID)
	assert.Equal(t, int64(1754039748), d.Created.Unix())
	assert.Equal(t, "ops@example.com", d.User)
	assert.Equal(t, map[string]any{"source": "test"}, d.Metadata)
	assert.Equal(t, "doc.txt", d.File.Filename)
	assert.Equal(t, "text/plain", d.File.MIMEType)
	assert.Equal(t, 5, d.File.Size)
	data, err := d.File.Data()
	require.NoError(t, err)
	assert.Equal(t, "hello", string(data))
	assert.Equal(t, 0, d.SecretIndex)
	assert.Equal(t, 1, d.Attempt)
	assert.Equal(t, "quickstart_invoice", d.Kind)
	require.Len(t, d.Choices, 1)
	assert.Equal(t, "stop", d.Choices[0].FinishReason)
	_, ok := d.Likelihood("/invoice_number")
	assert.False(t, ok, "without consensus Retab sends empty likelihoods")
}

func TestConsensusCompletionRepeatedKeyAndChoices(t *testing.T) {
	// A hand-written schema used instead of the derived one: the struct
	// types two fields of the fund fact sheet and ignores the rest.
	sch, err := schemas.Parse([]byte(`{"type":"object","required":["fund_name"],"properties":{"fund_name":{"type":"string"}}}`))
	require.NoError(t, err)
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
	require.NoError(t, err)
	var d *framework.Delivery
	var got map[string]any
	framework.Handle(r, func(ctx context.Context, v FundFacts) error {
		d, _ = framework.DeliveryFrom(ctx)
		got = map[string]any{"fund_name": v.FundName, "fund_code": v.FundCode}
		return nil
	}, framework.WithSchema(sch))
	// The sample repeats the api_cost key, as Retab's real output does.
	raw := fixtures.Read(fixtures.ConsensusCompletion)
	require.Equal(t, 2, strings.Count(string(raw), `"api_cost"`))
	w := post(t, r, "/webhook", fixtures.Envelope(raw), secret)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, map[string]any{"fund_name": "NVIDIA Corporation", "fund_code": "NVDA"}, got)
	require.Len(t, d.Choices, 16)
	assert.NotEmpty(t, d.Likelihoods)
	var lk map[string]any
	require.NoError(t, json.Unmarshal(d.Likelihoods, &lk))
	assert.Contains(t, lk, "fund_name")
	likelihoods := []struct {
		pointer string
		want    float64
		ok      bool
	}{
		{"/fund_name", 1.0, true},
		{"/key_facts/inception_date", 0.93333, true},
		{"/performance/start_date", 0.33333, true},
		{"/why_invest/4", 0.0, true},
		{"/performance/standard_period_returns/0/period", 0.86667, true},
		{"/key_facts", 0, false},       // an object, not a leaf
		{"/why_invest/5", 0, false},    // past the end
		{"/why_invest/01", 0, false},   // not a canonical index
		{"/no_such_field", 0, false},   // outside the object
		{"fund_name", 0, false},        // not a JSON Pointer
		{"/fund_name/extra", 0, false}, // below a leaf
	}
	for _, l := range likelihoods {
		got, ok := d.Likelihood(l.pointer)
		assert.Equal(t, l.ok, ok, l.pointer)
		assert.InDelta(t, l.want, got, 1e-9, l.pointer)
	}
}

// FundFacts types two fields of the fund fact sheet sample.
type FundFacts struct {
	FundName string `json:"fund_name" validate:"required"`
	FundCode string `json:"fund_code"`
}

func TestReasoningKeysAndIntegerAsFloat(t *testing.T) {
	r, rec := newTestRouter(t)
	content := `{"reasoning___root":"an invoice","number":"INV-9","reasoning___number":"top right","date":"2024-01-31","currency":"USD",` +
		`"line_items":[{"description":"Bolt","quantity":3.0,"amount":1.5,"reasoning___quantity":"3 boxes","source___description":"Bolt M6"}],` +
		`"total":4.50,"quote___total":"TOTAL 4.50"}`
	w := post(t, kindMux(r), "/webhook/invoice", fixtures.ContentEnvelope(content), secret)
	require.Equal(t, 200, w.Code, w.Body.String())
	require.Len(t, rec.invoices, 1)
	inv := rec.invoices[0]
	assert.Equal(t, 3, inv.Lines[0].Quantity)
	assert.InDelta(t, 4.5, inv.Total, 1e-12)
	d := rec.deliveries[0]
	tests := []struct{ prefix, ptr, want string }{
		{schemas.ReasoningPrefix, "", "an invoice"},
		{schemas.ReasoningPrefix, "/number", "top right"},
		{schemas.ReasoningPrefix, "/line_items/0/quantity", "3 boxes"},
		{schemas.SourcePrefix, "/line_items/0/description", "Bolt M6"},
		{schemas.QuotePrefix, "/total", "TOTAL 4.50"},
	}
	for _, tt := range tests {
		v, ok := d.Annotation(tt.prefix, tt.ptr)
		assert.True(t, ok, "%s%s", tt.prefix, tt.ptr)
		assert.Equal(t, tt.want, v)
	}
	assert.Len(t, d.Annotations, 5)
	assert.Contains(t, string(d.Content), "reasoning___number", "Content keeps the delivery as sent")
}

func TestFractionalIntegerIsRefused(t *testing.T) {
	r, rec := newTestRouter(t)
	content := `{"number":"INV-9","date":"2024-01-31","currency":"USD","line_items":[{"description":"Bolt","quantity":2.5,"amount":1}],"total":1}`
	w := post(t, kindMux(r), "/webhook/invoice", fixtures.ContentEnvelope(content), secret)
	require.Equal(t, 422, w.Code, w.Body.String())
	doc := problem(t, w)
	require.Len(t, doc.Violations, 1)
	assert.Equal(t, "/line_items/0/quantity", doc.Violations[0].Pointer)
	assert.Empty(t, rec.invoices)
}

func TestLargeDataURIFilePayload(t *testing.T) {
	r, rec := newTestRouter(t)
	doc := bytes.Repeat([]byte("%PDF-1.7 retabhook "), (10<<20)/19+1)[:10<<20]
	body, err := json.Marshal(map[string]any{
		"completion": json.RawMessage(`{"id":"c-big","choices":[{"index":0,"message":{"content":` + mustJSON(t, fixtures.SeedContent) + `}}]}`),
		"file_payload": map[string]string{
			"filename": "big.pdf",
			"url":      "data:application/pdf;base64," + base64.StdEncoding.EncodeToString(doc),
		},
	})
	require.NoError(t, err)
	w := post(t, r, "/webhook", body, secret)
	require.Equal(t, 200, w.Code, w.Body.String())
	d := rec.deliveries[0]
	assert.Equal(t, "big.pdf", d.File.Filename)
	assert.Equal(t, "application/pdf", d.File.MIMEType)
	assert.Equal(t, 10<<20, d.File.Size)
	got, err := d.File.Data()
	require.NoError(t, err)
	assert.True(t, bytes.Equal(doc, got))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestBodyLimit(t *testing.T) {
	r, rec := newTestRouter(t, framework.WithMaxBodyBytes(1024))
	body := fixtures.ContentEnvelope(`{"name":"` + strings.Repeat("x", 2000) + `","date":"2023-12-31"}`)

	t.Run("declared length over the limit", func(t *testing.T) {
		w := post(t, r, "/webhook", body, secret)
		require.Equal(t, 413, w.Code)
		assert.Equal(t, framework.ErrBodyTooLarge.Type(), problem(t, w).Type)
	})
	t.Run("streamed body over the limit", func(t *testing.T) {
		src := &countingReader{r: bytes.NewReader(append(body, bytes.Repeat([]byte(" "), 1<<20)...))}
		req := httptest.NewRequest(http.MethodPost, "/webhook", src)
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", framework.Sign(secret, body)) // well formed: the body is read
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		require.Equal(t, 413, w.Code)
		assert.LessOrEqual(t, src.n, int64(1024+64<<10), "must stop reading near the limit")
	})
	assert.Empty(t, rec.events)
}

type countingReader struct {
	r *bytes.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestSecretsRotationAndHeaders(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret, otherSecret), framework.WithLogger(quietLogger()))
	require.NoError(t, err)
	rec := &recorder{}
	framework.Handle(r, rec.event)
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	tests := []struct {
		name, header, value string
		want, wantIndex     int
	}{
		{"first secret", "X-Retab-Signature", framework.Sign(secret, body), 200, 0},
		{"second secret", "X-Retab-Signature", framework.Sign(otherSecret, body), 200, 1},
		{"legacy header", "Retab-Signature", framework.Sign(otherSecret, body), 200, 1},
		{"lower-case header name", "x-retab-signature", framework.Sign(secret, body), 200, 0},
		{"upper-case hex", "X-Retab-Signature", strings.ToUpper(framework.Sign(secret, body)), 200, 0},
		{"old UiForm header is not read by default", "UiForm-Signature", framework.Sign(secret, body), 401, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec.deliveries = nil
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
			req.Header.Set(tt.header, tt.value)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			require.Equal(t, tt.want, w.Code, w.Body.String())
			if tt.want == 200 {
				require.Len(t, rec.deliveries, 1)
				assert.Equal(t, tt.wantIndex, rec.deliveries[0].SecretIndex)
			}
		})
	}
}

func TestCustomSignatureHeaders(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithSignatureHeaders("UiForm-Signature"), framework.WithLogger(quietLogger()))
	require.NoError(t, err)
	rec := &recorder{}
	framework.Handle(r, rec.event)
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("UiForm-Signature", framework.Sign(secret, body))
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	require.Equal(t, 200, w.Code, w.Body.String())
}

func TestHandlerErrorIsLoggedNotSent(t *testing.T) {
	var logs bytes.Buffer
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	require.NoError(t, err)
	errDB := errors.New("db: connection refused to 10.0.0.7 password=hunter2")
	framework.Handle(r, func(context.Context, CalendarEvent) error { return errDB })
	w := post(t, r, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent), secret)
	require.Equal(t, 500, w.Code)
	doc := problem(t, w)
	assert.Equal(t, framework.ErrHandler.Type(), doc.Type)
	assert.NotContains(t, w.Body.String(), "hunter2")
	assert.Contains(t, logs.String(), "hunter2", "the handler's error is logged")
	assert.NotContains(t, logs.String(), secret)
}

func TestPanicIsRecovered(t *testing.T) {
	var logs bytes.Buffer
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	require.NoError(t, err)
	calls := 0
	framework.Handle(r, func(context.Context, CalendarEvent) error {
		calls++
		if calls == 1 {
			panic("boom: nil map")
		}
		return nil
	})
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	w := post(t, r, "/webhook", body, secret)
	require.Equal(t, 500, w.Code)
	doc := problem(t, w)
	assert.Equal(t, framework.ErrPanic.Type(), doc.Type)
	assert.NotContains(t, w.Body.String(), "boom")
	assert.NotContains(t, w.Body.String(), "goroutine")
	assert.Contains(t, logs.String(), "boom: nil map")
	assert.Contains(t, logs.String(), "goroutine", "the stack is logged")
	// The router keeps serving.
	w = post(t, r, "/webhook", body, secret)
	assert.Equal(t, 200, w.Code)
}

func TestErrorsIsAndAs(t *testing.T) {
	sentinel := errors.New("out of stock")
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()),
		framework.WithErrorWriter(func(w http.ResponseWriter, req *http.Request, err error) {
			var he *framework.HandlerError
			switch {
			case errors.As(err, &he) && errors.Is(err, sentinel):
				w.WriteHeader(http.StatusConflict)
			default:
				w.WriteHeader(framework.StatusOf(err))
			}
		}))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, CalendarEvent) error { return sentinel })
	w := post(t, r, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent), secret)
	assert.Equal(t, http.StatusConflict, w.Code)
	w = post(t, r, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent), "whsec_wrong")
	assert.Equal(t, http.StatusUnauthorized, w.Code)

	he := &framework.HandlerError{Kind: "x", Err: sentinel}
	assert.ErrorIs(t, he, framework.ErrHandler)
	assert.ErrorIs(t, he, sentinel)
	assert.Equal(t, 500, framework.StatusOf(he))
	pe := &framework.HandlerError{Kind: "x", Err: &framework.PanicError{Value: 1}}
	assert.ErrorIs(t, pe, framework.ErrPanic)
	assert.NotErrorIs(t, pe, framework.ErrHandler)
	assert.Equal(t, 200, framework.StatusOf(nil))
	assert.Equal(t, 500, framework.StatusOf(errors.New("other")))
	var re *framework.RouteError
	assert.True(t, errors.As(error(&framework.RouteError{Candidates: []string{"a", "b"}, Err: framework.ErrAmbiguousRoute}), &re))
}

// TestOneDigitOffSignatureIs401 sends, for each secret under rotation and
// in both signature schemes (plain hex, and the timestamped t=...,v1=...),
// the right signature with its first or its last hex digit changed, and
// expects 401 and no handler call.
func TestOneDigitOffSignatureIs401(t *testing.T) {
	r, rec := newTestRouter(t, framework.WithSecrets(otherSecret))
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	for i, s := range []string{secret, otherSecret} {
		sig := framework.Sign(s, body)
		ts := framework.SignTimestamped(s, time.Now(), body, "")
		v1 := len(ts) - len(sig) // the v1 digits end the header
		for _, tt := range []struct {
			name string
			sig  string
		}{
			{fmt.Sprintf("secret %d first digit", i), offByOneDigit(sig, 0)},
			{fmt.Sprintf("secret %d last digit", i), offByOneDigit(sig, len(sig)-1)},
			{fmt.Sprintf("secret %d last digit, upper case", i), strings.ToUpper(offByOneDigit(sig, len(sig)-1))},
			{fmt.Sprintf("secret %d timestamped, first digit", i), offByOneDigit(ts, v1)},
			{fmt.Sprintf("secret %d timestamped, last digit", i), offByOneDigit(ts, len(ts)-1)},
		} {
			t.Run(tt.name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Retab-Signature", tt.sig)
				w := httptest.NewRecorder()
				r.ServeHTTP(w, req)
				require.Equal(t, 401, w.Code, "body: %s", w.Body)
				assert.Equal(t, framework.ErrInvalidSignature.Type(), problem(t, w).Type)
			})
		}
		// The right signatures still pass, so the 401s above are about
		// the changed digit.
		require.Equal(t, 200, post(t, r, "/webhook", body, s).Code)
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", ts)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		require.Equal(t, 200, w.Code, "body: %s", w.Body)
	}
	assert.Len(t, rec.events, 4)
}
