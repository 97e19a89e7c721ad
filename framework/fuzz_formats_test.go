package framework_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// FuzzTimestampHeader: the event header parser never panics, accepts only
// what it documents, and reads back every header SignTimestamped writes.
func FuzzTimestampHeader(f *testing.F) {
	good := "aa557083e1a13ecc0ee5e5e2f3a9af58953630561371cb4ba37662f7f51d05cc"
	for _, s := range []string{
		"t=1715000000,v1=" + good,
		"t=1715000000,v1=" + good + ",v1=" + good,
		" t=1,  v0=x , v1=" + good,
		"t=,v1=", "t=1", "v1=" + good, "t=99999999999999999999,v1=" + good, "t=1,t=2", ",,,", "=", "t==1",
		"t=1,v1=" + good[:63] + "g",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		sig, err := framework.ParseTimestampHeader(v)
		if err != nil {
			var se *framework.SignatureError
			if !errors.As(err, &se) || !errors.Is(err, framework.ErrInvalidSignature) || se.Reason != framework.SignatureMalformed {
				t.Fatalf("%q: error %v is not a malformed SignatureError", v, err)
			}
			return
		}
		if len(sig.MACs) == 0 || len(sig.MACs) > 16 || sig.Timestamp.IsZero() && sig.Timestamp.Unix() != 0 {
			t.Fatalf("%q: accepted %d MACs at %v", v, len(sig.MACs), sig.Timestamp)
		}
		for _, m := range sig.MACs {
			if len(m) != 32 {
				t.Fatalf("%q: a MAC of %d bytes", v, len(m))
			}
		}
		// What was accepted signs back to a header that parses the same.
		h := framework.SignTimestamped("s", sig.Timestamp, []byte(v), framework.FormulaTimestamped)
		again, err := framework.ParseTimestampHeader(h)
		if err != nil || !again.Timestamp.Equal(sig.Timestamp) || len(again.MACs) != 1 {
			t.Fatalf("%q: round trip %q: %v", v, h, err)
		}
		if hex.EncodeToString(again.MACs[0]) != h[len(h)-64:] {
			t.Fatalf("%q: MAC not read back", v)
		}
	})
}

// FuzzFormatDetection sends arbitrary bodies, correctly signed in each
// scheme, through a router that knows every built-in format and has
// content, event and ignored paths: no panic, and garbage is 4xx with a
// problem document (a 2xx only for what a format accepted).
func FuzzFormatDetection(f *testing.F) {
	for _, b := range []string{
		string(fixtures.ContentEnvelope(fixtures.SeedContent)),
		`{"document":null,"data":` + validInvoice + `}`,
		`{"json":` + validInvoice + `}`,
		`{"document":{"filename":1,"url":"data:x;base64,"},"data":null}`,
		`{"id":"evt_1","type":"workflow.run.completed","environment":"test","data":{"id":"run_1"}}`,
		`{"id":"evt_2","type":"extraction.completed","environment":"test","data":{"output":` + validInvoice + `}}`,
		`{"id":"evt_3","type":"x","environment":"test","data":{"output":[]}}`,
		`{"id":"evt_4","type":"x","environment":"production","data":null}`,
		`{"type":{},"data":{}}`, `{"completion":null,"data":{}}`, `{"Data":{}}`, `{"TYPE":"x","id":"y"}`,
		`{"document":{"url":"` + string(bytes.Repeat([]byte("A"), 100)) + `"}}`, `[]`, `null`, `"x"`, `{`,
	} {
		f.Add([]byte(b), uint8(0))
		f.Add([]byte(b), uint8(1))
		f.Add([]byte(b), uint8(2))
	}
	now := time.Unix(1800000000, 0)
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()),
		framework.WithMaxBodyBytes(1<<20), framework.WithClock(func() time.Time { return now }))
	if err != nil {
		f.Fatal(err)
	}
	rec := &recorder{}
	framework.Handle(r, rec.invoice)
	framework.Handle(r, rec.event)
	framework.HandleEvent(r, framework.EventWorkflowRunCompleted, func(context.Context, framework.WorkflowRun) error { return nil })
	h := kindMux(r)

	f.Fuzz(func(t *testing.T, body []byte, scheme uint8) {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		switch scheme % 3 {
		case 0:
			req.Header.Set("X-Retab-Signature", framework.Sign(secret, body))
		case 1:
			req.Header.Set("X-Retab-Signature", framework.SignTimestamped(secret, now, body, framework.FormulaTimestamped))
			req.Header.Set(framework.EnvironmentHeader, "test")
		case 2:
			req.Header.Set("Retab-Signature", framework.SignTimestamped(secret, now, body, framework.FormulaTimestamped))
			req.Header.Set(framework.EnvironmentHeader, "production")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch {
		case w.Code == http.StatusOK:
			return
		case w.Code >= 400 && w.Code < 500:
		default:
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		var doc framework.ProblemDocument
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.Status != w.Code || doc.Type == "" {
			t.Fatalf("bad problem document %q: %v", w.Body, err)
		}
		if w.Code == http.StatusUnauthorized && doc.Type != framework.ErrEnvironmentMismatch.Type() {
			t.Fatalf("a correctly signed body answered 401 %s: %q", doc.Detail, body)
		}
	})
}
