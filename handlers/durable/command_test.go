package durable_test

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework/cli"
	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/durable/embedded"
)

func TestCommand(t *testing.T) {
	e := openEngine(t, append(fast(t.TempDir()), durable.WithMaxAttempts(1))...)
	var fixed atomic.Bool
	ta := newTally()
	r := newRouter(t, e, func(ctx context.Context, ev Event) error {
		if !fixed.Load() {
			return errors.New("supplier \"ACME\" unknown\x1b[2J\nFORGED")
		}
		ta.record(ctx, true)
		return nil
	})
	srv := serve(t, r)
	var ids []string
	for n := range 3 {
		rep, err := send(srv.Client(), srv.URL, eventBody(n), secret)
		require.NoError(t, err)
		require.Equal(t, http.StatusAccepted, rep.Code)
		ids = append(ids, rep.DeliveryID)
	}
	run(t, e, r)
	ctx := context.Background()
	waitFor(t, 10*time.Second, "three dead letters", func() bool {
		dls, _ := e.DeadLetters(ctx)
		return len(dls) == 3
	})
	cmd := func(args ...string) (string, error) {
		var b strings.Builder
		err := durable.Command(ctx, e, args, &b)
		return b.String(), err
	}

	out, err := cmd("list")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4)
	require.Regexp(t, `^ID\s+KIND\s+ATTEMPTS\s+FAILED AT\s+SIZE\s+ERROR$`, lines[0])
	for _, id := range ids {
		require.Contains(t, out, id)
	}
	require.Regexp(t, `dlv2_\w+\s+event\s+1\s+\S+\s+\d+\s+retabhook: handler failed: event: supplier "ACME" unknown\\x1b\[2J(\\n| )FORGED`, lines[1])
	require.NotContains(t, out, "\x1b", "a handler's error reaches the terminal escaped")

	out, err = cmd("show", ids[0])
	require.NoError(t, err)
	require.Contains(t, out, "kind:         event")
	require.Contains(t, out, "attempts:     1")
	require.Contains(t, out, `unknown\x1b[2J`)
	require.NotContains(t, out, "\x1b")
	require.NotContains(t, out, "completion")
	out, err = cmd("show", ids[0], "--body")
	require.NoError(t, err)
	require.Contains(t, out, string(eventBody(0)))

	out, err = cmd("discard", ids[2])
	require.NoError(t, err)
	require.Equal(t, "discarded "+ids[2]+"\n", out)
	fixed.Store(true)
	out, err = cmd("replay", ids[0])
	require.NoError(t, err)
	require.Equal(t, "replayed "+ids[0]+"\n", out)
	out, err = cmd("replay", "--all")
	require.NoError(t, err)
	require.Equal(t, "replayed 1 dead letter(s)\n", out)
	waitFor(t, 10*time.Second, "replays processed", func() bool { return ta.successCount() == 2 })
	out, err = cmd("list")
	require.NoError(t, err)
	require.Equal(t, "no dead letters\n", out)

	_, err = cmd("show", "dlv_missing")
	require.ErrorIs(t, err, durable.ErrNotFound)
	for _, args := range [][]string{nil, {"list", "x"}, {"show"}, {"replay"}, {"purge"}, {"show", "a", "b"}} {
		_, err := cmd(args...)
		require.ErrorIs(t, err, durable.ErrUsage, "%q", args)
		require.ErrorContains(t, err, "deadletters list")
	}
}

func TestDataDirectoryIsLocked(t *testing.T) {
	dir := t.TempDir()
	openEngine(t, fast(dir)...)
	_, err := embedded.Open(context.Background(), fast(dir)...)
	require.ErrorIs(t, err, durable.ErrDirInUse)
}

// TestDeadLettersCommand: the command on the receiver's command line takes
// its flags before or after the words, refuses a misplaced --body or --all
// (and a missing command) without opening the engine, and closes the
// engine it opened.
func TestDeadLettersCommand(t *testing.T) {
	dir := t.TempDir()
	opened := 0
	var label *string
	exec := func(args ...string) (int, string, string) {
		// A command line per run, as a process has: flags keep their values.
		fs := flag.NewFlagSet("deadletters", flag.ContinueOnError)
		label = fs.String("label", "", "a flag of the program's own")
		root := &cli.Command{Name: "receiver"}
		root.Add(durable.DeadLettersCommand(fs, func(context.Context) (*durable.Engine, error) {
			opened++
			return embedded.Open(context.Background(), fast(dir)...)
		}))
		var out, errOut strings.Builder
		root.Stdout, root.Stderr = &out, &errOut
		code := root.Execute(context.Background(), append([]string{"deadletters"}, args...))
		return code, out.String(), errOut.String()
	}
	for _, args := range [][]string{{"list", "--label", "x"}, {"--label=x", "list"}} {
		code, out, errOut := exec(args...)
		require.Equal(t, 0, code, errOut)
		require.Equal(t, "no dead letters\n", out)
		require.Equal(t, "x", *label)
	}
	code, out, _ := exec("replay", "--all")
	require.Equal(t, 0, code)
	require.Equal(t, "replayed 0 dead letter(s)\n", out)
	code, _, errOut := exec("--body", "show", "dlv_missing")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "receiver deadletters: ")
	require.Equal(t, 4, opened, "each run opens the engine, and closes it (the next open of the directory succeeds)")

	for _, args := range [][]string{{}, {"list", "--body"}, {"replay", "x", "--all"}, {"list", "--nope"}} {
		code, out, errOut := exec(args...)
		require.Equal(t, 2, code, "%q", args)
		require.Empty(t, out)
		require.Contains(t, errOut, "Usage: receiver deadletters [flags] list|show ID", "%q", args)
	}
	require.Equal(t, 4, opened, "a command line that does not parse opens nothing")
	code, _, errOut = exec("frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "deadletters replay ID... | --all")
}
