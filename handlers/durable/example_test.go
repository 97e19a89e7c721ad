package durable_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/durable/embedded"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// A durable receiver: the delivery is stored and answered 202, then a
// worker runs the handler.
func Example() {
	dir, _ := os.MkdirTemp("", "retabhook-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	eng, err := embedded.Open(ctx, durable.WithDir(dir), durable.WithLogger(quiet()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()
	r, _ := framework.NewRouter(framework.WithSecrets("whsec_example"), framework.WithDispatcher(eng), framework.WithLogger(quiet()))
	done := make(chan struct{})
	framework.Handle(r, func(ctx context.Context, ev Event) error {
		d, _ := framework.DeliveryFrom(ctx)
		fmt.Printf("handled %s (attempt %d)\n", ev.Name, d.Attempt)
		close(done)
		return nil
	})

	body := fixtures.ContentEnvelope(`{"name":"Team Meeting!","date":"2023-12-31"}`)
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", framework.Sign("whsec_example", body))
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		var a struct{ Status, Kind string }
		_ = json.Unmarshal(w.Body.Bytes(), &a)
		fmt.Println(w.Code, a.Status, a.Kind)
	}

	workers, stop := context.WithCancel(ctx)
	stopped := make(chan error)
	go func() { stopped <- eng.Run(workers, r) }()
	<-done
	stop()
	fmt.Println("workers stopped:", <-stopped)
	// Output:
	// 202 accepted event
	// 200 duplicate event
	// handled Team Meeting! (attempt 1)
	// workers stopped: <nil>
}
