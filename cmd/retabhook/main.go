// Command retabhook signs, verifies, sends, replays and records Retab
// webhook deliveries, to exercise a receiver before Retab points at it and
// to debug a delivery that went wrong.
//
//	go install ./cmd/retabhook   # from a checkout; the module is not published yet
//
//	retabhook sign    [-secret S] [FILE]                 print the signature of a body
//	retabhook verify  -signature HEX [-secret S] [FILE]  check a body (exit status tells)
//	retabhook send    -content FILE [flags] URL          build, sign and POST a delivery
//	retabhook replay  [flags] URL FILE|DIR...            re-send captured bodies, freshly signed
//	retabhook listen  [-addr A] [-dir D] [flags]         receive, verify and record deliveries
//
// The secret comes from -secret or, when that is not given, from the
// WEBHOOKS_SECRET environment variable. Run "retabhook help COMMAND" for a
// command's flags.
//
// Exit status: 0 success; 1 refused (the receiver answered other than 2xx,
// or a signature does not match); 2 usage or input error (bad flags, no
// secret, an unreadable or invalid file); 3 network error (the receiver
// could not be reached, or listen could not bind its address).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	clifw "github.com/retabhook/retabhook/framework/cli"
)

// Exit statuses.
const (
	exitOK          = 0
	exitRefused     = 1
	exitUsage       = 2
	exitUnreachable = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// cli is one invocation: its streams and environment, so that every
// command runs the same in a test as in a process.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// command is a subcommand: its name, one-line summary, usage text and
// entry point.
type command struct {
	name, summary, usage string
	run                  func(c *cli, ctx context.Context, args []string) error
}

// commands lists the subcommands in the order the usage shows them.
func commands() []command {
	return []command{
		{"sign", "print the signature of a body", signUsage, (*cli).sign},
		{"verify", "check a body against a signature (the exit status tells)", verifyUsage, (*cli).verify},
		{"send", "build a delivery from a content file, sign it and POST it", sendUsage, (*cli).send},
		{"replay", "re-send captured bodies with a fresh signature", replayUsage, (*cli).replay},
		{"listen", "receive, verify and record deliveries in a folder", listenUsage, (*cli).listen},
	}
}

const exitStatuses = `Exit status:
  0  success
  1  refused: the receiver answered other than 2xx, or the signature does not match
  2  usage or input error: bad flags, no secret, an unreadable or invalid file
  3  network error: the receiver could not be reached, or listen could not bind
`

func mainUsage() string {
	var b strings.Builder
	b.WriteString(`retabhook signs, verifies, sends, replays and records Retab webhook deliveries.

Usage:
  retabhook <command> [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString(`  version  print the version

The secret comes from -secret or, when it is not given, from WEBHOOKS_SECRET:
the webhook secret shown in Retab's dashboard.

`)
	b.WriteString(exitStatuses)
	b.WriteString("\nRun 'retabhook help <command>' for a command's flags.\n")
	return b.String()
}

// run is the whole program: it returns the exit status. The dispatcher
// is the receivers' own (framework/cli): it prints help, the usage of a
// command that was given bad flags, and each error as "retabhook
// COMMAND: message".
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := &clifw.Command{Name: "retabhook", Usage: mainUsage(), Stdout: stdout, Stderr: stderr}
	for _, cmd := range commands() {
		root.Add(&clifw.Command{Name: cmd.name, Summary: cmd.summary, Usage: cmd.usage,
			Run: func(ctx context.Context, args []string) error { return cmd.run(c, ctx, args) }})
	}
	root.Add(&clifw.Command{Name: "version", Aliases: []string{"-version", "--version"}, Summary: "print the version",
		Run: func(context.Context, []string) error {
			fmt.Fprintln(stdout, "retabhook", version())
			return nil
		}})
	return root.Execute(ctx, args)
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// exitError ends a command with an exit status and a message that says
// what to do.
type exitError struct {
	code      int
	msg       string
	showUsage bool
}

func (e *exitError) Error() string { return e.msg }

// ExitCode is the status the program exits with.
func (e *exitError) ExitCode() int { return e.code }

// Is makes an error that asks for the usage a usage error, which the
// dispatcher prints the command's usage for.
func (e *exitError) Is(target error) bool { return e.showUsage && target == clifw.ErrUsage }

func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, a...), showUsage: true}
}

func inputErr(format string, a ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, a...)}
}

func refused(format string, a ...any) error {
	return &exitError{code: exitRefused, msg: fmt.Sprintf(format, a...)}
}

func unreachable(format string, a ...any) error {
	return &exitError{code: exitUnreachable, msg: fmt.Sprintf(format, a...)}
}

// silent ends a command with a status whose explanation was already
// printed.
func silent(code int) error { return &exitError{code: code} }

// newFlags returns a flag set that reports errors to the caller instead
// of printing them.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses flags placed before, between or after the positional
// arguments (everything after "--" is positional) and returns the
// positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) { return clifw.Parse(fs, args) }

// secretsFlag collects -secret, which may be repeated.
type secretsFlag []string

func (s *secretsFlag) String() string { return fmt.Sprintf("%d secret(s)", len(*s)) }

func (s *secretsFlag) Set(v string) error {
	if v == "" {
		return errors.New("empty secret")
	}
	*s = append(*s, v)
	return nil
}

const noSecretHelp = "no secret: pass -secret or set WEBHOOKS_SECRET to the webhook secret shown in Retab's dashboard (or the one your receiver uses)"

// secrets returns the -secret values, or WEBHOOKS_SECRET.
func (c *cli) secrets(flagged []string) ([]string, error) {
	if len(flagged) > 0 {
		return flagged, nil
	}
	if s := c.getenv("WEBHOOKS_SECRET"); s != "" {
		return []string{s}, nil
	}
	return nil, inputErr(noSecretHelp)
}

// secret returns the one secret to sign with.
func (c *cli) secret(flagged string) (string, error) {
	if flagged != "" {
		return flagged, nil
	}
	s, err := c.secrets(nil)
	if err != nil {
		return "", err
	}
	return s[0], nil
}

// readInput reads a file, or stdin for "" and "-".
func (c *cli) readInput(name, what string) ([]byte, error) {
	if name == "" || name == "-" {
		b, err := io.ReadAll(c.stdin)
		if err != nil {
			return nil, inputErr("reading %s from standard input: %v", what, err)
		}
		return b, nil
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, inputErr("reading %s: %v", what, err)
	}
	return b, nil
}

// headersFlag collects -H "Name: value".
type headersFlag [][2]string

func (h *headersFlag) String() string { return fmt.Sprintf("%d header(s)", len(*h)) }

func (h *headersFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return fmt.Errorf("header %q: want \"Name: value\"", v)
	}
	*h = append(*h, [2]string{name, strings.TrimSpace(value)})
	return nil
}
