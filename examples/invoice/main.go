// Command invoice is retabhook's example receiver: it verifies Retab
// webhooks and hands invoices and calendar events to typed handlers.
//
//	go run ./examples/invoice
//
// It listens on :8000 (PORT overrides) and serves POST /webhook and
// POST /webhook/{kind} (completion webhooks, workflow End-node webhooks and
// signed events, whose workflow.run.completed it logs), plus GET /healthz,
// /readyz and /metrics, and POST /api/invoice-check, a workflow API Call
// block, when API_CALL_TOKEN is set. It reads the secret from
// WEBHOOKS_SECRET (WEBHOOKS_SECRET_TEST and WEBHOOKS_SECRET_PRODUCTION, when
// set, verify their environment instead); when no secret is set it
// generates one and prints it, so requests can be signed at once. Flags and environment
// variables ("serve -h" lists them) set the log level and format, the shutdown
// timeout and a separate listener for the probes; see config.go. SIGTERM
// or SIGINT shuts it down gracefully. Its command line also exports and
// checks the schemas of its types (help lists the commands):
//
//	go run ./examples/invoice schemas export -blocks examples/invoice/schemas
//	go run ./examples/invoice schemas check examples/invoice/schemas
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/cli"
	"github.com/retabhook/retabhook/schemas"
)

func main() {
	// The command line: serve (the default; run parses its flags),
	// schemas export DIR, schemas check DIR, schemas report, deadletters
	// (durable.go). The schema
	// commands need only the registered types, so they read a router that
	// is never served and needs no configuration.
	types, err := newRouter(slog.New(slog.DiscardHandler), "unused")
	if err != nil {
		fmt.Fprintln(os.Stderr, "invoice:", err)
		os.Exit(1)
	}
	cli.Main(commandLine(types, os.Getenv))
}

// commandLine is the receiver's command line: serve (the default), schemas,
// deadletters, quarantine and api-call-schemas.
func commandLine(types *framework.Router, getenv func(string) string) *cli.Command {
	root := cli.New(types, func(_ context.Context, args []string) error { return run(args) })
	return root.Add(deadLettersCommand(getenv), quarantineCommand(getenv), apiCallSchemasCommand())
}

// apiCallSchemasCommand is "api-call-schemas export|check|report" for the
// API Call router (POST /api/invoice-check): its Request and Output
// Schemas, and with export -blocks the API Call block's configuration.
func apiCallSchemasCommand() *cli.Command {
	api, err := newAPICallRouter(slog.New(slog.DiscardHandler), "unused")
	if err != nil {
		panic(err) // the router's options are constants
	}
	cmd := cli.Schemas(api)
	cmd.Name, cmd.Summary = "api-call-schemas", "Export, check and review the schemas of the API Call block (POST /api/invoice-check)"
	return cmd
}

func run(args []string) error {
	cfg, err := loadConfig(args, os.Getenv, os.Stderr)
	if err != nil {
		return err
	}
	logger := cfg.logger(os.Stderr)
	if limit, ok := memoryLimit(cfg.MaxInFlight, os.Getenv("GOMEMLIMIT")); ok {
		debug.SetMemoryLimit(limit)
		logger.Debug("soft memory limit set", "bytes", limit, "from", "MAX_INFLIGHT_BYTES + 128 MiB (GOMEMLIMIT overrides)")
	}
	if len(cfg.Secrets) == 0 && len(cfg.EnvSecrets) == 0 {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		secret := "whsec_" + hex.EncodeToString(b)
		cfg.Secrets = []string{secret}
		fmt.Fprintf(os.Stderr, "WEBHOOKS_SECRET is not set; using a generated secret for this run:\n\n  export WEBHOOKS_SECRET=%s\n\n", secret)
	}
	tel := newTelemetry(cfg)
	dm, err := startDurable(cfg.Durable, logger, tel.durableOptions()...)
	if err != nil {
		return err
	}
	defer dm.close() // after the HTTP server stopped: the workers, then the engine
	s, err := newServer(cfg, logger, tel, dm)
	if err != nil {
		return err
	}
	dm.run(s.router)
	web, ops, err := s.listen()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return s.run(ctx, web, ops)
}

// invoiceReview sends to review the invoices whose total the consensus
// agrees on less than 70%.
var invoiceReview = framework.ReviewPolicy{Threshold: 0.7, Fields: []string{"/total"}}

// memoryHeadroom is what the receiver may hold beyond the bodies in
// flight before its garbage collector works harder: the runtime, the
// handlers, metrics, the durable engine's buffers.
const memoryHeadroom = 128 << 20

