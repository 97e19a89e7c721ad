package framework_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

func TestNewRouterFailsClosed(t *testing.T) {
	_, err := framework.NewRouter()
	require.ErrorIs(t, err, framework.ErrNoSecret)
	_, err = framework.NewRouter(framework.WithSecrets())
	require.ErrorIs(t, err, framework.ErrNoSecret)
	_, err = framework.NewRouter(framework.WithSecrets(secret, ""))
	require.ErrorIs(t, err, framework.ErrNoSecret)
	_, err = framework.NewRouter(framework.WithSecrets(secret), framework.WithMaxBodyBytes(0))
	require.Error(t, err)
}

func TestInsecureSkipVerifyWarns(t *testing.T) {
	var logs bytes.Buffer
	r, err := framework.NewRouter(framework.WithInsecureSkipVerify(), framework.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "verification is OFF")
	rec := &recorder{}
	framework.Handle(r, rec.event)
	w := post(t, r, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent), "")
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, -1, rec.deliveries[0].SecretIndex)
}

type Receipt struct {
	Merchant string  `json:"merchant"`
	Total    float64 `json:"total"`
}

type namedDoc struct {
	Title string `json:"title"`
}

func (namedDoc) Kind() string { return "custom_named" }

type HTTPRequestForm struct {
	URL string `json:"url"`
}

type badRules struct {
	Name string `json:"name" validate:"no_such_rule"`
}

type noJSON struct {
	C chan int `json:"c"`
}

func TestKindNames(t *testing.T) {
	assert.Equal(t, "calendar_event", framework.KindOf[CalendarEvent]())
	assert.Equal(t, "invoice", framework.KindOf[Invoice]())
	assert.Equal(t, "http_request_form", framework.KindOf[HTTPRequestForm]())
	assert.Equal(t, "custom_named", framework.KindOf[namedDoc]())

	r, err := framework.NewRouter(framework.WithSecrets(secret))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, Receipt) error { return nil }, framework.WithKind("till_receipt"))
	framework.Handle(r, func(context.Context, namedDoc) error { return nil })
	assert.Equal(t, []string{"till_receipt", "custom_named"}, r.Kinds())
	sch, ok := r.Schema("till_receipt")
	require.True(t, ok)
	assert.Contains(t, string(sch.JSON()), `"merchant"`)
	_, ok = r.Schema("nope")
	assert.False(t, ok)
}

