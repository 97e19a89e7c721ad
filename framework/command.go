package framework

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/retabhook/retabhook/schemas"
)

// ErrUsage is wrapped by the errors of a command line that does not
// parse: an unknown command, a bad flag, a missing argument.
// [Command.Execute] exits with status 2 for them.
var ErrUsage = errors.New("retabhook: usage")

// ErrSchemaDrift is returned by "schemas check" when a schema file no
// longer matches its registered type.
var ErrSchemaDrift = errors.New("retabhook: schema files out of date")

// ServeFunc runs the receiver until ctx is done. args are the arguments
// given to "serve" (or to the program, when it names no command), flags
// included: the program parses its own serve flags. Under [Main], ctx is
// cancelled on SIGINT and SIGTERM.
type ServeFunc func(ctx context.Context, args []string) error

// Command is one command of a receiver's command line, such as "serve" or
// "schemas export DIR". [Router.Command] builds the standard command line;
// a program adds its own commands with [Command.Add]:
//
//	cmd := r.Command(serve)
//	cmd.Add(&framework.Command{Name: "replay", Args: "FILE", Summary: "Send a saved delivery", Run: replay})
//	os.Exit(cmd.Execute(ctx, os.Args[1:]))
type Command struct {
	// Name is the word that selects the command; for the root, the
	// program's name, used in help.
	Name string
	// Args names the positional arguments in help ("DIR").
	Args string
	// Summary is the one-line help.
	Summary string
	// Flags are parsed before Run, which receives the arguments left; nil
	// means Run receives the arguments as given (and parses its own flags,
	// as serve does). Create it with flag.ContinueOnError, so that a bad
	// flag is reported, not fatal.
	Flags *flag.FlagSet
	// Run runs the command with the positional arguments left after the
	// flags. It is nil for a command that only groups subcommands
	// ("schemas"). An error wrapping [ErrUsage] prints the usage.
	Run func(ctx context.Context, args []string) error
	// Commands are the subcommands.
	Commands []*Command
	// Default names the subcommand run when the arguments name none
	// ("serve" for the root).
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

// Lookup returns the subcommand at a path of names (Lookup("schemas",
// "export")), or nil.
func (c *Command) Lookup(path ...string) *Command {
	cur := c
	for _, name := range path {
		var next *Command
		for _, s := range cur.Commands {
			if s.Name == name {
				next = s
			}
		}
		if next == nil {
			return nil
		}
		cur = next
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

// Err returns where c writes errors and help: its Stderr, else its
// parent's, else os.Stderr.
func (c *Command) Err() io.Writer {
	for x := c; x != nil; x = x.parent {
		if x.Stderr != nil {
			return x.Stderr
		}
	}
	return os.Stderr
}

// path returns the command's words from the program name down.
func (c *Command) path() string {
	if c.parent == nil {
		return c.Name
	}
	return c.parent.path() + " " + c.Name
}

func (c *Command) root() *Command {
	for c.parent != nil {
		c = c.parent
	}
	return c
}

// Execute runs the command line args (without the program name) and
// returns the exit status: 0 on success and for help, 2 for a usage error
// (with the usage printed), 1 for any other error (printed to Err).
func (c *Command) Execute(ctx context.Context, args []string) int {
	cmd, err := c.run(ctx, args)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, ErrUsage):
		fmt.Fprintf(cmd.Err(), "%s: %s\n\n", c.root().Name, strings.TrimPrefix(err.Error(), ErrUsage.Error()+": "))
		cmd.usage(cmd.Err())
		return 2
	default:
		fmt.Fprintf(cmd.Err(), "%s: %v\n", c.root().Name, err)
		return 1
	}
}

// run finds and runs the command args name, returning the command it
// reached (for messages).
func (c *Command) run(ctx context.Context, args []string) (*Command, error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if sub := c.Lookup(args[0]); sub != nil {
			return sub.run(ctx, args[1:])
		}
		if args[0] == "help" {
			target := c
			if len(args) > 1 {
				if t := c.Lookup(args[1:]...); t != nil {
					target = t
				}
			}
			target.usage(c.Out())
			return c, nil
		}
		if c.Run == nil {
			return c, fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
		}
	}
	if c.Run == nil {
		if len(args) > 0 && isHelp(args[0]) {
			c.usage(c.Out())
			return c, nil
		}
		if d := c.Lookup(c.Default); c.Default != "" && d != nil {
			return d.run(ctx, args)
		}
		return c, fmt.Errorf("%w: %s needs a command", ErrUsage, c.path())
	}
	fs := c.Flags
	if fs == nil {
		return c, c.Run(ctx, args)
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.usage(c.Out())
			return c, err
		}
		return c, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	return c, c.Run(ctx, fs.Args())
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	if fs != nil {
		fs.VisitAll(func(*flag.Flag) { n++ })
	}
	return n > 0
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// usage writes the command's help: its synopsis, flags and subcommands.
func (c *Command) usage(w io.Writer) {
	synopsis := c.path()
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

// Command returns the receiver's command line, for a program such as
// examples/invoice to run instead of serving directly:
//
//	PROGRAM [serve] [ARGS]      run serve with ARGS (the default)
//	PROGRAM schemas export DIR  write DIR/<kind>.json for every registered type, and print its ids
//	PROGRAM schemas check DIR   compare DIR/<kind>.json with every registered type; exit 1 with a readable diff on drift
//	PROGRAM schemas report      print what Retab's strict mode changes in each schema
//	PROGRAM help [COMMAND]
//
// The schema commands use the handlers registered on r when they run, so
// the command line can be built before or after registration. "schemas
// check" is the CI drift check: it fails when a file is missing, differs
// from the schema its type derives now, or is left over from a kind no
// longer registered, and, for a kind registered with [WithSchema], when
// the struct and the schema it is validated against disagree on fields,
// types or required-ness.
func (r *Router) Command(serve ServeFunc) *Command {
	root := &Command{Name: filepath.Base(os.Args[0]), Default: "serve"}
	root.Summary = "A Retab webhook receiver."
	serveCmd := &Command{
		Name:    "serve",
		Args:    "[ARGS]",
		Summary: "Run the receiver",
		Run: func(ctx context.Context, args []string) error {
			if serve == nil {
				return errors.New("no serve function given to Router.Command")
			}
			return serve(ctx, args)
		},
	}
	schemasCmd := &Command{Name: "schemas", Summary: "Export, check and review the schemas of the registered types"}
	export := &Command{Flags: flag.NewFlagSet("export", flag.ContinueOnError), Name: "export", Args: "DIR", Summary: "Write DIR/<kind>.json for each registered type, and show its ids"}
	blocks := export.Flags.Bool("blocks", false, "also write DIR/blocks/<kind>.extract.json (a workflow Extract block's configuration, the schema inline) and, on an API Call router, DIR/blocks/<kind>.api_call.json (the API Call block's)")
	var bo blockOptions
	export.Flags.StringVar(&bo.model, "model", "retab-small", "the Extract block's model (with -blocks)")
	export.Flags.StringVar(&bo.url, "url", "https://receiver.example/call/{kind}", "the API Call block's URL, {kind} replaced by the kind (with -blocks)")
	export.Run = func(_ context.Context, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("%w: schemas export needs one DIR", ErrUsage)
		}
		if err := r.exportSchemas(args[0], export.Out(), root.Name); err != nil || !*blocks {
			return err
		}
		written, err := r.writeBlocks(args[0], bo)
		if err != nil {
			return err
		}
		fmt.Fprintf(export.Out(), "\nWrote %d block configuration(s) to paste into Retab's workflow editor:\n", len(written))
		for _, w := range written {
			fmt.Fprintf(export.Out(), "  %s\n", filepath.Join(args[0], w))
		}
		return nil
	}
	check := &Command{Flags: flag.NewFlagSet("check", flag.ContinueOnError), Name: "check", Args: "DIR", Summary: "Compare DIR/<kind>.json with each registered type; fail on drift"}
	check.Run = func(_ context.Context, args []string) error {
		if len(args) != 1 {
			return fmt.Errorf("%w: schemas check needs one DIR", ErrUsage)
		}
		return r.checkSchemas(args[0], check.Out(), root.Name)
	}
	report := &Command{Flags: flag.NewFlagSet("report", flag.ContinueOnError), Name: "report", Summary: "Show what Retab's strict mode changes in each schema"}
	report.Run = func(_ context.Context, args []string) error {
		if len(args) != 0 {
			return fmt.Errorf("%w: schemas report takes no arguments", ErrUsage)
		}
		return r.reportSchemas(report.Out())
	}
	schemasCmd.Add(export, check, report)
	return root.Add(serveCmd, schemasCmd)
}

// Main runs r's command line ([Router.Command]) with os.Args, extra
// commands added, and exits with its status. Its context is cancelled on
// SIGINT and SIGTERM, so serve should return when it is done.
func Main(r *Router, serve ServeFunc, extra ...*Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := r.Command(serve).Add(extra...).Execute(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// schemaFile returns the file name of a kind's schema.
func schemaFile(kind string) (string, error) {
	name := kind + ".json"
	if strings.ContainsAny(kind, `/\`) || !filepath.IsLocal(name) {
		return "", fmt.Errorf("kind %q cannot name a file: give it another name with WithKind", kind)
	}
	return name, nil
}

func (r *Router) exportSchemas(dir string, out io.Writer, prog string) error {
	kinds := r.Kinds()
	if len(kinds) == 0 {
		return errors.New("no type is registered: nothing to export")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(out, "Wrote %d schema file(s) to %s:\n\n", len(kinds), dir)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "FILE\tID\tDATA ID\n")
	warnings := 0
	for _, kind := range kinds {
		s, _ := r.Schema(kind)
		name, err := schemaFile(kind)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, s.JSON(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, s.ID(), s.DataID())
		warnings += len(s.Warnings())
	}
	tw.Flush()
	if warnings > 0 {
		fmt.Fprintf(out, "\n%d note(s) on what Retab's strict mode changes: run %q to read them.\n", warnings, prog+" schemas report")
	}
	return nil
}

func (r *Router) checkSchemas(dir string, out io.Writer, prog string) error {
	kinds := r.Kinds()
	if len(kinds) == 0 {
		return errors.New("no type is registered: nothing to check")
	}
	stale := 0
	files := map[string]bool{}
	for _, kind := range kinds {
		s, _ := r.Schema(kind)
		name, err := schemaFile(kind)
		if err != nil {
			return err
		}
		files[name] = true
		ok, lines := r.checkOne(kind, s, dir, name)
		if !ok {
			stale++
		}
		for _, l := range lines {
			fmt.Fprintln(out, l)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || files[e.Name()] {
			continue
		}
		stale++
		fmt.Fprintf(out, "%s: no registered type has kind %q: delete the file, or register the type again\n",
			e.Name(), strings.TrimSuffix(e.Name(), ".json"))
	}
	blockStale, blockLines := r.checkBlocks(dir)
	for _, l := range blockLines {
		fmt.Fprintln(out, l)
	}
	stale += blockStale
	if stale > 0 {
		fmt.Fprintf(out, "\n%d schema file(s) out of date: run %q, review the diff, and upload the changed schemas to Retab.\n",
			stale, prog+" schemas export "+dir)
		return fmt.Errorf("%w: %d in %s", ErrSchemaDrift, stale, dir)
	}
	fmt.Fprintf(out, "\nAll %d schema file(s) in %s match their types.\n", len(kinds), dir)
	return nil
}

// checkOne compares a kind's file with its registered schema and, for a
// schema given with WithSchema, the schema with the struct.
func (r *Router) checkOne(kind string, s *schemas.Schema, dir, path string) (bool, []string) {
	var lines []string
	ok := true
	data, err := os.ReadFile(filepath.Join(dir, path))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, []string{fmt.Sprintf("%s: missing: kind %s has no schema file (%s)", path, kind, s.ID())}
	case err != nil:
		return false, []string{fmt.Sprintf("%s: %v", path, err)}
	}
	file, err := schemas.Parse(data)
	switch {
	case err != nil:
		ok = false
		lines = append(lines, fmt.Sprintf("%s: not a schema: %v", path, err))
	case file.Equal(s):
		lines = append(lines, fmt.Sprintf("%s: up to date (%s)", path, s.ID()))
	default:
		ok = false
		lines = append(lines, fmt.Sprintf("%s: differs from kind %s (file %s, type %s; data ids %s)", path, kind, file.ID(), s.ID(), sameOrNot(file.DataID() == s.DataID())))
		diffs := schemas.Compare(file, s)
		for _, d := range diffs {
			lines = append(lines, "  - "+d.String())
		}
		if len(diffs) == 0 {
			lines = append(lines, "  - the documents differ outside the fields (for example in the names of $defs)")
		}
	}

	// A schema given with WithSchema is validated against, and the struct
	// decodes what it lets through: they must agree on the data.
	rt := r.routeOf(kind)
	derived, err := schemas.ForType(rt.typ, r.cfg.schemaOptions...)
	if err == nil && !derived.Equal(s) {
		var structural []schemas.Difference
		for _, d := range schemas.Compare(s, derived) {
			if d.Structural() {
				structural = append(structural, d)
			}
		}
		if len(structural) > 0 {
			ok = false
			lines = append(lines, fmt.Sprintf("%s: the schema kind %s is validated against (WithSchema) and its Go type %s disagree:", path, kind, rt.typ))
			for _, d := range structural {
				lines = append(lines, "  - "+d.String())
			}
		}
	}
	return ok, lines
}

func sameOrNot(same bool) string {
	if same {
		return "equal: only descriptions, titles or prompts changed"
	}
	return "differ: the data shape changed"
}

func (r *Router) routeOf(kind string) *route {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.routes[kind]
}

func (r *Router) reportSchemas(out io.Writer) error {
	kinds := r.Kinds()
	if len(kinds) == 0 {
		return errors.New("no type is registered: nothing to report")
	}
	for i, kind := range kinds {
		s, _ := r.Schema(kind)
		if i > 0 {
			fmt.Fprintln(out)
		}
		ws := s.Warnings()
		overlaps := r.overlapNotes(kind)
		fmt.Fprintf(out, "%s (%s): %d note(s)\n", kind, s.ID(), len(ws)+len(overlaps))
		for _, w := range ws {
			fmt.Fprintf(out, "  - [%s] %s\n", w.Code, w)
		}
		for _, o := range overlaps {
			fmt.Fprintf(out, "  - [overlap] %s\n", o)
		}
	}
	return nil
}
