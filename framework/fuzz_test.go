package framework_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// FuzzServeHTTP sends arbitrary bodies, correctly signed (so that they get
// past verification) or not, through the whole pipeline. Garbage must
// never panic and is answered with a 4xx problem document; only a valid
// delivery reaches a handler, and the handlers here never fail.
func FuzzServeHTTP(f *testing.F) {
	f.Add([]byte(fixtures.BodyVector), true)
	f.Add(fixtures.ContentEnvelope(fixtures.SeedContent), true)
	f.Add(fixtures.ContentEnvelope(validInvoice), true)
	f.Add(fixtures.ContentEnvelope(`{"number":"1","line_items":[{"quantity":3.0}],"reasoning___x":1}`), true)
	f.Add([]byte(`{"completion":{"choices":[{"message":{"content":null}}]}}`), true)
	f.Add([]byte(`{"completion":{"choices":[{"message":{"content":"{\"name\":1e999}"}}]}}`), true)
	f.Add([]byte(`{"completion":{"api_cost":1,"api_cost":2,"choices":[{"message":{"content":{"name":"x","date":"2023-12-31"}}}]}}`), true)
	f.Add([]byte(`{"completion":{},"file_payload":{"url":"data:;base64,===="},"metadata":[1]}`), true)
	f.Add(fixtures.ContentEnvelope(fixtures.SeedContent), false)
	f.Add([]byte("\xff\xfe{"), true)

	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()), framework.WithMaxBodyBytes(1<<20))
	if err != nil {
		f.Fatal(err)
	}
	rec := &recorder{}
	framework.Handle(r, rec.invoice)
	framework.Handle(r, rec.event)
	h := kindMux(r)

	f.Fuzz(func(t *testing.T, body []byte, sign bool) {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sign {
			req.Header.Set("X-Retab-Signature", framework.Sign(secret, body))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch {
		case w.Code == http.StatusOK:
			if !sign {
				t.Fatalf("unsigned body accepted: %q", body)
			}
			return
		case w.Code >= 400 && w.Code < 500:
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		if !sign && w.Code != http.StatusUnauthorized {
			t.Fatalf("unsigned body answered %d, want 401", w.Code)
		}
		var doc framework.ProblemDocument
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.Status != w.Code || doc.Type == "" {
			t.Fatalf("bad problem document %q: %v", w.Body, err)
		}
	})
}
