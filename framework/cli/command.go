package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/retabhook/retabhook/internal/printable"
)

// ErrUsage is wrapped by the errors of a command line that does not
// parse: an unknown command, a bad flag, a missing argument.
// [Command.Execute] prints the message and the command's usage and exits
// with status 2 for them.
var ErrUsage = errors.New("usage")

// ExitCoder is an error that chooses its exit status: [Command.Execute]
// exits with ExitCode, printing the error's text when it is not empty
// (and the usage too when it also wraps [ErrUsage]).
type ExitCoder interface {
	error
	ExitCode() int
}

// Command is one command of a command line, such as "serve" or
// "schemas export DIR", or the program itself at the root:
//
//	root := cli.New(r, serve)
//	root.Add(&cli.Command{Name: "replay", Args: "FILE", Summary: "Send a saved delivery", Run: replay})
//	cli.Main(root)
type Command struct {
	// Name is the word that selects the command; for the root, the
	// program's name, used in messages and help.
	Name string
	// Aliases are other words that select it ("--version").
	Aliases []string
	// Args names the positional arguments in help ("DIR").
	Args string
	// Summary is the one-line help.
	Summary string
	// Usage, when set, is the command's help text, printed as it is
	// instead of the one built from the fields.
	Usage string
	// Flags are parsed before Run, which receives the arguments left;
	// flags may come before, between or after the positional arguments
	// ("--" ends them). nil means Run receives the arguments as given and
	// parses its own flags (as serve does, or with [Parse]). The values
	// stay in the flags' variables: a command executed twice in one
	// process keeps those the second run does not give (build the command
	// line once per run, as a process does).
	Flags *flag.FlagSet
	// Run runs the command with the positional arguments left after the
	// flags. It is nil for a command that only groups subcommands
	// ("schemas"). An error wrapping [ErrUsage] prints the usage.
	Run func(ctx context.Context, args []string) error
	// Commands are the subcommands.
	Commands []*Command
	// Default names the subcommand run when the arguments name none
	// ("serve" for a receiver).
	Default string
	// Stdout and Stderr are where commands write; nil means os.Stdout and
	// os.Stderr. Set on the root, they serve every command below it.
	Stdout, Stderr io.Writer

	parent *Command
}

// Add appends subcommands and returns c.
func (c *Command) Add(cmds ...*Command) *Command {
	for _, s := range cmds {
		s.parent = c
	}
	c.Commands = append(c.Commands, cmds...)
	return c
}

// Lookup returns the subcommand at a path of names or aliases
// (Lookup("schemas", "export")), or nil.
func (c *Command) Lookup(path ...string) *Command {
	cur := c
	for _, name := range path {
		i := slices.IndexFunc(cur.Commands, func(s *Command) bool { return s.Name == name || slices.Contains(s.Aliases, name) })
		if i < 0 {
			return nil
		}
		cur = cur.Commands[i]
	}
	return cur
}

// Out returns where c writes its output: its Stdout, else its parent's,
// else os.Stdout.
func (c *Command) Out() io.Writer {
	for x := c; x != nil; x = x.parent {
		if x.Stdout != nil {
			return x.Stdout
		}
	}
	return os.Stdout
}

// Err returns where c writes errors: its Stderr, else its parent's, else
// os.Stderr.
func (c *Command) Err() io.Writer {
	for x := c; x != nil; x = x.parent {
		if x.Stderr != nil {
			return x.Stderr
		}
	}
	return os.Stderr
}

// Path returns the command's words from the program name down
// ("invoice schemas export").
func (c *Command) Path() string {
	if c.parent == nil {
		return c.Name
	}
	return c.parent.Path() + " " + c.Name
}

