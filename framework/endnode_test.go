package framework_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/fixtures"
)

func sampleInvoice(t *testing.T) fixtures.Invoice {
	t.Helper()
	var inv fixtures.Invoice
	require.NoError(t, json.Unmarshal(fixtures.InvoiceContent(3), &inv))
	return inv
}

// invoiceRouter registers a recording Invoice handler and returns the
// router and what the handler saw.
func invoiceRouter(t *testing.T, opts ...framework.Option) (*framework.Router, *[]*framework.Delivery, *[]fixtures.Invoice) {
	t.Helper()
	r, err := framework.NewRouter(append([]framework.Option{framework.WithSecrets(retabtest.Secret), framework.WithLogger(quietLogger())}, opts...)...)
	require.NoError(t, err)
	var ds []*framework.Delivery
	var got []fixtures.Invoice
	framework.Handle(r, func(ctx context.Context, inv fixtures.Invoice) error {
		d, _ := framework.DeliveryFrom(ctx)
		ds, got = append(ds, d), append(got, inv)
		return nil
	})
	return r, &ds, &got
}

func TestEndNodeDelivery(t *testing.T) {
	inv := sampleInvoice(t)
	r, ds, got := invoiceRouter(t)
	pdf := retabtest.PDF("invoice")
	d, err := retabtest.NewEndNodeDelivery(inv, retabtest.WithFile("invoice.pdf", pdf), retabtest.WithReasoning("/total", "sum of lines"))
	require.NoError(t, err)
	res := retabtest.Serve(r, d, "/webhook")
	require.Equal(t, 200, res.Status, res.Body)
	require.Len(t, *got, 1)
	assert.Equal(t, inv, (*got)[0])
	dl := (*ds)[0]
	assert.Equal(t, "end_node", dl.Format)
	assert.Equal(t, "hex", dl.Scheme)
	assert.Equal(t, "invoice.pdf", dl.File.Filename)
	data, err := dl.File.Data()
	require.NoError(t, err)
	assert.Equal(t, pdf, data)
	reason, ok := dl.Annotation("reasoning___", "/total")
	assert.True(t, ok)
	assert.Equal(t, "sum of lines", reason)
}

func TestEndNodeRefusals(t *testing.T) {
	r, _, _ := invoiceRouter(t)
	content := string(fixtures.InvoiceContent(1))
	tests := []struct {
		name   string
		body   string
		status int
		err    *framework.Problem
	}{
		{"data null", `{"document":null,"data":null}`, 422, framework.ErrNoContent},
		{"data absent", `{"document":{"filename":"a.pdf","url":"data:application/pdf;base64,JVBERg=="}}`, 422, framework.ErrNoContent},
		{"data not an object", `{"document":null,"data":[1]}`, 422, framework.ErrNoContent},
		{"legacy json key", `{"document":null,"json":` + content + `}`, 200, nil},
		{"data wins over json", `{"json":{"x":1},"data":` + content + `}`, 200, nil},
		{"broken JSON", `{"document":null,"data":{`, 400, framework.ErrMalformedEnvelope},
		{"schema violation", `{"document":null,"data":{"number":"x"}}`, 422, framework.ErrSchemaViolation},
		{"no known shape", `{"user":"a@b.c"}`, 400, framework.ErrUnrecognizedFormat},
		{"not an object", `[1,2]`, 400, framework.ErrMalformedEnvelope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := retabtest.Serve(r, retabtest.Signed(retabtest.Secret, []byte(tt.body)), "/webhook")
			require.Equal(t, tt.status, res.Status, res.Body)
			if tt.err != nil {
				require.NotNil(t, res.Problem)
				assert.Equal(t, tt.err.Type(), res.Problem.Type)
			}
		})
	}
	res := retabtest.Serve(r, retabtest.Signed(retabtest.Secret, []byte(`{"user":"a@b.c"}`)), "/webhook")
	assert.Contains(t, res.Problem.Detail, "(completion, ")
	assert.Contains(t, res.Problem.Detail, "end_node")
}

// TestEndNodeLargeDocument sends a 10 MiB document through ServeHTTP.
func TestEndNodeLargeDocument(t *testing.T) {
	r, ds, got := invoiceRouter(t)
	doc := bytes.Repeat([]byte("%PDF-1.4 retabhook "), 10<<20/19+1)[:10<<20]
	d, err := retabtest.NewEndNodeDelivery(sampleInvoice(t), retabtest.WithFile("big.pdf", doc))
	require.NoError(t, err)
	require.Greater(t, len(d.Body), 13<<20)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, d.Request("/webhook"))
	require.Equal(t, 200, w.Code, w.Body.String())
	require.Len(t, *got, 1)
	f := (*ds)[0].File
	assert.Equal(t, 10<<20, f.Size)
	data, err := f.Data()
	require.NoError(t, err)
	assert.True(t, bytes.Equal(doc, data))
}
