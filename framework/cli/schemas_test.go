package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/cli"
	"github.com/retabhook/retabhook/schemas"
)

type cliInvoice struct {
	Number string       `json:"number"`
	Issued schemas.Date `json:"issued"`
	Total  float64      `json:"total"`
}

type cliEvent struct {
	Name string `json:"name"`
	Date string `json:"date"`
}

func cliRouter(t *testing.T, opts ...framework.HandleOption) *framework.Router {
	t.Helper()
	r, err := framework.NewRouter(framework.WithSecrets("whsec_test"))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, cliInvoice) error { return nil }, opts...)
	framework.Handle(r, func(context.Context, cliEvent) error { return nil })
	return r
}

// run executes a command line and returns its status, stdout and stderr.
func run(t *testing.T, cmd *cli.Command, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Name, cmd.Stdout, cmd.Stderr = "receiver", &out, &errOut
	code := cmd.Execute(context.Background(), args)
	return code, out.String(), errOut.String()
}

func TestCommandServeIsTheDefault(t *testing.T) {
	r := cliRouter(t)
	var got [][]string
	cmd := cli.New(r, func(ctx context.Context, args []string) error {
		require.NotNil(t, ctx)
		got = append(got, args)
		return nil
	})
	for _, args := range [][]string{{}, {"serve"}, {"-addr", ":9000"}, {"serve", "-addr=:9001", "extra"}} {
		code, _, stderr := run(t, cmd, args...)
		require.Equal(t, 0, code, stderr)
	}
	// serve receives its arguments as given: the program parses its flags.
	require.Equal(t, [][]string{{}, {}, {"-addr", ":9000"}, {"-addr=:9001", "extra"}}, got)

	failing := cli.New(r, func(context.Context, []string) error { return errors.New("port in use") })
	code, _, stderr := run(t, failing)
	require.Equal(t, 1, code)
	require.Equal(t, "receiver serve: port in use\n", stderr)

	code, _, stderr = run(t, cli.New(r, nil))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "no serve function")

	// A serve function that refuses its arguments with ErrUsage gets the
	// usage printed.
	strict := cli.New(r, func(_ context.Context, args []string) error {
		return fmt.Errorf("%w: unexpected %q", cli.ErrUsage, args)
	})
	code, _, stderr = run(t, strict, "serve", "x")
	require.Equal(t, 2, code)
	require.True(t, strings.HasPrefix(stderr, "receiver serve: unexpected [\"x\"]\n\nUsage: receiver serve [ARGS]"), stderr)

	// Help on the root lists the commands rather than running serve.
	code, stdout, _ := run(t, cmd, "-h")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "Usage: receiver COMMAND")
	require.Len(t, got, 4)
}

func TestCommandHelpAndUsage(t *testing.T) {
	cmd := cli.New(cliRouter(t), nil)
	cmd.Add(&cli.Command{Name: "replay", Args: "FILE", Summary: "Send a saved delivery again", Run: func(context.Context, []string) error { return nil }})
	code, stdout, _ := run(t, cmd, "help")
	require.Equal(t, 0, code)
	require.Equal(t, `Usage: receiver COMMAND

A Retab webhook receiver.

Commands:
  serve [ARGS]         Run the receiver (the default)
  schemas export DIR   Write DIR/<kind>.json for each registered type, and show its ids
  schemas check DIR    Compare DIR/<kind>.json with each registered type; fail on drift
  schemas report       Show what Retab's strict mode changes in each schema
  replay FILE          Send a saved delivery again
  help [COMMAND]       Show this help, or a command's
`, stdout)
	code, stdout, _ = run(t, cmd, "help", "schemas", "export")
	require.Equal(t, 0, code)
	require.True(t, strings.HasPrefix(stdout, "Usage: receiver schemas export [flags] DIR\n\nWrite DIR/<kind>.json for each registered type, and show its ids\n\nFlags:\n  -blocks\n"), stdout)
	require.Contains(t, stdout, `(default "retab-small")`)
	code, stdout, _ = run(t, cmd, "schemas", "-h")
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "Usage: receiver schemas COMMAND")

	for _, args := range [][]string{{"bogus"}, {"schemas"}, {"schemas", "nope"}, {"schemas", "export"}, {"schemas", "check", "a", "b"}, {"schemas", "report", "x"}} {
		code, stdout, stderr := run(t, cmd, args...)
		require.Equal(t, 2, code, args)
		require.Empty(t, stdout)
		require.Contains(t, stderr, "Usage: receiver", args)
	}
	_, _, stderr := run(t, cmd, "bogus")
	require.True(t, strings.HasPrefix(stderr, "receiver: unknown command \"bogus\"\n\nUsage: receiver COMMAND"), stderr)

	var got []string
	cmd.Lookup("replay").Run = func(_ context.Context, args []string) error { got = args; return nil }
	code, _, _ = run(t, cmd, "replay", "a.json")
	require.Equal(t, 0, code)
	require.Equal(t, []string{"a.json"}, got)
	require.Nil(t, cmd.Lookup("schemas", "nope"))
}