func TestRegistrationErrors(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret))
	require.NoError(t, err)
	require.NoError(t, framework.HandleSafely(r, func(context.Context, Receipt) error { return nil }))

	tests := []struct {
		name string
		reg  func() error
		want string
	}{
		{"same type twice", func() error {
			return framework.HandleSafely(r, func(context.Context, Receipt) error { return nil }, framework.WithKind("other"))
		}, "already registered"},
		{"same kind twice", func() error {
			return framework.HandleSafely(r, func(context.Context, Invoice) error { return nil }, framework.WithKind("receipt"))
		}, `kind "receipt" is already registered`},
		{"not a struct", func() error {
			return framework.HandleSafely(r, func(context.Context, string) error { return nil }, framework.WithKind("s"))
		}, "want a struct"},
		{"no JSON form", func() error {
			return framework.HandleSafely(r, func(context.Context, noJSON) error { return nil })
		}, "no JSON form"},
		{"malformed validate tag", func() error {
			return framework.HandleSafely(r, func(context.Context, badRules) error { return nil })
		}, "no_such_rule"},
		{"nil handler", func() error {
			return framework.HandleSafely[Invoice](r, nil)
		}, "nil handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.reg()
			require.ErrorIs(t, err, framework.ErrRegistration)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	assert.Equal(t, []string{"receipt"}, r.Kinds(), "failed registrations leave no trace")

	assert.PanicsWithError(t, "retabhook: registration: type framework_test.Receipt is already registered (kind \"receipt\")", func() {
		framework.Handle(r, func(context.Context, Receipt) error { return nil })
	})
}

func TestRouting(t *testing.T) {
	invoice := fixtures.ContentEnvelope(validInvoice)
	seed := fixtures.ContentEnvelope(fixtures.SeedContent)
	// A receipt and a calendar event schema both accept this object if
	// both types allow it: ambiguous.
	loose := `{"merchant":"Café","total":3.5}`

	t.Run("by path", func(t *testing.T) {
		r, rec := newTestRouter(t)
		w := post(t, kindMux(r), "/webhook/invoice", invoice, secret)
		require.Equal(t, 200, w.Code, w.Body.String())
		require.Len(t, rec.invoices, 1)
	})
	t.Run("path names the wrong kind", func(t *testing.T) {
		r, rec := newTestRouter(t)
		w := post(t, kindMux(r), "/webhook/calendar_event", invoice, secret)
		require.Equal(t, 422, w.Code)
		assert.Equal(t, framework.ErrSchemaViolation.Type(), problem(t, w).Type)
		assert.Empty(t, rec.invoices)
	})
	// An unknown kind in the path: TestWrongKindSaysWhichMatches.
	t.Run("by schema", func(t *testing.T) {
		r, rec := newTestRouter(t)
		require.Equal(t, 200, post(t, r, "/webhook", invoice, secret).Code)
		require.Equal(t, 200, post(t, r, "/webhook", seed, secret).Code)
		assert.Len(t, rec.invoices, 1)
		assert.Len(t, rec.events, 1)
	})
	t.Run("ambiguous names the candidates", func(t *testing.T) {
		r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
		require.NoError(t, err)
		framework.Handle(r, func(context.Context, Receipt) error { return nil })
		framework.Handle(r, func(context.Context, Receipt2) error { return nil })
		w := post(t, r, "/webhook", fixtures.ContentEnvelope(loose), secret)
		require.Equal(t, 422, w.Code)
		doc := problem(t, w)
		assert.Equal(t, framework.ErrAmbiguousRoute.Type(), doc.Type)
		assert.Equal(t, []string{"receipt", "receipt2"}, doc.Candidates)
	})
	t.Run("by metadata", func(t *testing.T) {
		r, rec := newTestRouter(t, framework.WithRoute(framework.RouteByMetadata("document_type")))
		body := []byte(`{"completion":{"choices":[{"message":{"content":` + mustJSON(t, validInvoice) + `}}]},"metadata":{"document_type":"invoice"}}`)
		require.Equal(t, 200, post(t, r, "/webhook", body, secret).Code)
		require.Len(t, rec.invoices, 1)
		body = []byte(`{"completion":{"choices":[{"message":{"content":` + mustJSON(t, validInvoice) + `}}]},"metadata":{"document_type":"calendar_event"}}`)
		assert.Equal(t, 422, post(t, r, "/webhook", body, secret).Code)
	})
	t.Run("custom function and its error", func(t *testing.T) {
		errNoHeader := errors.New("no X-Kind header")
		r, rec := newTestRouter(t, framework.WithRoute(func(req *http.Request, _ *framework.Delivery) (string, error) {
			if k := req.Header.Get("X-Kind"); k != "" {
				return k, nil
			}
			return "", errNoHeader
		}))
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(seed))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", framework.Sign(secret, seed))
		req.Header.Set("X-Kind", "calendar_event")
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		require.Equal(t, 200, w.Code, w.Body.String())
		require.Len(t, rec.events, 1)
		assert.Equal(t, 500, post(t, r, "/webhook", seed, secret).Code, "an error without a Problem is a 500")
	})
	t.Run("first that decides", func(t *testing.T) {
		r, rec := newTestRouter(t, framework.WithRoute(framework.RouteFirst(framework.RouteByPath("kind"), framework.RouteByMetadata("kind"))))
		body := []byte(`{"completion":{"choices":[{"message":{"content":` + mustJSON(t, fixtures.SeedContent) + `}}]},"metadata":{"kind":"calendar_event"}}`)
		require.Equal(t, 200, post(t, r, "/webhook", body, secret).Code)
		require.Len(t, rec.events, 1)
	})
	t.Run("one handler takes every delivery", func(t *testing.T) {
		r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
		require.NoError(t, err)
		rec := &recorder{}
		framework.Handle(r, rec.invoice)
		w := post(t, kindMux(r), "/webhook/whatever", invoice, secret)
		require.Equal(t, 200, w.Code, w.Body.String())
		w = post(t, r, "/webhook", seed, secret)
		require.Equal(t, 422, w.Code)
		assert.Equal(t, framework.ErrSchemaViolation.Type(), problem(t, w).Type)
	})
	t.Run("no handler", func(t *testing.T) {
		r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
		require.NoError(t, err)
		w := post(t, r, "/webhook", seed, secret)
		require.Equal(t, 422, w.Code)
		assert.Equal(t, framework.ErrNoRoute.Type(), problem(t, w).Type)
	})
}

// Receipt2 has the same shape as Receipt.
type Receipt2 Receipt

