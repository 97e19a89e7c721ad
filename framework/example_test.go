package framework_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/retabhook/retabhook/framework"
)

// Meeting is a document type: one Go struct per kind of document.
type Meeting struct {
	Name string `json:"name" validate:"required"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

// A router with one typed handler receives Retab's quick-start delivery.
func Example() {
	r, err := framework.NewRouter(
		framework.WithSecrets("whsec_example"),
		framework.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	framework.Handle(r, func(ctx context.Context, m Meeting) error {
		d, _ := framework.DeliveryFrom(ctx)
		fmt.Printf("%s on %s (kind %s, model %s)\n", m.Name, m.Date, d.Kind, d.Model)
		return nil
	})

	// What Retab POSTs: the extracted object is a JSON string inside
	// completion.choices[0].message.content.
	body := []byte(`{"completion":{"id":"chatcmpl-1","model":"gpt-4.1","choices":[{"index":0,` +
		`"message":{"content":"{\"name\": \"Team Meeting!\", \"date\": \"2023-12-31\"}"}}]},` +
		`"file_payload":{"filename":"mail.eml","url":"data:message/rfc822;base64,"},"user":null,"metadata":null}`)
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", framework.Sign("whsec_example", body))
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	fmt.Println(w.Code)
	// Output:
	// Team Meeting! on 2023-12-31 (kind meeting, model gpt-4.1)
	// 200
}

// Every refusal is an RFC 9457 problem document with a precise status.
func ExampleWriteProblem() {
	r, _ := framework.NewRouter(framework.WithSecrets("whsec_example"), framework.WithLogger(slog.New(slog.DiscardHandler)))
	framework.Handle(r, func(context.Context, Meeting) error { return nil })

	body := []byte(`{"completion":{"choices":[{"message":{"content":"{\"name\": \"Team meeting\", \"date\": \"2023-02-30\"}"}}]}}`)
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", framework.Sign("whsec_example", body))
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Print(w.Body.String())
	// Output:
	// 422 application/problem+json
	// {"type":"urn:retabhook:problem:rule-violation","title":"Content breaks a validate rule","status":422,"detail":"retabhook: content breaks a validate rule: meeting: 1 violation(s); /date: must be a date/time in the layout 2006-01-02","violations":[{"pointer":"/date","keyword":"validate:datetime","message":"must be a date/time in the layout 2006-01-02"}]}
}

// StatusOf maps any router error to its status, so a custom error writer
// keeps the status table.
func ExampleStatusOf() {
	_, err := framework.Verify([]byte(`{}`), "", "whsec_example")
	fmt.Println(framework.StatusOf(err), errors.Is(err, framework.ErrMissingSignature))
	_, err = framework.Verify([]byte(`{}`), framework.Sign("whsec_other", []byte(`{}`)), "whsec_example")
	fmt.Println(framework.StatusOf(err), errors.Is(err, framework.ErrInvalidSignature))
	// Output:
	// 401 true
	// 401 true
}

// Sign computes the signature Retab sends, for tests and tools.
func ExampleSign() {
	fmt.Println(framework.Sign("whsec_test", []byte(`{"hello":"world"}`)))
	// Output: 07ea4d7892d3dc4bae220d9930afa38c458a997b2f716a0a6159e17798be1d28
}
