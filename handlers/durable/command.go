package durable

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/retabhook/retabhook/framework/cli"
	"github.com/retabhook/retabhook/internal/printable"
)

// ErrUsage is wrapped by the errors [Command] returns for a command line
// it does not understand; the text holds the usage. It wraps the receiver
// command line's [cli.ErrUsage], so that a [cli.Command] running Command
// exits 2 with its usage.
var ErrUsage = fmt.Errorf("durable: %w", cli.ErrUsage)

// CommandUsage is the usage of [Command].
const CommandUsage = `deadletters list                 list the dead letters, oldest first
deadletters show ID [--body]     show one dead letter (--body prints the raw body)
deadletters replay ID... | --all put dead letters back in the inbox (fix the handler first)
deadletters discard ID...        delete dead letters for good`

// Command runs a dead-letter command line on e, writing to out: args are
// what follows "deadletters" (list, show ID [--body], replay ID... or
// --all, discard ID...). It is meant for a subcommand of the receiver's own
// program, which opens the engine with the receiver's options; replayed
// deliveries are processed by the receivers' workers.
func Command(ctx context.Context, e *Engine, args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: missing command\n%s", ErrUsage, CommandUsage)
	}
	cmd, rest := args[0], args[1:]
	switch {
	case cmd == "list" && len(rest) == 0:
		dls, err := e.DeadLetters(ctx)
		if err != nil {
			return err
		}
		if len(dls) == 0 {
			fmt.Fprintln(out, "no dead letters")
			return nil
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tATTEMPTS\tFAILED AT\tSIZE\tERROR")
		for _, dl := range dls {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\n", printable.Escape(dl.ID), printable.Escape(dl.Kind), dl.Attempts,
				dl.FailedAt.Format(time.RFC3339), dl.Size, printable.EscapeCut(dl.Error, 77))
		}
		return tw.Flush()
	case cmd == "show" && (len(rest) == 1 || len(rest) == 2 && rest[1] == "--body"):
		dl, err := e.DeadLetter(ctx, rest[0])
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "id:\t%s\nkind:\t%s\nkey:\t%s\nattempts:\t%d\naccepted at:\t%s\nfailed at:\t%s\nsize:\t%d bytes\nerror:\t%s\n",
			printable.Escape(dl.ID), printable.Escape(dl.Kind), printable.Escape(dl.Key), dl.Attempts, dl.AcceptedAt.Format(time.RFC3339Nano),
			dl.FailedAt.Format(time.RFC3339Nano), dl.Size, printable.Escape(dl.Error))
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(rest) == 2 {
			_, err = fmt.Fprintf(out, "\n%s\n", printable.EscapeLines(string(dl.Body)))
		}
		return err
	case cmd == "replay" && len(rest) == 1 && rest[0] == "--all":
		n, err := e.ReplayAll(ctx)
		fmt.Fprintf(out, "replayed %d dead letter(s)\n", n)
		return err
	case (cmd == "replay" || cmd == "discard") && len(rest) > 0:
		for _, id := range rest {
			var err error
			if cmd == "replay" {
				err = e.Replay(ctx, id)
			} else {
				err = e.Discard(ctx, id)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%sed %s\n", strings.TrimSuffix(cmd, "e"), id)
		}
		return nil
	}
	return fmt.Errorf("%w: %q\n%s", ErrUsage, strings.Join(args, " "), CommandUsage)
}

// DeadLettersCommand is [Command] as "deadletters" on the receiver's
// command line (package framework/cli): flags, when not nil, holds the
// program's own flags (where its engine is); the command adds --body and
// --all, and the flags may come before or after the words ("deadletters
// list --nats-url URL"). open attaches to the engine once the command
// line parsed, and the engine is closed when the command is done. Exit
// status: 0, 1 for an id that is not a dead letter or an engine that
// cannot be reached, 2 for a command line that does not parse.
func DeadLettersCommand(flags *flag.FlagSet, open func(ctx context.Context) (*Engine, error)) *cli.Command {
	fs := flags
	if fs == nil {
		fs = flag.NewFlagSet("deadletters", flag.ContinueOnError)
	}
	// Command's own words, given back to it after the others.
	body := fs.Bool("body", false, "show: also print the raw body")
	all := fs.Bool("all", false, "replay: every dead letter")
	c := &cli.Command{
		Name:    "deadletters",
		Args:    "list|show ID [--body]|replay ID...|--all|discard ID...",
		Summary: "List, show, replay or discard the durable mode's dead letters",
		Flags:   fs,
	}
	c.Run = func(ctx context.Context, words []string) error {
		if len(words) == 0 {
			return fmt.Errorf("%w: missing command\n%s", ErrUsage, CommandUsage)
		}
		if *body && (len(words) != 2 || words[0] != "show") || *all && (len(words) != 1 || words[0] != "replay") {
			return fmt.Errorf("%w: %q\n%s", ErrUsage, strings.Join(words, " "), CommandUsage)
		}
		if *body {
			words = append(words, "--body")
		}
		if *all {
			words = append(words, "--all")
		}
		e, err := open(ctx)
		if err != nil {
			return err
		}
		defer e.Close()
		return Command(ctx, e, words, c.Out())
	}
	return c
}
