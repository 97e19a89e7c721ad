package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers"
)

type Receipt struct {
	Merchant string  `json:"merchant"`
	Total    float64 `json:"total"`
}

// Stock middleware is installed once for every handler; FanOut lets
// several consumers share one registration.
func Example() {
	logger := slog.New(slog.DiscardHandler)
	r, err := framework.NewRouter(
		framework.WithSecrets("whsec_example"),
		framework.WithLogger(logger),
		framework.WithMiddleware(handlers.Log(logger), handlers.Recover(), handlers.Timeout(20*time.Second)),
	)
	if err != nil {
		panic(err)
	}
	store := func(_ context.Context, rc Receipt) error { fmt.Println("stored", rc.Merchant); return nil }
	notify := func(_ context.Context, rc Receipt) error { fmt.Println("notified", rc.Merchant); return nil }
	framework.Handle(r, handlers.FanOut(store, notify))

	_ = handlers.FanOut(store, notify)(context.Background(), Receipt{Merchant: "Café Nord", Total: 4.2})
	fmt.Println(r.Kinds())
	// Output:
	// stored Café Nord
	// notified Café Nord
	// [receipt]
}
