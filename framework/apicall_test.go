package framework_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/fixtures"
)

type invoiceCheck struct {
	Number    string  `json:"number"`
	LinesOK   bool    `json:"lines_ok"`
	Subtotal  float64 `json:"subtotal"`
	TotalSeen float64 `json:"total"`
}

func TestAPICallConstruction(t *testing.T) {
	for name, opts := range map[string][]framework.Option{
		"no token":         {framework.WithAPICallToken()},
		"empty token":      {framework.WithAPICallToken("")},
		"empty beside one": {framework.WithAPICallToken("tok", "")},
		"empty header tok": {framework.WithAPICallHeaderToken("X-Api-Key", "")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := framework.NewRouter(opts...)
			require.ErrorIs(t, err, framework.ErrNoToken)
		})
	}
	for name, opts := range map[string][]framework.Option{
		"with secrets":     {framework.WithAPICallToken("tok"), framework.WithSecrets("whsec")},
		"insecure":         {framework.WithAPICallToken("tok"), framework.WithInsecureSkipVerify()},
		"with dedupe":      {framework.WithAPICallToken("tok"), framework.WithDeduplication(time.Minute)},
		"with formats":     {framework.WithAPICallToken("tok"), framework.WithFormats(framework.CompletionFormat())},
		"two header kinds": {framework.WithAPICallToken("tok"), framework.WithAPICallHeaderToken("X-Api-Key", "k")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := framework.NewRouter(opts...)
			require.Error(t, err)
		})
	}
	// No way to authenticate at all is a construction error too.
	_, err := framework.NewRouter()
	require.ErrorIs(t, err, framework.ErrNoSecret)

	// Handle on an API router and HandleCall on a webhook router are
	// registration errors.
	api, err := framework.NewRouter(framework.WithAPICallToken("tok"))
	require.NoError(t, err)
	require.ErrorIs(t, framework.HandleSafely(api, func(context.Context, fixtures.Invoice) error { return nil }), framework.ErrRegistration)
	hook, err := framework.NewRouter(framework.WithSecrets("whsec"))
	require.NoError(t, err)
	err = framework.HandleCallSafely(hook, func(context.Context, fixtures.Invoice) (invoiceCheck, error) { return invoiceCheck{}, nil })
	require.ErrorIs(t, err, framework.ErrRegistration)
}

func apiRouter(t *testing.T, opts ...framework.Option) (http.Handler, *[]*framework.Delivery) {
	t.Helper()
	r, err := framework.NewRouter(append([]framework.Option{framework.WithLogger(quietLogger())}, opts...)...)
	require.NoError(t, err)
	var ds []*framework.Delivery
	framework.HandleCall(r, func(ctx context.Context, inv fixtures.Invoice) (invoiceCheck, error) {
		d, _ := framework.DeliveryFrom(ctx)
		ds = append(ds, d)
		if inv.Number == "FAIL" {
			return invoiceCheck{}, errors.New("secret database error")
		}
		sum := 0.0
		for _, l := range inv.Lines {
			sum += l.Amount
		}
		return invoiceCheck{Number: inv.Number, LinesOK: sum == inv.Subtotal, Subtotal: sum, TotalSeen: inv.Total}, nil
	})
	s, ok := r.Schema("invoice")
	require.True(t, ok)
	assert.Contains(t, string(s.JSON()), `"line_items"`)
	out, ok := r.OutputSchema("invoice")
	require.True(t, ok)
	assert.Contains(t, string(out.JSON()), `"lines_ok"`)
	return r, &ds
}

func call(h http.Handler, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/api/invoice-check", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestAPICall(t *testing.T) {
	h, ds := apiRouter(t, framework.WithAPICallToken("tok_old", "tok_new"))
	body, err := os.ReadFile("testdata/api-call-body.json")
	require.NoError(t, err)

	w := call(h, string(body), "Authorization", "Bearer tok_new")
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var got invoiceCheck
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
	assert.Equal(t, invoiceCheck{Number: "INV-2024-0042", LinesOK: true, Subtotal: 368.8, TotalSeen: 442.56}, got)
	require.Len(t, *ds, 1)
	assert.Equal(t, "api_call", (*ds)[0].Format)
	assert.Equal(t, "token", (*ds)[0].Scheme)
	assert.Equal(t, 1, (*ds)[0].SecretIndex)

	tests := []struct {
		name   string
		body   string
		header []string
		status int
		err    *framework.Problem
	}{
		{"old token", string(body), []string{"Authorization", "Bearer tok_old"}, 200, nil},
		{"lowercase bearer", string(body), []string{"Authorization", "bearer tok_old"}, 200, nil},
		{"no header", string(body), nil, 401, framework.ErrMissingToken},
		{"empty bearer", string(body), []string{"Authorization", "Bearer "}, 401, framework.ErrMissingToken},
		{"wrong token", string(body), []string{"Authorization", "Bearer tok_wrong"}, 401, framework.ErrInvalidToken},
		{"basic auth", string(body), []string{"Authorization", "Basic dG9rX29sZA=="}, 401, framework.ErrInvalidToken},
		{"bare token", string(body), []string{"Authorization", "tok_old"}, 401, framework.ErrInvalidToken},
		{"a webhook signature is not a token", string(body), []string{"X-Retab-Signature", framework.Sign("tok_old", body)}, 401, framework.ErrMissingToken},
		{"invalid invoice", `{"number":"","currency":"EURO","line_items":[]}`, []string{"Authorization", "Bearer tok_old"}, 422, framework.ErrSchemaViolation},
		{"not an object", `[1]`, []string{"Authorization", "Bearer tok_old"}, 422, framework.ErrNoContent},
		{"not JSON", `{"number":`, []string{"Authorization", "Bearer tok_old"}, 422, framework.ErrInvalidContent},
		{"handler error", strings.Replace(string(body), "INV-2024-0042", "FAIL", 1), []string{"Authorization", "Bearer tok_old"}, 500, framework.ErrHandler},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := call(h, tt.body, tt.header...)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			assert.NotContains(t, w.Body.String(), "tok_")
			assert.NotContains(t, w.Body.String(), "secret database")
			if tt.err != nil {
				var doc framework.ProblemDocument
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
				assert.Equal(t, tt.err.Type(), doc.Type)
			}
		})
	}

	hk, _ := apiRouter(t, framework.WithAPICallHeaderToken("X-Api-Key", "k1"))
	assert.Equal(t, 200, call(hk, string(body), "X-Api-Key", "k1").Code)
	assert.Equal(t, 401, call(hk, string(body), "X-Api-Key", "k2").Code)
	assert.Equal(t, 401, call(hk, string(body), "Authorization", "Bearer k1").Code)
}

func TestAPICallWithTestKit(t *testing.T) {
	h, ds := apiRouter(t, framework.WithAPICallToken("tok"))
	inv := sampleInvoice(t)
	d, err := retabtest.NewAPICall(inv, "tok")
	require.NoError(t, err)
	res := retabtest.Serve(h, d, "/api/invoice-check")
	require.Equal(t, 200, res.Status, string(res.Body))
	require.Len(t, *ds, 1)
	var got invoiceCheck
	require.NoError(t, json.Unmarshal(res.Body, &got))
	assert.Equal(t, inv.Number, got.Number)
	d, err = retabtest.NewAPICall(inv, "")
	require.NoError(t, err)
	assert.Equal(t, 401, retabtest.Serve(h, d, "/api/invoice-check").Status)
}