// memoryLimit is the Go runtime's soft memory limit for a receiver that
// bounds the bodies in flight to maxInFlight bytes: maxInFlight plus
// memoryHeadroom, unless GOMEMLIMIT (gomemlimit) sets one or the bodies
// are not bounded. Without it the heap may grow to twice what is live
// (GOGC=100) before a collection: the bodies of one burst of large
// deliveries are still garbage when the next arrive, and the process
// peaks near twice MAX_INFLIGHT_BYTES; with it, near the bound plus the
// headroom (BENCHMARKS.md, "Hostile traffic").
func memoryLimit(maxInFlight int64, gomemlimit string) (int64, bool) {
	if maxInFlight <= 0 || gomemlimit != "" {
		return 0, false
	}
	return maxInFlight + memoryHeadroom, true
}

// deliveryLogger returns logger adding, to every line logged with the
// context of a delivery (the handlers' lines, in a request or a durable
// worker), its delivery_id and, in the durable mode, its attempt: the
// lines of one delivery, across retries, are found by its id.
func deliveryLogger(logger *slog.Logger) *slog.Logger {
	if _, ok := logger.Handler().(deliveryHandler); ok {
		return logger
	}
	return slog.New(deliveryHandler{logger.Handler()})
}

type deliveryHandler struct{ slog.Handler }

func (h deliveryHandler) Handle(ctx context.Context, r slog.Record) error {
	if d, ok := framework.DeliveryFrom(ctx); ok {
		// Added at once: past the record's 5 inline attrs, each
		// AddAttrs call grows its slice.
		if d.Attempt > 0 {
			r.AddAttrs(slog.String("delivery_id", d.ID), slog.Int("attempt", d.Attempt))
		} else {
			r.AddAttrs(slog.String("delivery_id", d.ID))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h deliveryHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return deliveryHandler{h.Handler.WithAttrs(as)}
}

func (h deliveryHandler) WithGroup(name string) slog.Handler {
	return deliveryHandler{h.Handler.WithGroup(name)}
}

// newRouter registers the example's document types.
func newRouter(logger *slog.Logger, secrets ...string) (*framework.Router, error) {
	return newRouterWith(logger, framework.WithSecrets(secrets...))
}

// newRouterWith is newRouter with the router's options.
func newRouterWith(logger *slog.Logger, opts ...framework.Option) (*framework.Router, error) {
	hlog := deliveryLogger(logger) // the handlers' lines
	opts = append(opts, framework.WithLogger(logger), framework.WithSchemaOptions(schemas.WithComments(schemaDocs)))
	r, err := framework.NewRouter(opts...)
	if err != nil {
		return nil, err
	}
	framework.Handle(r, func(ctx context.Context, inv Invoice) error {
		// Typed attrs: key-value pairs box each value into an any.
		hlog.LogAttrs(ctx, slog.LevelInfo, "invoice received", slog.String("number", inv.Number), slog.String("supplier", inv.Supplier.Name),
			slog.Float64("total", inv.Total), slog.String("currency", inv.Currency), slog.Int("lines", len(inv.Lines)))
		return nil
	}, framework.WithReview(invoiceReview, func(ctx context.Context, rv framework.Review[Invoice]) error {
		// A total the consensus is unsure of goes to a person, not to
		// the books.
		attrs := []any{"number", rv.Value.Number, "supplier", rv.Value.Supplier.Name, "total", rv.Value.Total}
		for _, f := range rv.Fields {
			attrs = append(attrs, "likelihood"+strings.ReplaceAll(f.Pointer, "/", "."), f.Likelihood)
		}
		hlog.WarnContext(ctx, "invoice sent to review", attrs...)
		return nil
	}))
	framework.Handle(r, func(ctx context.Context, ev CalendarEvent) error {
		hlog.LogAttrs(ctx, slog.LevelInfo, "calendar event received", slog.String("name", ev.Name), slog.Any("date", ev.Date))
		return nil
	})
	framework.HandleEvent(r, framework.EventWorkflowRunCompleted, func(ctx context.Context, run framework.WorkflowRun) error {
		d, _ := framework.DeliveryFrom(ctx)
		hlog.InfoContext(ctx, "workflow run completed", "run_id", run.ID, "status", run.Lifecycle.Status,
			"workflow_id", run.WorkflowID, "environment", d.Environment, "event_id", d.Event.ID)
		return nil
	})
	return r, nil
}

// newAPICallRouter serves the workflow API Call block behind
// POST /api/invoice-check: it takes an Invoice and answers a check of it.
func newAPICallRouter(logger *slog.Logger, token string, opts ...framework.Option) (*framework.Router, error) {
	hlog := deliveryLogger(logger) // the handlers' lines
	opts = append(opts, framework.WithAPICallToken(token), framework.WithLogger(logger), framework.WithSchemaOptions(schemas.WithComments(schemaDocs)))
	r, err := framework.NewRouter(opts...)
	if err != nil {
		return nil, err
	}
	framework.HandleCall(r, func(ctx context.Context, inv Invoice) (InvoiceCheck, error) {
		c := checkInvoice(inv)
		hlog.InfoContext(ctx, "invoice checked", "number", inv.Number, "ok", c.OK)
		return c, nil
	})
	return r, nil
}

func newMux(r *framework.Router) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/webhook", r)
	mux.Handle("/webhook/{kind}", r)
	return mux
}