func TestMiddlewareOrder(t *testing.T) {
	var trace []string
	mw := func(name string) framework.Middleware {
		return func(next framework.HandlerFunc) framework.HandlerFunc {
			return func(ctx context.Context, d *framework.Delivery) error {
				trace = append(trace, name+">")
				err := next(ctx, d)
				trace = append(trace, "<"+name)
				return err
			}
		}
	}
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()), framework.WithMiddleware(mw("a"), mw("b")))
	require.NoError(t, err)
	framework.Handle(r, func(_ context.Context, ev CalendarEvent) error {
		trace = append(trace, "handler:"+ev.Name)
		return nil
	}, framework.WithHandlerMiddleware(mw("c")))
	require.Equal(t, 200, post(t, r, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent), secret).Code)
	assert.Equal(t, []string{"a>", "b>", "c>", "handler:Team Meeting!", "<c", "<b", "<a"}, trace)
}

type stageObserver struct {
	stages   []string
	outcomes []framework.Outcome
}

func (o *stageObserver) StartStage(ctx context.Context, s framework.Stage) (context.Context, func(error)) {
	return ctx, func(err error) {
		mark := "ok"
		if err != nil {
			mark = "err"
		}
		o.stages = append(o.stages, string(s)+":"+mark)
	}
}

func (o *stageObserver) Finish(_ context.Context, out framework.Outcome) {
	o.outcomes = append(o.outcomes, out)
}

func TestObserver(t *testing.T) {
	obs := &stageObserver{}
	r, _ := newTestRouter(t, framework.WithObserver(obs))
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	require.Equal(t, 200, post(t, r, "/webhook", body, secret).Code)
	assert.Equal(t, []string{"read:ok", "verify:ok", "decode:ok", "route:ok", "validate:ok", "handle:ok"}, obs.stages)
	require.Len(t, obs.outcomes, 1)
	o := obs.outcomes[0]
	assert.Equal(t, 200, o.Status)
	assert.NoError(t, o.Err)
	assert.Equal(t, int64(len(body)), o.BodyBytes)
	assert.Equal(t, "calendar_event", o.Delivery.Kind)

	obs.stages, obs.outcomes = nil, nil
	require.Equal(t, 401, post(t, r, "/webhook", body, "whsec_wrong").Code)
	assert.Equal(t, []string{"read:ok", "verify:err"}, obs.stages)
	require.Len(t, obs.outcomes, 1)
	assert.ErrorIs(t, obs.outcomes[0].Err, framework.ErrInvalidSignature)
	assert.Nil(t, obs.outcomes[0].Delivery)
}

// Tagged and Pair are generic document types: each instantiation is a
// type of its own and gets a kind of its own.
type Tagged[T any] struct {
	Tag string `json:"tag"`
	Doc T      `json:"doc"`
}

type Pair[A, B any] struct {
	First  A `json:"first"`
	Second B `json:"second"`
}

type Expense struct {
	Amount float64 `json:"amount"`
}

func TestGenericKindNames(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{framework.KindOf[Tagged[Expense]](), "tagged_expense"},
		{framework.KindOf[Tagged[Receipt]](), "tagged_receipt"},
		{framework.KindOf[Tagged[HTTPRequestForm]](), "tagged_http_request_form"},
		{framework.KindOf[*Tagged[Expense]](), "tagged_expense"},
		{framework.KindOf[Tagged[Tagged[Expense]]](), "tagged_tagged_expense"},
		{framework.KindOf[Pair[Invoice, []LineItem]](), "pair_invoice_line_item"},
		{framework.KindOf[Tagged[map[string]int]](), "tagged_map_string_int"},
		{framework.KindOf[Tagged[[3]Expense]](), "tagged_expense"},
		{framework.KindOf[Tagged[namedDoc]](), "tagged_named_doc"}, // the argument's Kind method is not asked
	} {
		assert.Equal(t, tc.want, tc.got)
	}

	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	var got []string
	framework.Handle(r, func(_ context.Context, v Tagged[Expense]) error { got = append(got, "expense "+v.Tag); return nil })
	framework.Handle(r, func(_ context.Context, v Tagged[Receipt]) error { got = append(got, "receipt "+v.Tag); return nil })
	assert.Equal(t, []string{"tagged_expense", "tagged_receipt"}, r.Kinds())
	mux := kindMux(r)
	w := post(t, mux, "/webhook/tagged_receipt", fixtures.ContentEnvelope(`{"tag":"r1","doc":{"merchant":"Café","total":3.5}}`), secret)
	require.Equal(t, 200, w.Code, w.Body.String())
	w = post(t, mux, "/webhook/tagged_expense", fixtures.ContentEnvelope(`{"tag":"e1","doc":{"amount":12}}`), secret)
	require.Equal(t, 200, w.Code, w.Body.String())
	assert.Equal(t, []string{"receipt r1", "expense e1"}, got)

	// Two types that derive one kind: the message says to use WithKind.
	err = framework.HandleSafely(r, func(context.Context, Tagged[[3]Expense]) error { return nil })
	require.ErrorIs(t, err, framework.ErrRegistration)
	assert.EqualError(t, err, `retabhook: registration: kind "tagged_expense" is already registered for framework_test.Tagged[github.com/retabhook/retabhook/framework_test.Expense]: `+
		`give framework_test.Tagged[[3]github.com/retabhook/retabhook/framework_test.Expense] another kind with WithKind`)
	require.NoError(t, framework.HandleSafely(r, func(context.Context, Tagged[[3]Expense]) error { return nil }, framework.WithKind("tagged_expense_triple")))
}

