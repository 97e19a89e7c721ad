package retabtest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

type Invoice struct {
	Number string     `json:"number" validate:"required"`
	Total  float64    `json:"total" validate:"gte=0"`
	Lines  []LineItem `json:"line_items" validate:"min=1,dive"`
}

type LineItem struct {
	Description string `json:"description"`
	Quantity    int    `json:"quantity" validate:"gt=0"`
}

type CalendarEvent struct {
	Name string `json:"name" validate:"required"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

var invoice = Invoice{Number: "INV-7", Total: 36.5, Lines: []LineItem{{"Paper", 3}, {"Ink", 1}}}

// newRouter registers recorders for both test types.
func newRouter(t *testing.T, invoiceHandler func(context.Context, Invoice) error) (http.Handler, *retabtest.Recorder[Invoice], *retabtest.Recorder[CalendarEvent]) {
	t.Helper()
	r, err := framework.NewRouter(framework.WithSecrets(retabtest.Secret), framework.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	inv := retabtest.Record(invoiceHandler)
	ev := retabtest.Record[CalendarEvent](nil)
	framework.Handle(r, inv.Handle)
	framework.Handle(r, ev.Handle)
	mux := http.NewServeMux()
	mux.Handle("/webhook", r)
	mux.Handle("/webhook/{kind}", r)
	return mux, inv, ev
}

func build(t *testing.T, v any, opts ...retabtest.Option) *retabtest.Delivery {
	t.Helper()
	d, err := retabtest.NewDelivery(v, opts...)
	require.NoError(t, err)
	return d
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m))
	return m
}

func TestNewDeliveryIsCompleteAndSigned(t *testing.T) {
	pdf := retabtest.PDF("Invoice INV-7")
	d := build(t, invoice,
		retabtest.WithFile("scans/inv-7.pdf", pdf),
		retabtest.WithUser("ops@example.com"),
		retabtest.WithMetadata(map[string]any{"kind": "invoice", "tenant": 42}),
	)

	require.Equal(t, "application/json", d.Header.Get("Content-Type"))
	i, err := framework.Verify(d.Body, d.Header.Get(retabtest.SignatureHeader), "other", retabtest.Secret)
	require.NoError(t, err)
	require.Equal(t, 1, i)

	body := decode(t, d.Body)
	require.Equal(t, "ops@example.com", body["user"])
	require.Equal(t, map[string]any{"kind": "invoice", "tenant": json.Number("42")}, body["metadata"])
	fp := body["file_payload"].(map[string]any)
	require.Equal(t, "scans/inv-7.pdf", fp["filename"])
	require.Equal(t, "data:application/pdf;base64,"+base64.StdEncoding.EncodeToString(pdf), fp["url"])

	c := body["completion"].(map[string]any)
	require.Regexp(t, `^chatcmpl-[A-Za-z0-9]{29}$`, c["id"])
	require.Regexp(t, `^extr_[A-Za-z0-9]{21}$`, c["extraction_id"])
	require.Equal(t, "chat.completion", c["object"])
	require.Equal(t, retabtest.DefaultModel, c["model"])
	require.Equal(t, json.Number(strconv.FormatInt(retabtest.DefaultCreated, 10)), c["created"])
	require.Nil(t, c["schema_validation_error"])

	var times []time.Time
	for _, k := range []string{"request_at", "first_token_at", "last_token_at"} {
		ts, err := time.Parse(time.RFC3339Nano, c[k].(string))
		require.NoError(t, err, k)
		times = append(times, ts)
	}
	require.True(t, time.Unix(retabtest.DefaultCreated, 0).Before(times[0]) && times[0].Before(times[1]) && !times[2].Before(times[1]), "%v", times)

	u := c["usage"].(map[string]any)
	p, _ := u["prompt_tokens"].(json.Number).Int64()
	ct, _ := u["completion_tokens"].(json.Number).Int64()
	tot, _ := u["total_tokens"].(json.Number).Int64()
	require.Positive(t, p)
	require.Positive(t, ct)
	require.Equal(t, p+ct, tot)
	cost := c["api_cost"].(map[string]any)
	require.Equal(t, "USD", cost["currency"])
	v, _ := cost["value"].(json.Number).Float64()
	require.InDelta(t, float64(p*2+ct*8)/1e6, v, 1e-9)

	choices := c["choices"].([]any)
	require.Len(t, choices, 1)
	ch := choices[0].(map[string]any)
	require.Equal(t, "stop", ch["finish_reason"])
	msg := ch["message"].(map[string]any)
	require.Equal(t, "assistant", msg["role"])
	// content is the object as a JSON string, written as Python's json.dumps does.
	require.Equal(t, `{"number": "INV-7", "total": 36.5, "line_items": [{"description": "Paper", "quantity": 3}, {"description": "Ink", "quantity": 1}]}`, msg["content"])
	require.Equal(t, decode(t, []byte(msg["content"].(string))), msg["parsed"])

	require.Equal(t, map[string]any{
		"number": json.Number("1.0"), "total": json.Number("1.0"),
		"line_items": []any{
			map[string]any{"description": json.Number("1.0"), "quantity": json.Number("1.0")},
			map[string]any{"description": json.Number("1.0"), "quantity": json.Number("1.0")},
		},
	}, c["likelihoods"])
}

func TestNewDeliveryDefaults(t *testing.T) {
	d := build(t, json.RawMessage(fixtures.SeedContent))
	body := decode(t, d.Body)
	require.Nil(t, body["user"])
	require.Nil(t, body["metadata"])
	fp := body["file_payload"].(map[string]any)
	require.Equal(t, "document.pdf", fp["filename"])
	require.True(t, strings.HasPrefix(fp["url"].(string), "data:application/pdf;base64,JVBER"), fp["url"])
	msg := body["completion"].(map[string]any)["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	// Raw JSON is kept as written: key order and spacing as Retab writes it.
	require.Equal(t, fixtures.SeedContent, msg["content"])
}

func TestNewDeliveryIsDeterministic(t *testing.T) {
	a := build(t, invoice)
	b := build(t, invoice)
	require.Equal(t, a.Body, b.Body)
	require.Equal(t, a.Header, b.Header)

	c := build(t, invoice, retabtest.WithCompletionID("chatcmpl-other"))
	require.NotEqual(t, a.Body, c.Body)
	require.Contains(t, string(c.Body), `"id":"chatcmpl-other"`)

	e := build(t, invoice, retabtest.WithCreated(time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))), retabtest.WithModel("gpt-5"))
	body := decode(t, e.Body)["completion"].(map[string]any)
	require.Equal(t, json.Number("1767319445"), body["created"])
	require.Equal(t, "2026-01-02T02:04:05.203402Z", body["request_at"])
	require.Equal(t, "gpt-5", body["model"])
}

func TestContentEncoding(t *testing.T) {
	d := build(t, json.RawMessage(`{"a":"é 😀 \u2028 <&>","b" :[1, 2e3,-0.5],"c":{},"d":[],"e":null,"f":true}`))
	msg := decode(t, d.Body)["completion"].(map[string]any)["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	require.Equal(t, `{"a": "\u00e9 \ud83d\ude00 \u2028 <&>", "b": [1, 2e3, -0.5], "c": {}, "d": [], "e": null, "f": true}`, msg["content"])
}

func TestMIMEType(t *testing.T) {
	pdf := retabtest.PDF("x")
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"invoice.pdf", pdf, "application/pdf"},
		{"INVOICE.PDF", pdf, "application/pdf"},
		{"scan.JPG", nil, "image/jpeg"},
		{"scan.png", nil, "image/png"},
		{"mail.eml", nil, "message/rfc822"},
		{"notes.txt", []byte("hello"), "text/plain"},
		{"sheet.xlsx", nil, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"noext", pdf, "application/pdf"},
		{"noext", []byte("plain words"), "text/plain"},
		{"blob.bin", []byte{0, 1, 2, 3}, "application/octet-stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, retabtest.MIMEType(tc.name, tc.data))
		})
	}
}

func TestPDFIsWellFormed(t *testing.T) {
	pdf := retabtest.PDF("Invoice (copy) \\ 1", "Total: 36.50 €")
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")))
	require.True(t, bytes.HasSuffix(pdf, []byte("%%EOF\n")))
	require.Contains(t, string(pdf), `(Invoice \(copy\) \\ 1) Tj`)
	require.Contains(t, string(pdf), `(Total: 36.50 ?) Tj`)

	m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(pdf)
	require.NotNil(t, m)
	xref, _ := strconv.Atoi(string(m[1]))
	require.True(t, bytes.HasPrefix(pdf[xref:], []byte("xref\n0 6\n")))
	entries := regexp.MustCompile(`(\d{10}) 00000 n \n`).FindAllSubmatch(pdf[xref:], -1)
	require.Len(t, entries, 5)
	for i, e := range entries {
		off, _ := strconv.Atoi(string(e[1]))
		require.True(t, bytes.HasPrefix(pdf[off:], fmt.Appendf(nil, "%d 0 obj\n", i+1)), "object %d", i+1)
	}
	stream := regexp.MustCompile(`(?s)<< /Length (\d+) >>\nstream\n(.*?)endstream`).FindSubmatch(pdf)
	require.NotNil(t, stream)
	require.Equal(t, string(stream[1]), strconv.Itoa(len(stream[2])))
}

func TestSign(t *testing.T) {
	d := retabtest.Signed(fixtures.SecretVector, []byte(fixtures.BodyVector))
	require.Equal(t, fixtures.SignatureVector, d.Header.Get(retabtest.SignatureHeader))
	require.Equal(t, "application/json", d.Header.Get("Content-Type"))
	require.Equal(t, fixtures.BodyVector, string(d.Body))
}

func TestNewDeliveryErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		opts []retabtest.Option
		msg  string
	}{
		{"unmarshalable value", make(chan int), nil, "does not marshal"},
		{"broken raw JSON", json.RawMessage(`{"a":`), nil, "not valid JSON"},
		{"trailing data", []byte(`{} {}`), nil, "data after the top-level value"},
		{"empty raw JSON", json.RawMessage(``), nil, "no JSON value"},
		{"reasoning on a missing field", invoice, []retabtest.Option{retabtest.WithReasoning("/totl", "x")}, "no such field"},
		{"reasoning with a bad pointer", invoice, []retabtest.Option{retabtest.WithReasoning("total", "x")}, "JSON Pointer"},
		{"reasoning on a scalar array item", json.RawMessage(`{"a":[1]}`), []retabtest.Option{retabtest.WithReasoning("/a/0", "x")}, "reasoning___item"},
		{"reasoning out of range", invoice, []retabtest.Option{retabtest.WithReasoning("/line_items/2", "x")}, "no such field"},
		{"root reasoning on an array", json.RawMessage(`[1]`), []retabtest.Option{retabtest.WithReasoning("", "x")}, "not an object"},
		{"bad vote", invoice, []retabtest.Option{retabtest.WithVote(json.RawMessage(`nope`))}, "WithVote 0"},
		{"bad metadata", invoice, []retabtest.Option{retabtest.WithMetadata(map[string]any{"f": func() {}})}, "metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := retabtest.NewDelivery(tc.v, tc.opts...)
			require.ErrorIs(t, err, retabtest.ErrContent)
			require.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestServe(t *testing.T) {
	errBooked := errors.New("calendar is full")
	handlerErr := func(ctx context.Context, inv Invoice) error {
		switch inv.Number {
		case "FAIL":
			return errBooked
		case "PANIC":
			panic("boom")
		}
		return nil
	}
	type want struct {
		status  int
		problem *framework.Problem
		kind    string // "" when no handler ran
	}
	cases := []struct {
		name   string
		v      any
		target string
		opts   []retabtest.Option
		want   want
		check  func(t *testing.T, res *retabtest.Result)
	}{
		{name: "invoice", v: invoice, want: want{200, nil, "invoice"}, check: func(t *testing.T, res *retabtest.Result) {
			require.Equal(t, invoice, res.Delivery.Value)
			require.Equal(t, &retabtest.Ack{Status: "processed", Kind: "invoice", DeliveryID: res.Delivery.ID}, res.Ack)
			require.Equal(t, retabtest.DefaultModel, res.Delivery.Model)
			require.Equal(t, time.Date(2025, 8, 1, 9, 15, 48, 0, time.UTC), res.Delivery.Created)
			require.Equal(t, 0, res.Delivery.SecretIndex)
		}},
		{name: "calendar event by path", v: json.RawMessage(fixtures.SeedContent), target: "/webhook/calendar_event", want: want{200, nil, "calendar_event"}},
		{name: "file, user and metadata", v: invoice, opts: []retabtest.Option{
			retabtest.WithFile("scan.png", []byte("\x89PNG\r\n\x1a\nfake")),
			retabtest.WithUser("ops@example.com"),
			retabtest.WithMetadata(map[string]any{"tenant": "acme"}),
		}, want: want{200, nil, "invoice"}, check: func(t *testing.T, res *retabtest.Result) {
			d := res.Delivery
			require.Equal(t, "scan.png", d.File.Filename)
			require.Equal(t, "image/png", d.File.MIMEType)
			require.Equal(t, 12, d.File.Size)
			data, err := d.File.Data()
			require.NoError(t, err)
			require.Equal(t, []byte("\x89PNG\r\n\x1a\nfake"), data)
			require.Equal(t, "ops@example.com", d.User)
			require.Equal(t, map[string]any{"tenant": "acme"}, d.Metadata)
		}},
		{name: "file URL without data", v: invoice, opts: []retabtest.Option{retabtest.WithFileURL("inv.pdf", "https://files.example.com/inv.pdf")},
			want: want{200, nil, "invoice"}, check: func(t *testing.T, res *retabtest.Result) {
				_, err := res.Delivery.File.Data()
				require.ErrorIs(t, err, framework.ErrNoFileData)
				require.Equal(t, "https://files.example.com/inv.pdf", res.Delivery.File.URL())
			}},
		{name: "reasoning keys", v: invoice, opts: []retabtest.Option{
			retabtest.WithReasoning("", "An invoice from a stationer."),
			retabtest.WithReasoning("/total", "Printed at the bottom right."),
			retabtest.WithReasoning("/line_items/1", "Second line."),
			retabtest.WithAnnotation(schemas.SourcePrefix, "/number", "Invoice no. INV-7"),
		}, want: want{200, nil, "invoice"}, check: func(t *testing.T, res *retabtest.Result) {
			d := res.Delivery
			require.Equal(t, invoice, d.Value)
			for _, a := range []struct{ prefix, ptr, want string }{
				{schemas.ReasoningPrefix, "", "An invoice from a stationer."},
				{schemas.ReasoningPrefix, "/total", "Printed at the bottom right."},
				{schemas.ReasoningPrefix, "/line_items/1", "Second line."},
				{schemas.SourcePrefix, "/number", "Invoice no. INV-7"},
			} {
				got, ok := d.Annotation(a.prefix, a.ptr)
				require.True(t, ok, "%s%s", a.prefix, a.ptr)
				require.Equal(t, a.want, got)
			}
		}},
		{name: "consensus with a dissenting vote", v: invoice, opts: []retabtest.Option{
			retabtest.WithConsensus(3),
			retabtest.WithVote(Invoice{Number: "INV-7", Total: 365, Lines: []LineItem{{"Paper", 3}}}),
		}, want: want{200, nil, "invoice"}, check: func(t *testing.T, res *retabtest.Result) {
			d := res.Delivery
			require.Len(t, d.Choices, 5)
			for i, c := range d.Choices {
				require.Equal(t, i, c.Index)
				require.Equal(t, "stop", c.FinishReason)
			}
			require.JSONEq(t, `{"number":1.0,"total":0.75,"line_items":[{"description":1.0,"quantity":1.0},{"description":0.75,"quantity":0.75}]}`, string(d.Likelihoods))
			require.JSONEq(t, `{"number":"INV-7","total":365,"line_items":[{"description":"Paper","quantity":3}]}`, string(d.Choices[4].Content))
		}},
		{name: "integers as floats", v: invoice, opts: []retabtest.Option{retabtest.WithIntegersAsFloats()},
			want: want{200, nil, "invoice"}, check: func(t *testing.T, res *retabtest.Result) {
				require.Contains(t, string(res.Delivery.Content), `"quantity": 3.0`)
				require.Equal(t, invoice, res.Delivery.Value)
			}},
		{name: "likelihoods as sent without consensus", v: invoice, opts: []retabtest.Option{retabtest.WithLikelihoods(json.RawMessage(`{}`))},
			want: want{200, nil, "invoice"}, check: func(t *testing.T, res *retabtest.Result) {
				require.Equal(t, `{}`, string(res.Delivery.Likelihoods))
			}},
		{name: "repeated api_cost", v: invoice, opts: []retabtest.Option{retabtest.WithRepeatedAPICost()}, want: want{200, nil, "invoice"}},
		{name: "legacy header", v: invoice, opts: []retabtest.Option{retabtest.WithSignatureHeader(retabtest.LegacySignatureHeader)}, want: want{200, nil, "invoice"}},
		{name: "wrong signature", v: invoice, opts: []retabtest.Option{retabtest.WithWrongSignature()}, want: want{401, framework.ErrInvalidSignature, ""}},
		{name: "other secret", v: invoice, opts: []retabtest.Option{retabtest.WithSecret("whsec_other")}, want: want{401, framework.ErrInvalidSignature, ""}},
		{name: "no signature", v: invoice, opts: []retabtest.Option{retabtest.WithoutSignature()}, want: want{401, framework.ErrMissingSignature, ""}},
		{name: "signature in a header the router ignores", v: invoice, opts: []retabtest.Option{retabtest.WithSignatureHeader("X-Signature")}, want: want{401, framework.ErrMissingSignature, ""}},
		{name: "null content", v: invoice, opts: []retabtest.Option{retabtest.WithNullContent()}, want: want{422, framework.ErrNoContent, ""}},
		{name: "empty content", v: invoice, opts: []retabtest.Option{retabtest.WithContentText("")}, want: want{422, framework.ErrNoContent, ""}},
		{name: "content not JSON", v: invoice, opts: []retabtest.Option{retabtest.WithContentText("Sorry, I cannot read this document.")}, want: want{422, framework.ErrInvalidContent, ""}},
		{name: "schema violation", v: json.RawMessage(`{"number": "INV-8", "total": "12", "line_items": []}`), target: "/webhook/invoice",
			want: want{422, framework.ErrSchemaViolation, ""}, check: func(t *testing.T, res *retabtest.Result) {
				require.NotEmpty(t, res.Problem.Violations)
				require.Equal(t, "/total", res.Problem.Violations[len(res.Problem.Violations)-1].Pointer)
			}},
		{name: "validate rule in the schema", v: Invoice{Number: "INV-9", Lines: []LineItem{{"Paper", 0}}}, target: "/webhook/invoice",
			want: want{422, framework.ErrSchemaViolation, ""}, check: func(t *testing.T, res *retabtest.Result) {
				require.Equal(t, []schemas.Violation{{Pointer: "/line_items/0/quantity", Keyword: "exclusiveMinimum", Message: "must be greater than 0; got 0"}}, res.Problem.Violations)
			}},
		{name: "unknown kind", v: invoice, target: "/webhook/receipt", want: want{422, framework.ErrUnknownKind, ""}},
		{name: "handler error", v: Invoice{Number: "FAIL", Lines: []LineItem{{"Paper", 1}}}, want: want{500, framework.ErrHandler, "invoice"},
			check: func(t *testing.T, res *retabtest.Result) {
				require.ErrorIs(t, res.HandlerErr, errBooked)
				require.NotContains(t, string(res.Body), errBooked.Error())
			}},
		{name: "handler panic", v: Invoice{Number: "PANIC", Lines: []LineItem{{"Paper", 1}}}, want: want{500, framework.ErrPanic, "invoice"},
			check: func(t *testing.T, res *retabtest.Result) {
				var pe *framework.PanicError
				require.ErrorAs(t, res.HandlerErr, &pe)
				require.Equal(t, "boom", pe.Value)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, _, _ := newRouter(t, handlerErr)
			target := tc.target
			if target == "" {
				target = "/webhook"
			}
			res := retabtest.Serve(h, build(t, tc.v, tc.opts...), target)
			require.Equal(t, tc.want.status, res.Status, "body: %s", res.Body)
			if tc.want.problem != nil {
				require.NotNil(t, res.Problem, "body: %s", res.Body)
				require.Equal(t, tc.want.problem.Type(), res.Problem.Type)
				require.Equal(t, tc.want.status, res.Problem.Status)
				require.Nil(t, res.Ack)
			} else {
				require.Nil(t, res.Problem)
				require.NotNil(t, res.Ack)
				require.Equal(t, tc.want.kind, res.Ack.Kind)
			}
			if tc.want.kind == "" {
				require.Nil(t, res.Delivery)
			} else {
				require.NotNil(t, res.Delivery)
				require.Equal(t, tc.want.kind, res.Delivery.Kind)
			}
			if tc.check != nil {
				tc.check(t, res)
			}
		})
	}
}

// A bare router served on a target that names a kind routes by that kind,
// as it would mounted under "POST /webhook/{kind}": an invoice posted to
// /webhook/calendar_event is refused by the calendar event's schema, never
// routed to the invoice by schema match.
func TestServeBareRouterHonoursKind(t *testing.T) {
	bare := func(t *testing.T) (*framework.Router, *retabtest.Recorder[Invoice], *retabtest.Recorder[CalendarEvent]) {
		r, err := framework.NewRouter(framework.WithSecrets(retabtest.Secret), framework.WithLogger(slog.New(slog.DiscardHandler)))
		require.NoError(t, err)
		inv := retabtest.Record[Invoice](nil)
		ev := retabtest.Record[CalendarEvent](nil)
		framework.Handle(r, inv.Handle)
		framework.Handle(r, ev.Handle)
		return r, inv, ev
	}
	for _, tc := range []struct {
		target  string
		status  int
		problem *framework.Problem
		kind    string
	}{
		{"/webhook", 200, nil, "invoice"},                // no kind: schema match
		{"/webhook/invoice", 200, nil, "invoice"},        // the kind named
		{"/api/v1/webhook/invoice", 200, nil, "invoice"}, // under a longer prefix
		{"/webhook/invoice?tenant=acme", 200, nil, "invoice"},
		{"/webhook/calendar_event", 422, framework.ErrSchemaViolation, ""},
		{"/webhook/receipts", 422, framework.ErrUnknownKind, ""},
	} {
		t.Run(tc.target, func(t *testing.T) {
			r, inv, ev := bare(t)
			res := retabtest.Serve(r, build(t, invoice), tc.target)
			require.Equal(t, tc.status, res.Status, "body: %s", res.Body)
			if tc.problem != nil {
				require.NotNil(t, res.Problem, "body: %s", res.Body)
				require.Equal(t, tc.problem.Type(), res.Problem.Type)
				require.Empty(t, inv.Calls())
				require.Empty(t, ev.Calls())
				return
			}
			require.Equal(t, tc.kind, res.Ack.Kind)
			require.Len(t, inv.Calls(), 1)
			require.Empty(t, ev.Calls())
		})
	}
}

// A target whose kind no mux could read is refused with a message saying
// to mount the router under {kind}; the handler never runs.
func TestServeBareRouterRefusesUnreadableKind(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(retabtest.Secret), framework.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	inv := retabtest.Record[Invoice](nil)
	framework.Handle(r, inv.Handle)
	framework.Handle(r, func(context.Context, CalendarEvent) error { return nil })
	for _, target := range []string{"/webhook//invoice", "/webhook/{kind}", "/webhook/./invoice"} {
		t.Run(target, func(t *testing.T) {
			var msg string
			func() {
				defer func() { msg = fmt.Sprint(recover()) }()
				retabtest.Serve(r, build(t, invoice), target)
			}()
			require.Contains(t, msg, "retabtest: Serve: target "+strconv.Quote(target)+" names a kind in its path")
			require.Contains(t, msg, `mount the router under {kind} (mux.Handle("POST /webhook/{kind}", r)) and serve the mux`)
		})
	}
	require.Empty(t, inv.Calls())
}

func TestServeTamperedBody(t *testing.T) {
	h, inv, _ := newRouter(t, nil)
	d := build(t, invoice)
	d.Body = bytes.Replace(d.Body, []byte(`36.5`), []byte(`3650`), 2)
	res := retabtest.Serve(h, d, "/webhook")
	require.Equal(t, http.StatusUnauthorized, res.Status)
	require.Equal(t, framework.ErrInvalidSignature.Type(), res.Problem.Type)
	require.Empty(t, inv.Calls())
}

func TestServeNonRouterAnswers(t *testing.T) {
	plain := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "no")
	})
	res := retabtest.Serve(plain, build(t, invoice), "/")
	require.Equal(t, http.StatusTeapot, res.Status)
	require.Nil(t, res.Problem)
	require.Nil(t, res.Ack)
	require.Nil(t, res.Delivery)
	require.Equal(t, "no", string(res.Body))
}

func TestRecorder(t *testing.T) {
	h, inv, ev := newRouter(t, nil)
	for i := range 3 {
		v := invoice
		v.Number = fmt.Sprintf("INV-%d", i)
		require.Equal(t, 200, retabtest.Serve(h, build(t, v), "/webhook/invoice").Status)
	}
	calls := inv.Calls()
	require.Len(t, calls, 3)
	for i, c := range calls {
		require.Equal(t, fmt.Sprintf("INV-%d", i), c.Value.Number)
		require.Equal(t, "invoice", c.Delivery.Kind)
		require.NoError(t, c.Err)
	}
	last, ok := inv.Last()
	require.True(t, ok)
	require.Equal(t, "INV-2", last.Value.Number)
	_, ok = ev.Last()
	require.False(t, ok)

	inv.Reset()
	require.Empty(t, inv.Calls())
	_, ok = inv.Last()
	require.False(t, ok)

	// Called outside a router, the recorder still records.
	require.NoError(t, ev.Handle(context.Background(), CalendarEvent{Name: "x"}))
	c, ok := ev.Last()
	require.True(t, ok)
	require.Nil(t, c.Delivery)
}

// Concurrent Serve calls each get their own handler's delivery.
func TestServeConcurrent(t *testing.T) {
	h, inv, _ := newRouter(t, nil)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			v := invoice
			v.Number = fmt.Sprintf("INV-%02d", i)
			res := retabtest.Serve(h, build(t, v), "/webhook")
			assert.Equal(t, 200, res.Status)
			if assert.NotNil(t, res.Delivery) {
				assert.Equal(t, v, res.Delivery.Value)
			}
		})
	}
	wg.Wait()
	require.Len(t, inv.Calls(), 16)
}

func TestNewRequestOverHTTP(t *testing.T) {
	h, inv, _ := newRouter(t, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	d := build(t, invoice, retabtest.WithSignatureHeader(retabtest.LegacySignatureHeader))
	req, err := d.NewRequest(context.Background(), srv.URL+"/webhook")
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, inv.Calls(), 1)
	require.Equal(t, invoice, inv.Calls()[0].Value)

	_, err = d.NewRequest(context.Background(), "://bad")
	require.Error(t, err)
}

// Real Retab output run through the kit's Sign reaches the router intact.
func TestSignedFixtureThroughRouter(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(retabtest.Secret), framework.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	rec := retabtest.Record[map[string]any](nil)
	require.Error(t, framework.HandleSafely(r, rec.Handle)) // a map has no schema
	type Fund struct {
		FundName string `json:"fund_name"`
	}
	fund := retabtest.Record[Fund](nil)
	loose, err := schemas.Parse([]byte(`{"type":"object","required":["fund_name"]}`))
	require.NoError(t, err)
	framework.Handle(r, fund.Handle, framework.WithSchema(loose))
	res := retabtest.Serve(r, retabtest.Signed(retabtest.Secret, fixtures.Envelope(fixtures.Read(fixtures.ConsensusCompletion))), "/webhook")
	require.Equal(t, 200, res.Status, "%s", res.Body)
	require.Equal(t, "NVIDIA Corporation", res.Delivery.Value.(Fund).FundName)
	require.Len(t, res.Delivery.Choices, 16)
}

// FuzzNewDeliveryContent checks that any JSON text in UTF-8 given as
// content comes out of the router's envelope decoding with the same
// meaning, and that anything else is refused with ErrContent.
func FuzzNewDeliveryContent(f *testing.F) {
	for _, s := range []string{
		fixtures.SeedContent,
		`{"a":[1,2.0,-3e2,{"b":null}],"c":"\u00e9\ud83d\ude00\n"}`,
		`"just a string"`, `[]`, `12`, `{"a":`, `{} x`, "\xff", "\"\xff\"", `{"a":"\u2028"}`, `{"a":1,"a":2}`, `"\ud800"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		d, err := retabtest.NewDelivery(json.RawMessage(content), retabtest.WithIntegersAsFloats(), retabtest.WithConsensus(1))
		if !json.Valid(content) || !utf8.Valid(content) {
			if !errors.Is(err, retabtest.ErrContent) {
				t.Fatalf("invalid JSON or UTF-8 %q: err = %v", content, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid JSON %q: %v", content, err)
		}
		if _, err := framework.Verify(d.Body, d.Header.Get(retabtest.SignatureHeader), retabtest.Secret); err != nil {
			t.Fatal(err)
		}
		var env struct {
			Completion struct {
				Choices []struct {
					Message struct {
						Content string          `json:"content"`
						Parsed  json.RawMessage `json:"parsed"`
					} `json:"message"`
				} `json:"choices"`
			} `json:"completion"`
		}
		if err := json.Unmarshal(d.Body, &env); err != nil {
			t.Fatalf("body does not decode: %v", err)
		}
		want, err := decodeNumbers(content)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeNumbers([]byte(env.Completion.Choices[0].Message.Content))
		if err != nil {
			t.Fatalf("content string is not JSON: %v", err)
		}
		parsed, err := decodeNumbers(env.Completion.Choices[0].Message.Parsed)
		if err != nil {
			t.Fatalf("parsed is not JSON: %v", err)
		}
		if !assert.ObjectsAreEqual(want, got) || !assert.ObjectsAreEqual(want, parsed) {
			t.Fatalf("content changed meaning:\nin:  %s\nout: %s", content, env.Completion.Choices[0].Message.Content)
		}
	})
}

// decodeNumbers decodes JSON keeping numbers as literals, with the ".0"
// that WithIntegersAsFloats adds to integers removed.
func decodeNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var norm func(any) any
	norm = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = norm(e)
			}
		case []any:
			for i, e := range x {
				x[i] = norm(e)
			}
		case json.Number:
			if s, ok := strings.CutSuffix(string(x), ".0"); ok && !strings.ContainsAny(s, ".eE") {
				return json.Number(s)
			}
		}
		return v
	}
	return norm(v), nil
}
