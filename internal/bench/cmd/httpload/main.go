// Command httpload is the load tool of scripts/bench-http.sh. It serves
// the hand-written baseline receiver or the floor (a server that only
// reads the body and checks its HMAC), or sends a signed delivery to a
// receiver on loopback in a closed loop and prints the throughput and the
// latency percentiles, or writes the delivery and prints its signature
// (for another load generator: scripts/bench-http.sh with LOADER=wrk).
//
//	httpload naive -addr 127.0.0.1:18082 -secret S
//	httpload floor -addr 127.0.0.1:18083 -secret S
//	httpload load -url http://127.0.0.1:18081/webhook -secret S -body typical -c 16 -d 10s
//	httpload load -url http://127.0.0.1:18081/webhook -secret S -body typical -distinct
//	httpload request -secret S -body typical -out body.json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/bench"
	"github.com/retabhook/retabhook/internal/fixtures"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "httpload:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: httpload naive|floor|load|request [flags]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	secret := fs.String("secret", os.Getenv("WEBHOOKS_SECRET"), "webhook secret (env WEBHOOKS_SECRET)")
	switch args[0] {
	case "naive", "floor":
		addr := fs.String("addr", "127.0.0.1:18082", "listen address (loopback)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		var h http.Handler = &bench.Naive{Secret: *secret}
		if args[0] == "floor" {
			h = &bench.Floor{Secret: *secret}
		}
		srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go func() { <-ctx.Done(); _ = srv.Close() }()
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case "request":
		body := fs.String("body", "typical", "typical, or the document size in bytes (a large delivery)")
		out := fs.String("out", "body.json", "file the body is written to")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		b, err := delivery(*body)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, b, 0o600); err != nil {
			return err
		}
		fmt.Println(framework.Sign(*secret, b))
		return nil
	case "load":
		url := fs.String("url", "http://127.0.0.1:18081/webhook", "receiver URL (loopback only)")
		body := fs.String("body", "typical", "typical, or the document size in bytes (a large delivery)")
		conc := fs.Int("c", 16, "concurrent connections")
		dur := fs.Duration("d", 10*time.Second, "duration")
		n := fs.Int("n", 0, "stop after this many requests (0: no limit)")
		distinct := fs.Bool("distinct", false, "send each request as a delivery of its own (its completion id numbered, signed for it), not the same body every time")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		b, err := delivery(*body)
		if err != nil {
			return err
		}
		l := bench.Load{URL: *url, Body: b, Signature: framework.Sign(*secret, b), Concurrency: *conc, Duration: *dur, Requests: *n}
		if *distinct {
			l.Secret = *secret
		}
		res, err := l.Run(context.Background())
		if err != nil {
			return err
		}
		fmt.Println(res)
		return nil
	}
	return fmt.Errorf("unknown mode %q: want naive, floor, load or request", args[0])
}

// delivery is the body -body names: typical, or a large delivery with a
// document of that many bytes.
func delivery(body string) ([]byte, error) {
	if body == "typical" {
		return fixtures.TypicalDelivery(), nil
	}
	var size int
	if _, err := fmt.Sscan(body, &size); err != nil {
		return nil, fmt.Errorf("-body %q: want typical or a size in bytes", body)
	}
	return fixtures.LargeDelivery(size), nil
}
