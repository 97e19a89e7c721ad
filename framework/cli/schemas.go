package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/schemas"
)

// ErrSchemaDrift is returned by "schemas check" when a schema file no
// longer matches its registered type.
var ErrSchemaDrift = errors.New("schema files out of date")

// ServeFunc runs the receiver until ctx is done. args are the arguments
// given to "serve" (or to the program, when it names no command), flags
// included: the program parses its own serve flags. Under [Main], ctx is
// cancelled on SIGINT and SIGTERM.
type ServeFunc func(ctx context.Context, args []string) error

// New returns the receiver's command line, for a program such as
// examples/invoice to run with [Main] instead of serving directly:
//
//	PROGRAM [serve] [ARGS]      run serve with ARGS (the default)
//	PROGRAM schemas export DIR  write DIR/<kind>.json for every registered type, and print its ids
//	PROGRAM schemas check DIR   compare DIR/<kind>.json with every registered type; exit 1 with a readable diff on drift
//	PROGRAM schemas report      print what Retab's strict mode changes in each schema
//	PROGRAM help [COMMAND]
//
// The schema commands ([Schemas]) use the handlers registered on r when
// they run, so
// the command line can be built before or after registration. "schemas
// check" is the CI drift check: it fails when a file is missing, differs
// from the schema its type derives now, or is left over from a kind no
// longer registered, and, for a kind registered with [WithSchema], when
// the struct and the schema it is validated against disagree on fields,
// types or required-ness.
func New(r *framework.Router, serve ServeFunc) *Command {
	root := &Command{Name: filepath.Base(os.Args[0]), Default: "serve"}
	root.Summary = "A Retab webhook receiver."
	return root.Add(Serve(serve), Schemas(r))
}

// Serve is "serve [ARGS]", which runs serve with the arguments as given.
func Serve(serve ServeFunc) *Command {
	return &Command{
		Name:    "serve",
		Args:    "[ARGS]",
		Summary: "Run the receiver",
		Run: func(ctx context.Context, args []string) error {
			if serve == nil {
				return errors.New("no serve function given to cli.Serve")
			}
			return serve(ctx, args)
		},
	}
}

// Schemas is "schemas export|check|report" for the types registered on
// r (a program may rename it, as examples/invoice's "api-call-schemas"
// for its API Call router). Its messages name the commands under the
// program's name.
func Schemas(r *framework.Router) *Command {
	schemasCmd := &Command{Name: "schemas", Summary: "Export, check and review the schemas of the registered types"}
	export := &Command{Flags: flag.NewFlagSet("export", flag.ContinueOnError), Name: "export", Args: "DIR", Summary: "Write DIR/<kind>.json for each registered type, and show its ids"}
	blocks := export.Flags.Bool("blocks", false, "also write DIR/blocks/<kind>.extract.json (a workflow Extract block's configuration, the schema inline) and, on an API Call router, DIR/blocks/<kind>.api_call.json (the API Call block's)")
	var bo blockOptions
	export.Flags.StringVar(&bo.model, "model", "retab-small", "the Extract block's model (with -blocks)")
	export.Flags.StringVar(&bo.url, "url", "https://receiver.example/call/{kind}", "the API Call block's URL, {kind} replaced by the kind (with -blocks)")
	export.Run = func(_ context.Context, args []string) error {
		if len(args) != 1 {
			return Usagef("schemas export needs one DIR")
		}
		if err := exportSchemas(r, args[0], export.Out(), schemasCmd.Path()); err != nil || !*blocks {
			return err
		}
		written, err := writeBlocks(r, args[0], bo)
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
			return Usagef("schemas check needs one DIR")
		}
		return checkSchemas(r, args[0], check.Out(), schemasCmd.Path())
	}
	report := &Command{Flags: flag.NewFlagSet("report", flag.ContinueOnError), Name: "report", Summary: "Show what Retab's strict mode changes in each schema"}
	report.Run = func(_ context.Context, args []string) error {
		if len(args) != 0 {
			return Usagef("schemas report takes no arguments")
		}
		return reportSchemas(r, report.Out())
	}
	return schemasCmd.Add(export, check, report)
}

// schemaFile returns the file name of a kind's schema.
func schemaFile(kind string) (string, error) {
	name := kind + ".json"
	if strings.ContainsAny(kind, `/\`) || !filepath.IsLocal(name) {
		return "", fmt.Errorf("kind %q cannot name a file: give it another name with WithKind", kind)
	}
	return name, nil
}

func exportSchemas(r *framework.Router, dir string, out io.Writer, cmd string) error {
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
		fmt.Fprintf(out, "\n%d note(s) on what Retab's strict mode changes: run %q to read them.\n", warnings, cmd+" report")
	}
	return nil
}

func checkSchemas(r *framework.Router, dir string, out io.Writer, cmd string) error {
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
		ok, lines := checkOne(r, kind, s, dir, name)
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
	blockStale, blockLines := checkBlocks(r, dir)
	for _, l := range blockLines {
		fmt.Fprintln(out, l)
	}
	stale += blockStale
	if stale > 0 {
		fmt.Fprintf(out, "\n%d schema file(s) out of date: run %q, review the diff, and upload the changed schemas to Retab.\n",
			stale, cmd+" export "+dir)
		return fmt.Errorf("%w: %d in %s", ErrSchemaDrift, stale, dir)
	}
	fmt.Fprintf(out, "\nAll %d schema file(s) in %s match their types.\n", len(kinds), dir)
	return nil
}

// checkOne compares a kind's file with its registered schema and, for a
// schema given with WithSchema, the schema with the struct.
func checkOne(r *framework.Router, kind string, s *schemas.Schema, dir, path string) (bool, []string) {
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
	typ, derived, err := r.TypeSchema(kind)
	if err == nil && !derived.Equal(s) {
		var structural []schemas.Difference
		for _, d := range schemas.Compare(s, derived) {
			if d.Structural() {
				structural = append(structural, d)
			}
		}
		if len(structural) > 0 {
			ok = false
			lines = append(lines, fmt.Sprintf("%s: the schema kind %s is validated against (WithSchema) and its Go type %s disagree:", path, kind, typ))
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

func reportSchemas(r *framework.Router, out io.Writer) error {
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
		overlaps := r.Overlaps(kind)
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
