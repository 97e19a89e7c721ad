package framework_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/retabhook/retabhook/framework"
)

// An event handler receives Retab's signed event envelope: the
// timestamped signature is verified with the secret of the environment
// the X-Retab-Environment header names, and the event's data is decoded
// into the registered type.
func ExampleHandleEvent() {
	r, err := framework.NewRouter(
		framework.WithEnvironmentSecrets(framework.EnvironmentTest, "whsec_test_env"),
		framework.WithEnvironmentSecrets(framework.EnvironmentProduction, "whsec_production_env"),
		framework.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	framework.HandleEvent(r, framework.EventWorkflowRunCompleted, func(ctx context.Context, run framework.WorkflowRun) error {
		d, _ := framework.DeliveryFrom(ctx)
		fmt.Printf("run %s %s (%s, event %s)\n", run.ID, run.Lifecycle.Status, d.Environment, d.Event.ID)
		return nil
	})

	body := `{"id":"evt_1","type":"workflow.run.completed","environment":"test","created_at":"2026-05-19T12:00:00Z",` +
		`"data":{"id":"run_8f3a2c71d4","workflow_id":"wf_invoices_eu","lifecycle":{"status":"completed"}}}`
	send := func(body string) {
		req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(framework.EnvironmentHeader, "test")
		req.Header.Set("X-Retab-Signature", framework.SignTimestamped("whsec_test_env", time.Now(), []byte(body), framework.FormulaTimestamped))
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	send(body)
	send(`{"id":"evt_2","type":"workflow.run.started","environment":"test","data":{}}`)
	// Output:
	// run run_8f3a2c71d4 completed (test, event evt_1)
	// 200 {"status":"processed","kind":"workflow.run.completed","delivery_id":"dlv2_4b496efbc9d6f769dd84b81c9889f73b"}
	// 200 {"status":"ignored","event_type":"workflow.run.started","event_id":"evt_2","delivery_id":"dlv2_4a91eca2ab8678a163a6ca5f8b53d064"}
}

// CheckedInvoice is what an API Call block sends: the extracted object.
type CheckedInvoice struct {
	Lines    []float64 `json:"lines" validate:"min=1"`
	Subtotal float64   `json:"subtotal"`
}

// InvoiceCheck is what the handler answers: the block's output.
type InvoiceCheck struct {
	LinesMatchSubtotal bool `json:"lines_match_subtotal"`
}

// An API Call router serves a workflow's API Call block: typed request in,
// typed response out, authenticated by a bearer token.
func ExampleHandleCall() {
	api, err := framework.NewRouter(
		framework.WithAPICallToken("tok_example"),
		framework.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	framework.HandleCall(api, func(_ context.Context, inv CheckedInvoice) (InvoiceCheck, error) {
		sum := 0.0
		for _, l := range inv.Lines {
			sum += l
		}
		return InvoiceCheck{LinesMatchSubtotal: sum == inv.Subtotal}, nil
	})
	mux := http.NewServeMux()
	mux.Handle("POST /api/invoice-check", api)

	for _, token := range []string{"tok_example", "wrong"} {
		req := httptest.NewRequest(http.MethodPost, "/api/invoice-check", strings.NewReader(`{"lines":[1.5,2.5],"subtotal":4}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 200 {"lines_match_subtotal":true}
	// 401 {"type":"urn:retabhook:problem:invalid-token","title":"Invalid token","status":401,"detail":"retabhook: invalid token: the Authorization token matches none configured (check API_CALL_TOKEN and the header set on the API Call block)"}
}

// proxyScheme is a user's signature scheme: a gateway that re-signs what
// it forwards as "X-Gateway-Signature: sha256=<hex of HMAC(secret, body)>".
type proxyScheme struct{}

func (proxyScheme) Name() string { return "gateway" }

func (proxyScheme) Parse(h http.Header) (*framework.Signature, error) {
	v, ok := strings.CutPrefix(h.Get("X-Gateway-Signature"), "sha256=")
	if !ok {
		return nil, nil // not this scheme's header
	}
	mac, err := hex.DecodeString(v)
	if err != nil || len(mac) != 32 {
		return nil, fmt.Errorf("%w: X-Gateway-Signature is not sha256=<64 hex digits>", framework.ErrInvalidSignature)
	}
	return &framework.Signature{MACs: [][]byte{mac}, Formula: framework.FormulaBody}, nil
}

// A format and a scheme of your own, beside the built-in ones: a gateway
// that wraps each delivery as {"forwarded_by": ..., "payload": <Retab's
// body>} and signs it in its own header.
func ExampleNewFormat() {
	wrapped := framework.NewFormat("gateway", func(body []byte) (*framework.Delivery, error) {
		var env struct {
			Payload json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(body, &env) != nil || env.Payload == nil {
			return nil, framework.ErrUnrecognizedFormat // not wrapped: the next format tries
		}
		return framework.Decode(env.Payload) // Retab's own body inside, any built-in format
	})
	r, err := framework.NewRouter(
		framework.WithSecrets("whsec_gateway"),
		framework.WithFormats(append([]framework.Format{wrapped}, framework.DefaultFormats()...)...),
		framework.WithSchemes(proxyScheme{}, framework.HexScheme(), framework.TimestampScheme(framework.FormulaTimestamped)),
		framework.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	framework.Handle(r, func(ctx context.Context, inv CheckedInvoice) error {
		d, _ := framework.DeliveryFrom(ctx)
		fmt.Printf("subtotal %v via %s, signed by %s\n", inv.Subtotal, d.Format, d.Scheme)
		return nil
	})

	body := `{"forwarded_by":"gw-1","payload":{"document":null,"data":{"lines":[1,2],"subtotal":3}}}`
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Gateway-Signature", "sha256="+framework.Sign("whsec_gateway", []byte(body)))
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	fmt.Println(w.Code)
	// Output:
	// subtotal 3 via gateway, signed by gateway
	// 200
}