func TestCommandSchemasExportAndCheck(t *testing.T) {
	r := cliRouter(t)
	cmd := cli.New(r, nil)
	dir := filepath.Join(t.TempDir(), "schemas")

	code, stdout, stderr := run(t, cmd, "schemas", "export", dir)
	require.Equal(t, 0, code, stderr)
	for _, kind := range []string{"cli_invoice", "cli_event"} {
		s, ok := r.Schema(kind)
		require.True(t, ok)
		data, err := os.ReadFile(filepath.Join(dir, kind+".json"))
		require.NoError(t, err)
		require.Equal(t, string(s.JSON()), string(data))
		require.Contains(t, stdout, kind+".json")
		require.Contains(t, stdout, s.ID()+"  "+s.DataID())
	}
	require.True(t, strings.HasPrefix(stdout, "Wrote 2 schema file(s) to "+dir+":\n\nFILE"), stdout)

	code, stdout, _ = run(t, cmd, "schemas", "check", dir)
	require.Equal(t, 0, code)
	require.Contains(t, stdout, "All 2 schema file(s) in "+dir+" match their types.")

	// Reformatting a file is not drift: the documents are compared, not
	// their bytes.
	path := filepath.Join(dir, "cli_event.json")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, data))
	require.NoError(t, os.WriteFile(path, compact.Bytes(), 0o644))
	code, _, _ = run(t, cmd, "schemas", "check", dir)
	require.Equal(t, 0, code)

	// A field changes type in the file; a file is missing; another is
	// left over.
	inv := filepath.Join(dir, "cli_invoice.json")
	data, err = os.ReadFile(inv)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(inv, bytes.Replace(data, []byte(`"type": "number"`), []byte(`"type": "string"`), 1), 0o644))
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "old.json"), []byte(`{}`), 0o644))
	code, stdout, stderr = run(t, cmd, "schemas", "check", dir)
	require.Equal(t, 1, code)
	require.Contains(t, stdout, "cli_invoice.json: differs from kind cli_invoice")
	require.Contains(t, stdout, "  - total: the file says string, the struct (cliInvoice.Total) says number: change the field's Go type or the file\n")
	require.Contains(t, stdout, "cli_event.json: missing: kind cli_event has no schema file")
	require.Contains(t, stdout, `old.json: no registered type has kind "old"`)
	require.Contains(t, stdout, `3 schema file(s) out of date: run "receiver schemas export `+dir+`"`)
	require.Equal(t, "receiver schemas check: schema files out of date: 3 in "+dir+"\n", stderr)

	// Exporting again brings the directory back in line (the left-over
	// file stays: deleting is the user's call).
	require.NoError(t, os.Remove(filepath.Join(dir, "old.json")))
	code, _, _ = run(t, cmd, "schemas", "export", dir)
	require.Equal(t, 0, code)
	code, _, _ = run(t, cmd, "schemas", "check", dir)
	require.Equal(t, 0, code)
}

