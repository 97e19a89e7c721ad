package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/printable"
)

// QuarantineUsage is the usage of the words of [Quarantine].
const QuarantineUsage = `quarantine list                      list the kept deliveries, oldest first
quarantine show ID [--body]          show one refusal in full (--body: the exact body bytes only)
quarantine replay ID | --all [--kind K]
                                     run kept deliveries again through the current types
quarantine discard ID                delete a kept delivery for good`

// ErrRefusedAgain is returned by "quarantine replay" when the router
// refused a delivery again (the entry stays, with the new reason): the
// command exits 1.
var ErrRefusedAgain = errors.New("refused again; the entry stays with the new reason")

// QuarantineSession is what one run of [Quarantine] works on.
type QuarantineSession struct {
	// Store is the quarantine.
	Store framework.QuarantineStore
	// Router replays the entries through its current registrations; it
	// is needed for replay only, and is given [framework.WithQuarantine]
	// (Store), so that a delivery refused again stays with its new reason.
	Router *framework.Router
	// Dispatched says the router hands replayed deliveries to a durable
	// engine (replay prints "accepted by the engine", not "processed").
	Dispatched bool
	// Close, when not nil, is called when the command is done.
	Close func() error
}

// Quarantine is "quarantine list|show ID [--body]|replay ID|--all [--kind
// K]|discard ID" on the refused deliveries a receiver keeps: it works
// while the receiver runs. flags, when not nil, holds the program's own
// flags (where its store is); the command adds --body, --all and --kind,
// and the flags may come before or after the words. open is called once
// the command line parsed, with replay true for replay, which needs the
// session's Router. Exit status: 0, 1 for an id the store does not hold
// or a delivery refused again, 2 for a command line that does not parse.
func Quarantine(flags *flag.FlagSet, open func(ctx context.Context, replay bool) (QuarantineSession, error)) *Command {
	fs := flags
	if fs == nil {
		fs = flag.NewFlagSet("quarantine", flag.ContinueOnError)
	}
	body := fs.Bool("body", false, "show: write the body bytes, exactly, and nothing else")
	all := fs.Bool("all", false, "replay: every entry")
	kind := fs.String("kind", "", "replay --all: only the entries of this kind")
	c := &Command{
		Name:    "quarantine",
		Args:    "list|show ID [--body]|replay ID|--all [--kind K]|discard ID",
		Summary: "List, show, replay or discard the refused deliveries kept in the quarantine",
		Flags:   fs,
	}
	c.Run = func(ctx context.Context, words []string) error {
		if len(words) == 0 {
			return Usagef("missing command\n%s", QuarantineUsage)
		}
		switch cmd := words[0]; {
		case cmd == "list" && len(words) == 1:
		case (cmd == "show" || cmd == "discard") && len(words) == 2:
		case cmd == "replay" && (len(words) == 2) != *all:
		default:
			return Usagef("%q\n%s", strings.Join(words, " "), QuarantineUsage)
		}
		s, err := open(ctx, words[0] == "replay")
		if err != nil {
			return err
		}
		if s.Close != nil {
			defer s.Close()
		}
		q := quarantineRun{QuarantineSession: s, out: c.Out()}
		switch words[0] {
		case "list":
			return q.list(ctx)
		case "show":
			return q.show(ctx, words[1], *body)
		case "discard":
			if err := s.Store.Delete(ctx, words[1]); err != nil {
				return err // wraps framework.ErrNotQuarantined for an unknown id
			}
			fmt.Fprintf(q.out, "discarded %s\n", words[1])
			return nil
		}
		if s.Router == nil {
			return errors.New("quarantine replay: the program gave no router to replay through")
		}
		if *all {
			return q.replayAll(ctx, *kind)
		}
		return q.replay(ctx, words[1])
	}
	return c
}

type quarantineRun struct {
	QuarantineSession
	out io.Writer
}

func (q quarantineRun) list(ctx context.Context) error {
	es, err := q.Store.List(ctx)
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

func (q quarantineRun) show(ctx context.Context, id string, body bool) error {
	e, err := q.Store.Get(ctx, id)
	if err != nil {
		return err
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

func (q quarantineRun) replay(ctx context.Context, id string) error {
	res, err := q.Router.Replay(ctx, id)
	if err != nil {
		return err
	}
	return q.report(id, res)
}

// report prints what a replay did.
func (q quarantineRun) report(id string, res framework.ReplayResult) error {
	if res.Err == nil {
		word := "processed"
		if q.Dispatched {
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
	return fmt.Errorf("%s %w", id, ErrRefusedAgain)
}

func (q quarantineRun) replayAll(ctx context.Context, kind string) error {
	es, err := q.Store.List(ctx)
	if err != nil {
		return err
	}
	n, refused := 0, 0
	for _, e := range es {
		if kind != "" && e.Kind != kind {
			continue
		}
		res, err := q.Router.Replay(ctx, e.ID)
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
		return fmt.Errorf("%d %w", refused, ErrRefusedAgain)
	}
	return nil
}
