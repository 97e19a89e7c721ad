// Command invoice is retabhook's example receiver: it verifies Retab
// webhooks and hands invoices and calendar events to typed handlers.
//
//	go run ./examples/invoice
//
// It listens on :8000 (PORT overrides) and serves POST /webhook and
// POST /webhook/{kind}. It reads the secret from WEBHOOKS_SECRET; when that
// is unset it generates one and prints it, so requests can be signed at
// once.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/retabhook/retabhook/framework"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(logger); err != nil {
		logger.Error("invoice receiver stopped", "error", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	secret := os.Getenv("WEBHOOKS_SECRET")
	if secret == "" {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		secret = "whsec_" + hex.EncodeToString(b)
		fmt.Fprintf(os.Stderr, "WEBHOOKS_SECRET is not set; using a generated secret for this run:\n\n  export WEBHOOKS_SECRET=%s\n\n", secret)
	}
	r, err := newRouter(logger, secret)
	if err != nil {
		return err
	}
	addr := ":" + envOr("PORT", "8000")
	srv := &http.Server{
		Addr:              addr,
		Handler:           newMux(r),
		ReadHeaderTimeout: 10 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("listening", "addr", addr, "kinds", r.Kinds())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newRouter registers the example's document types.
func newRouter(logger *slog.Logger, secrets ...string) (*framework.Router, error) {
	r, err := framework.NewRouter(framework.WithSecrets(secrets...), framework.WithLogger(logger))
	if err != nil {
		return nil, err
	}
	framework.Handle(r, func(ctx context.Context, inv Invoice) error {
		logger.InfoContext(ctx, "invoice received", "number", inv.Number, "supplier", inv.Supplier.Name,
			"total", inv.Total, "currency", inv.Currency, "lines", len(inv.Lines))
		return nil
	})
	framework.Handle(r, func(ctx context.Context, ev CalendarEvent) error {
		logger.InfoContext(ctx, "calendar event received", "name", ev.Name, "date", ev.Date)
		return nil
	})
	return r, nil
}

func newMux(r *framework.Router) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/webhook", r)
	mux.Handle("/webhook/{kind}", r)
	return mux
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