// TestCommandCheckWithSchema: for a kind registered with WithSchema, check
// also compares that schema with the struct.
func TestCommandCheckWithSchema(t *testing.T) {
	file, err := schemas.Parse([]byte(`{"type":"object","properties":{"number":{"type":"string"},"issued":{"type":"string"},"vendor":{"type":"string"}},"required":["number","issued","vendor"]}`))
	require.NoError(t, err)
	r := cliRouter(t, framework.WithSchema(file))
	cmd := cli.New(r, nil)
	dir := t.TempDir()
	code, _, _ := run(t, cmd, "schemas", "export", dir)
	require.Equal(t, 0, code)
	data, err := os.ReadFile(filepath.Join(dir, "cli_invoice.json"))
	require.NoError(t, err)
	require.Equal(t, string(file.JSON()), string(data)) // the schema deliveries are validated with
	code, stdout, _ := run(t, cmd, "schemas", "check", dir)
	require.Equal(t, 1, code)
	require.Contains(t, stdout, "the schema kind cli_invoice is validated against (WithSchema) and its Go type cli_test.cliInvoice disagree:")
	require.Contains(t, stdout, "  - vendor: in the file but not in the struct: add a field with `json:\"vendor\"` to cliInvoice")
	require.Contains(t, stdout, "  - total: in the struct (cliInvoice.Total) but not in the file")
}

func TestCommandSchemasReport(t *testing.T) {
	type counted struct {
		N int `json:"n"`
	}
	r, err := framework.NewRouter(framework.WithSecrets("s"))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, counted) error { return nil })
	code, stdout, _ := run(t, cli.New(r, nil), "schemas", "report")
	require.Equal(t, 0, code)
	s, _ := r.Schema("counted")
	require.Equal(t, "counted ("+s.ID()+"): 1 note(s)\n  - [strict-integer] /properties/n: integer is shown to the model as number: an answer such as 3.0 is read as 3, and a fractional answer fails validation\n", stdout)
}

func TestCommandSchemasNeedATypes(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets("s"))
	require.NoError(t, err)
	for _, args := range [][]string{{"schemas", "export", t.TempDir()}, {"schemas", "check", t.TempDir()}, {"schemas", "report"}} {
		code, _, stderr := run(t, cli.New(r, nil), args...)
		require.Equal(t, 1, code)
		require.Contains(t, stderr, "no type is registered")
	}
}

func TestCommandRefusesKindsThatAreNotFileNames(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets("s"))
	require.NoError(t, err)
	// Registration refuses a kind that cannot be a path segment, so the
	// command never sees one that cannot name a file.
	err = framework.HandleSafely(r, func(context.Context, cliEvent) error { return nil }, framework.WithKind("../escape"))
	require.ErrorIs(t, err, framework.ErrRegistration)
	require.ErrorContains(t, err, `kind "../escape" cannot be a path segment`)
}

// TestCommandSchemasReportOverlaps: report lists, for each kind, the other
// kinds whose schema accepts a common instance.
func TestCommandSchemasReportOverlaps(t *testing.T) {
	type looseNote struct {
		Text string `json:"text,omitempty"`
	}
	type looseTally struct {
		Count int `json:"count,omitempty"`
	}
	r, err := framework.NewRouter(framework.WithSecrets("s"), framework.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, looseNote) error { return nil })
	framework.Handle(r, func(context.Context, looseTally) error { return nil })
	framework.Handle(r, func(context.Context, cliEvent) error { return nil })
	code, out, _ := run(t, cli.New(r, nil), "schemas", "report")
	require.Equal(t, 0, code)
	require.Contains(t, out, "  - [overlap] loose_note and loose_tally both accept {}")
	require.Contains(t, out, "  - [overlap] loose_tally and loose_note both accept {}")
	require.NotContains(t, out, "cli_event and")
}