// Main runs root with os.Args and exits with its status. Its context is
// cancelled on SIGINT and SIGTERM, so a long-running command (serve)
// should return when it is done.
func Main(root *Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := root.Execute(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// Execute runs the command line args (without the program name) and
// returns the exit status: 0 on success and for help (printed to Out); 2
// for a usage error, with the message and the usage printed to Err; the
// status an [ExitCoder] chooses; 1 for any other error. An error is
// printed as "PATH: message", PATH the words of the command that failed,
// its control characters escaped.
func (c *Command) Execute(ctx context.Context, args []string) int {
	cmd, err := c.run(ctx, args)
	var ec ExitCoder
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		cmd.PrintUsage(cmd.Out())
		return 0
	case errors.As(err, &ec):
		if msg := usageMessage(ec); msg != "" {
			fmt.Fprintf(cmd.Err(), "%s: %s\n", cmd.Path(), printable.EscapeLines(msg))
		}
		if errors.Is(err, ErrUsage) {
			fmt.Fprintln(cmd.Err())
			cmd.PrintUsage(cmd.Err())
		}
		return ec.ExitCode()
	case errors.Is(err, ErrUsage):
		if msg := usageMessage(err); msg != "" {
			fmt.Fprintf(cmd.Err(), "%s: %s\n\n", cmd.Path(), printable.EscapeLines(msg))
		}
		cmd.PrintUsage(cmd.Err())
		return 2
	default:
		fmt.Fprintf(cmd.Err(), "%s: %s\n", cmd.Path(), printable.EscapeLines(err.Error()))
		return 1
	}
}

// usageMessage is an error's text without ErrUsage's own.
func usageMessage(err error) string {
	msg := err.Error()
	if msg == ErrUsage.Error() {
		return ""
	}
	return strings.TrimPrefix(msg, ErrUsage.Error()+": ")
}

// Usagef returns an error wrapping [ErrUsage] with a message.
func Usagef(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, a...))
}

// run finds and runs the command args name, returning the command it
// reached (for messages).
func (c *Command) run(ctx context.Context, args []string) (*Command, error) {
	if len(args) > 0 {
		if sub := c.Lookup(args[0]); sub != nil {
			return sub.run(ctx, args[1:])
		}
	}
	if len(c.Commands) > 0 && len(args) > 0 && (args[0] == "help" || isHelp(args[0])) {
		if args[0] == "help" && len(args) > 1 {
			t := c.Lookup(args[1:]...)
			if t == nil {
				return c, Usagef("unknown command %s", printable.Quote(strings.Join(args[1:], " "), printable.MaxEcho))
			}
			t.PrintUsage(c.Out())
			return c, nil
		}
		c.PrintUsage(c.Out())
		return c, nil
	}
	if c.Run == nil {
		if len(args) > 0 && (c.Default == "" || !strings.HasPrefix(args[0], "-")) {
			return c, Usagef("unknown command %s", printable.Quote(args[0], printable.MaxEcho))
		}
		if d := c.Lookup(c.Default); c.Default != "" && d != nil {
			return d.run(ctx, args)
		}
		return c, ErrUsage
	}
	if c.Flags == nil {
		return c, c.Run(ctx, args)
	}
	c.Flags.SetOutput(io.Discard)
	rest, err := Parse(c.Flags, args)
	if err != nil {
		return c, err
	}
	return c, c.Run(ctx, rest)
}

// Parse parses the flags of fs in args, placed before, between or after
// the positional arguments (everything after "--" is positional), and
// returns the positional arguments. A bad flag is an error wrapping
// [ErrUsage]; -h is [flag.ErrHelp].
func Parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, tail = args[:i], args[i+1:]
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return append(pos, tail...), nil
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	if fs != nil {
		fs.VisitAll(func(*flag.Flag) { n++ })
	}
	return n > 0
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// PrintUsage writes the command's help: its Usage, or its synopsis,
// flags and subcommands.
func (c *Command) PrintUsage(w io.Writer) {
	if c.Usage != "" {
		fmt.Fprint(w, c.Usage)
		return
	}
	synopsis := c.Path()
	if len(c.Commands) > 0 {
		synopsis += " COMMAND"
	}
	if hasFlags(c.Flags) {
		synopsis += " [flags]"
	}
	if c.Args != "" {
		synopsis += " " + c.Args
	}
	fmt.Fprintf(w, "Usage: %s\n", synopsis)
	if c.Summary != "" {
		fmt.Fprintf(w, "\n%s\n", c.Summary)
	}
	if hasFlags(c.Flags) {
		fmt.Fprintf(w, "\nFlags:\n")
		c.Flags.SetOutput(w)
		c.Flags.PrintDefaults()
		c.Flags.SetOutput(io.Discard)
	}
	if len(c.Commands) > 0 {
		fmt.Fprintf(w, "\nCommands:\n")
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		var list func(prefix string, cmds []*Command)
		list = func(prefix string, cmds []*Command) {
			for _, s := range cmds {
				if s.Run != nil {
					line := strings.TrimSpace(prefix + s.Name + " " + s.Args)
					summary := s.Summary
					if c.Default == s.Name {
						summary += " (the default)"
					}
					fmt.Fprintf(tw, "  %s\t%s\n", line, summary)
				}
				list(prefix+s.Name+" ", s.Commands)
			}
		}
		list("", c.Commands)
		fmt.Fprintf(tw, "  help [COMMAND]\tShow this help, or a command's\n")
		tw.Flush()
	}
}