// A delivery that names a kind the router does not have is told which
// kinds there are and which of them its content matches; one posted to a
// registered kind whose schema refuses it is told which kind it matches.
func TestWrongKindSaysWhichMatches(t *testing.T) {
	invoice := fixtures.ContentEnvelope(validInvoice)
	seed := fixtures.ContentEnvelope(fixtures.SeedContent)
	// refused posts body to target and returns the 422's problem document;
	// no handler ran.
	refused := func(t *testing.T, target string, body []byte, want *framework.Problem) framework.ProblemDocument {
		t.Helper()
		r, rec := newTestRouter(t)
		w := post(t, kindMux(r), target, body, secret)
		require.Equal(t, 422, w.Code)
		doc := problem(t, w)
		assert.Equal(t, want.Type(), doc.Type)
		assert.Empty(t, rec.invoices)
		assert.Empty(t, rec.events)
		return doc
	}
	t.Run("unknown kind lists the registered ones", func(t *testing.T) {
		doc := refused(t, "/webhook/receipts", invoice, framework.ErrUnknownKind)
		assert.Equal(t, `retabhook: unknown kind: "receipts"; registered kinds: "invoice", "calendar_event"; the content matches "invoice"`, doc.Detail)
		assert.Equal(t, []string{"invoice", "calendar_event"}, doc.Registered)
		assert.Equal(t, []string{"invoice"}, doc.Candidates)
	})
	t.Run("unknown kind, content that matches none", func(t *testing.T) {
		doc := refused(t, "/webhook/receipts", fixtures.ContentEnvelope(`{"merchant":"Café"}`), framework.ErrUnknownKind)
		assert.Equal(t, `retabhook: unknown kind: "receipts"; registered kinds: "invoice", "calendar_event"`, doc.Detail)
		assert.Nil(t, doc.Candidates)
	})
	t.Run("wrong kind names the one that matches", func(t *testing.T) {
		doc := refused(t, "/webhook/calendar_event", invoice, framework.ErrSchemaViolation)
		assert.NotEmpty(t, doc.Violations, "the named kind's violations are still listed")
		assert.Equal(t, []string{"invoice"}, doc.Candidates)
		assert.True(t, strings.HasSuffix(doc.Detail, `; the content matches the registered kind "invoice" instead`), doc.Detail)

		doc = refused(t, "/webhook/invoice", seed, framework.ErrSchemaViolation)
		assert.Equal(t, []string{"calendar_event"}, doc.Candidates)
	})
	t.Run("a violation that matches nothing else names nothing", func(t *testing.T) {
		doc := refused(t, "/webhook/invoice", fixtures.ContentEnvelope(`{"number":"INV-1"}`), framework.ErrSchemaViolation)
		assert.Nil(t, doc.Candidates)
		assert.NotContains(t, doc.Detail, "matches")
	})
}

// The lists are bounded: MaxListedKinds kinds, each quoted and cut, then
// the count of the others.
func TestRouteErrorListsAreBounded(t *testing.T) {
	kinds := make([]string, framework.MaxListedKinds+5)
	for i := range kinds {
		kinds[i] = fmt.Sprintf("k%02d", i)
	}
	kinds[0] = strings.Repeat("x", 300) + "\n"
	err := &framework.RouteError{Kind: "receipts", Err: framework.ErrUnknownKind, Registered: kinds}
	text := err.Error()
	assert.Contains(t, text, `, "k19", and 5 more`)
	assert.NotContains(t, text, "k20")
	assert.NotContains(t, text, "\n")
	assert.Less(t, len(text), 600)
	doc := framework.NewProblemDocument(err)
	assert.Len(t, doc.Registered, framework.MaxListedKinds)
	assert.Equal(t, text, doc.Detail)
}
