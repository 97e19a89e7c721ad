package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/cli"
	"github.com/retabhook/retabhook/internal/printable"
)

const quarantineUsage = `quarantine list                      list the kept deliveries, oldest first
quarantine show ID [--body]          show one refusal in full (--body: the exact body bytes only)
quarantine replay ID | --all [--kind K]
                                     run kept deliveries again through the current types
quarantine discard ID                delete a kept delivery for good`

// quarantineCommand is "invoice quarantine list|show|replay|discard": it
// opens the quarantine of the data directory (or, with --durable, the
// engine's) and works while the receiver runs. Its flags may come before
// or after the words.
func quarantineCommand(getenv func(string) string) *cli.Command {
	q := &quarantineFlags{}
	fs := flag.NewFlagSet("quarantine", flag.ContinueOnError)
	q.durable.register(fs, getenv)
	fs.BoolVar(&q.body, "body", false, "show: write the body bytes, exactly, and nothing else")
	fs.BoolVar(&q.all, "all", false, "replay: every entry")
	fs.StringVar(&q.kind, "kind", "", "replay --all: only the entries of this kind")
	c := &cli.Command{
		Name:    "quarantine",
		Args:    "list|show ID [--body]|replay ID|--all [--kind K]|discard ID",
		Summary: "List, show, replay or discard the refused deliveries kept in the quarantine",
		Flags:   fs,
	}
	c.Run = func(ctx context.Context, words []string) error {
		return runQuarantine(ctx, words, *q, c.Out(), c.Err())
	}
	return c
}

// quarantineFlags are the flags of the quarantine command.
type quarantineFlags struct {
	durable   durableConfig
	body, all bool
	kind      string
}

// errRefusedAgain reports a replay the router refused again.
var errRefusedAgain = errors.New("refused again; the entry stays with the new reason")

// runQuarantine checks the words left after the flags, opens the store and
// runs the command.
func runQuarantine(ctx context.Context, words []string, f quarantineFlags, stdout, stderr io.Writer) error {
	c := f.durable
	usage := func() error {
		return cli.Usagef("%q\n%s", strings.Join(words, " "), quarantineUsage)
	}
	if len(words) == 0 {
		return cli.Usagef("missing command\n%s", quarantineUsage)
	}
	switch cmd := words[0]; {
	case cmd == "list" && len(words) == 1:
	case (cmd == "show" || cmd == "discard") && len(words) == 2:
	case cmd == "replay" && (len(words) == 2) != f.all:
	default:
		return usage()
	}

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var dm *durableMode
	if c.Enabled {
		e, err := c.attach(ctx, logger)
		if err != nil {
			return err
		}
		defer e.Close()
		dm = &durableMode{engine: e, logger: logger, stop: func() {}}
	}
	store, err := openQuarantine(config{Durable: c}, logger, nil, dm)
	if err != nil {
		return err
	}
	qc := quarantineCLI{store: store, out: stdout, durable: dm != nil}
	switch words[0] {
	case "list":
		return qc.list(ctx)
	case "show":
		return qc.show(ctx, words[1], f.body)
	case "discard":
		if err := qc.found(store.Delete(ctx, words[1])); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "discarded %s\n", words[1])
		return nil
	}
	// replay: through the receiver's own types, on a router that hands
	// deliveries to the handlers here (synchronous mode) or to the
	// engine, whose workers in the running receiver run them (durable).
	opts := []framework.Option{framework.WithSecrets("replay-verifies-nothing"), framework.WithQuarantine(store)}
	opts = append(opts, dm.routerOptions()...)
	r, err := newRouterWith(slog.New(slog.NewTextHandler(stderr, nil)), opts...)
	if err != nil {
		return err
	}
	qc.router = r
	if f.all {
		return qc.replayAll(ctx, f.kind)
	}
	return qc.replay(ctx, words[1])
}

type quarantineCLI struct {
	durable bool // replays are dispatched to the engine
	store   framework.QuarantineStore
	router  *framework.Router
	out     io.Writer
}

// found is the store's error: for an id it does not hold, it wraps
// framework.ErrNotQuarantined, which the command line exits 1 for like any
// error that is not a usage error.
func (q quarantineCLI) found(err error) error { return err }

