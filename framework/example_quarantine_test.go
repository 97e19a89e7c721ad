package framework_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
)

// Strict dates are refused; the fixed type takes them.
type strictMeeting struct {
	Name string `json:"name"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

type looseMeeting struct {
	Name string `json:"name"`
	Date string `json:"date"`
}

func (looseMeeting) Kind() string { return "strict_meeting" }

// A refused delivery is kept before the answer names it; after the type is
// fixed, a replay hands it to the handler.
func ExampleWithQuarantine() {
	dir, _ := os.MkdirTemp("", "quarantine")
	defer os.RemoveAll(dir)
	quiet := framework.WithLogger(slog.New(slog.DiscardHandler))
	q, err := framework.OpenDiskQuarantine(dir)
	if err != nil {
		panic(err)
	}
	r, _ := framework.NewRouter(framework.WithSecrets(retabtest.Secret), quiet, framework.WithQuarantine(q))
	framework.Handle(r, func(context.Context, strictMeeting) error { return nil })

	d, _ := retabtest.NewDelivery(map[string]string{"name": "Board", "date": "15/03/2024"})
	w := httptest.NewRecorder()
	r.ServeHTTP(w, d.Request("/webhook"))
	var doc framework.ProblemDocument
	_ = json.Unmarshal(w.Body.Bytes(), &doc)
	e, _ := q.Get(context.Background(), doc.QuarantineID)
	fmt.Println(w.Code, doc.Type, bytes.Equal(e.Body, d.Body))

	fixed, _ := framework.NewRouter(framework.WithSecrets(retabtest.Secret), quiet, framework.WithQuarantine(q))
	framework.Handle(fixed, func(_ context.Context, m looseMeeting) error {
		fmt.Println("handled:", m.Name, m.Date)
		return nil
	})
	res, err := fixed.Replay(context.Background(), doc.QuarantineID)
	fmt.Println(err, res.Err)
	_, err = q.Get(context.Background(), doc.QuarantineID)
	fmt.Println(errors.Is(err, framework.ErrNotQuarantined))
	// Output:
	// 422 urn:retabhook:problem:schema-violation true
	// handled: Board 15/03/2024
	// <nil> <nil>
	// true
}

// A handler refuses a delivery for good: 422 with its own problem type,
// never retried.
func ExampleReject() {
	r, _ := framework.NewRouter(framework.WithSecrets(retabtest.Secret), framework.WithLogger(slog.New(slog.DiscardHandler)))
	framework.Handle(r, func(_ context.Context, m Meeting) error {
		return framework.Reject(fmt.Errorf("no room booked for %q", m.Name))
	})
	d, _ := retabtest.NewDelivery(Meeting{Name: "Board", Date: "2024-03-15"})
	w := httptest.NewRecorder()
	r.ServeHTTP(w, d.Request("/webhook"))
	var doc framework.ProblemDocument
	_ = json.Unmarshal(w.Body.Bytes(), &doc)
	fmt.Println(w.Code == http.StatusUnprocessableEntity, doc.Type)
	fmt.Println(doc.Detail)
	// Output:
	// true urn:retabhook:problem:rejected
	// the handler refused the delivery for good; the receiver's logs have the reason
}

// Deliveries whose date the consensus doubts go to a review handler.
func ExampleWithReview() {
	r, _ := framework.NewRouter(framework.WithSecrets(retabtest.Secret), framework.WithLogger(slog.New(slog.DiscardHandler)))
	framework.Handle(r, func(context.Context, Meeting) error { return nil },
		framework.WithReview(framework.ReviewPolicy{Threshold: 0.7, Fields: []string{"/date"}},
			func(_ context.Context, rv framework.Review[Meeting]) error {
				fmt.Printf("review %s: %s at %.2f\n", rv.Value.Name, rv.Fields[0].Pointer, rv.Fields[0].Likelihood)
				return nil
			}))
	m := Meeting{Name: "Board", Date: "2024-03-15"}
	other := m
	other.Date = "2024-03-16"
	// Three votes, one of which reads another date: likelihood 2/3.
	d, _ := retabtest.NewDelivery(m, retabtest.WithConsensus(2), retabtest.WithVote(other))
	w := httptest.NewRecorder()
	r.ServeHTTP(w, d.Request("/webhook"))
	fmt.Print(w.Body.String())
	// Output:
	// review Board: /date at 0.67
	// {"status":"review","kind":"meeting","delivery_id":"dlv2_235ffffc1e86c324216fc146188601e6"}
}
