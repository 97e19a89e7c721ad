package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/cli"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestQuarantineCommand: list, show, show --body, replay (refused again,
// then delivered after a fix), replay --all --kind and discard on a disk
// quarantine, with their exit statuses, the flags before or after the
// words.
func TestQuarantineCommand(t *testing.T) {
	dir := t.TempDir()
	store, err := framework.OpenDiskQuarantine(dir)
	require.NoError(t, err)
	newRouter := func(fixed bool) *framework.Router {
		r, err := framework.NewRouter(framework.WithSecrets("whsec_test"), framework.WithQuarantine(store), framework.WithLogger(slog.New(slog.DiscardHandler)))
		require.NoError(t, err)
		if fixed {
			framework.Handle(r, func(context.Context, cliEvent) error { return nil }, framework.WithKind("cli_invoice"))
		} else {
			framework.Handle(r, func(context.Context, cliInvoice) error { return nil })
		}
		return r
	}
	// An event where the router expects an invoice: refused, kept; the
	// fix registers the event type under that kind.
	body := fixtures.ContentEnvelope(`{"name":"Team \u001b[2Jmeeting","date":"2024-03-15"}`)
	w := httptest.NewRecorder()
	newRouter(false).ServeHTTP(w, retabtest.Signed("whsec_test", body).Request("/webhook"))
	require.Equal(t, 422, w.Code, w.Body.String())
	var doc framework.ProblemDocument
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	id := doc.QuarantineID
	require.NotEmpty(t, id)

	fixed := false
	opened := []bool{}
	cmd := func(args ...string) (int, string, string) {
		root := &cli.Command{Name: "receiver"}
		root.Add(cli.Quarantine(nil, func(ctx context.Context, replay bool) (cli.QuarantineSession, error) {
			opened = append(opened, replay)
			s := cli.QuarantineSession{Store: store}
			if replay {
				s.Router = newRouter(fixed)
			}
			return s, nil
		}))
		return run(t, root, args...)
	}

	code, out, errOut := cmd("quarantine", "list")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^ID\s+RECEIVED\s+KIND\s+PROBLEM\s+FIRST VIOLATION\n`+id+`\s+\S+\s+cli_invoice\s+schema-violation\s`, out)
	code, out, _ = cmd("quarantine", "show", id)
	require.Equal(t, 0, code)
	require.Contains(t, out, "path:         /webhook\n")
	require.Contains(t, out, "refusal:\n{\n")
	code, out, _ = cmd("quarantine", "show", id, "--body")
	require.Equal(t, 0, code)
	require.Equal(t, string(body), out, "--body writes the exact bytes")

	code, out, errOut = cmd("quarantine", "replay", id)
	require.Equal(t, 1, code)
	require.True(t, strings.HasPrefix(out, id+" refused again: schema-violation: /"), out)
	require.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 1)
	require.Equal(t, "receiver quarantine: "+id+" "+cli.ErrRefusedAgain.Error()+"\n", errOut)

	fixed = true
	code, out, _ = cmd("quarantine", "--kind", "cli_event", "replay", "--all")
	require.Equal(t, 0, code)
	require.Equal(t, "replayed 0 entr(ies): 0 delivered, 0 refused again\n", out)
	code, out, errOut = cmd("quarantine", "replay", "--all", "--kind", "cli_invoice")
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasPrefix(out, "replayed "+id+": processed (cli_invoice, "), out)
	code, out, _ = cmd("quarantine", "list")
	require.Equal(t, 0, code)
	require.Equal(t, "no quarantined deliveries\n", out)

	for _, args := range [][]string{{"show", id}, {"discard", id}, {"replay", id}} {
		code, _, errOut := cmd(append([]string{"quarantine"}, args...)...)
		require.Equal(t, 1, code, args)
		require.Contains(t, errOut, "no such quarantined delivery", args)
	}
	n := len(opened)
	for _, args := range [][]string{{}, {"frobnicate"}, {"show"}, {"replay"}, {"replay", "x", "--all"}, {"list", "x"}, {"list", "--nope"}} {
		code, out, errOut := cmd(append([]string{"quarantine"}, args...)...)
		require.Equal(t, 2, code, args)
		require.Empty(t, out)
		require.Contains(t, errOut, "Usage: receiver quarantine [flags] list|show ID", args)
	}
	require.Len(t, opened, n, "a command line that does not parse opens nothing")
	code, out, _ = cmd("quarantine", "-h")
	require.Equal(t, 0, code)
	require.Contains(t, out, "  -kind string\n")
}

// A session without a router cannot replay: an error, not a crash.
func TestQuarantineReplayNeedsARouter(t *testing.T) {
	store, err := framework.OpenDiskQuarantine(t.TempDir())
	require.NoError(t, err)
	root := &cli.Command{Name: "receiver"}
	closed := 0
	root.Add(cli.Quarantine(nil, func(context.Context, bool) (cli.QuarantineSession, error) {
		return cli.QuarantineSession{Store: store, Close: func() error { closed++; return nil }}, nil
	}))
	var errOut bytes.Buffer
	root.Stderr = &errOut
	require.Equal(t, 1, root.Execute(context.Background(), []string{"quarantine", "replay", "--all"}))
	require.Contains(t, errOut.String(), "no router to replay through")
	require.Equal(t, 1, closed, "the session is closed")
}