func (q quarantineCLI) list(ctx context.Context) error {
	es, err := q.store.List(ctx)
	if err != nil {
		return err
	}
	if len(es) == 0 {
		fmt.Fprintln(q.out, "no quarantined deliveries")
		return nil
	}
	tw := tabwriter.NewWriter(q.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tKIND\tPROBLEM\tFIRST VIOLATION")
	for _, e := range es {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ID, e.ReceivedAt.Format(time.RFC3339), cell(cmp.Or(e.Kind, "-")),
			cell(strings.TrimPrefix(e.Problem.Type, "urn:retabhook:problem:")), printable.EscapeCut(e.FirstViolation(), 100))
	}
	return tw.Flush()
}

// cell is untrusted text for one tab-separated cell: control bytes (tabs
// and newlines too) escaped.
func cell(s string) string { return printable.Escape(s) }

func (q quarantineCLI) show(ctx context.Context, id string, body bool) error {
	e, err := q.store.Get(ctx, id)
	if err != nil {
		return q.found(err)
	}
	if body {
		_, err := q.out.Write(e.Body)
		return err
	}
	tw := tabwriter.NewWriter(q.out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "id:\t%s\nreceived:\t%s\nkind:\t%s\nroute:\t%s\ndelivery id:\t%s\npath:\t%s\nsize:\t%d bytes\n",
		e.ID, e.ReceivedAt.Format(time.RFC3339Nano), cell(e.Kind), cell(e.Route), cell(e.DeliveryID), cell(e.Path), e.Size)
	for name, vs := range e.Header {
		for _, v := range vs {
			fmt.Fprintf(tw, "header:\t%s: %s\n", cell(name), cell(v))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	doc, err := json.MarshalIndent(e.Problem, "", "  ")
	if err != nil {
		return err
	}
	// JSON escapes C0 controls in strings, not DEL, C1 or bidi
	// overrides: each line is escaped too.
	fmt.Fprintln(q.out, "refusal:")
	for line := range strings.SplitSeq(string(doc), "\n") {
		fmt.Fprintln(q.out, printable.Escape(line))
	}
	return nil
}

func (q quarantineCLI) replay(ctx context.Context, id string) error {
	res, err := q.router.Replay(ctx, id)
	if err != nil {
		return q.found(err)
	}
	return q.report(id, res)
}

// report prints what a replay did.
func (q quarantineCLI) report(id string, res framework.ReplayResult) error {
	if res.Err == nil {
		word := "processed"
		if q.durable {
			word = "accepted by the engine"
		}
		fmt.Fprintf(q.out, "replayed %s: %s (%s, %s)\n", id, word, res.Delivery.Kind, res.Delivery.ID)
		return nil
	}
	doc := framework.NewProblemDocument(res.Err)
	reason := doc.Detail
	if len(doc.Violations) > 0 {
		v := doc.Violations[0]
		reason = cmp.Or(v.Pointer, "/") + ": " + v.Message
	}
	fmt.Fprintf(q.out, "%s refused again: %s: %s\n", id, strings.TrimPrefix(doc.Type, "urn:retabhook:problem:"), printable.EscapeCut(reason, 200))
	return fmt.Errorf("%s %w", id, errRefusedAgain)
}

func (q quarantineCLI) replayAll(ctx context.Context, kind string) error {
	es, err := q.store.List(ctx)
	if err != nil {
		return err
	}
	n, refused := 0, 0
	for _, e := range es {
		if kind != "" && e.Kind != kind {
			continue
		}
		res, err := q.router.Replay(ctx, e.ID)
		if errors.Is(err, framework.ErrNotQuarantined) {
			continue // discarded or replayed meanwhile
		}
		if err != nil {
			return err
		}
		if q.report(e.ID, res) != nil {
			refused++
		}
		n++
	}
	fmt.Fprintf(q.out, "replayed %d entr(ies): %d delivered, %d refused again\n", n, n-refused, refused)
	if refused > 0 {
		return fmt.Errorf("%d %w", refused, errRefusedAgain)
	}
	return nil
}
