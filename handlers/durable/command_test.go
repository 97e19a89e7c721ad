package durable_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
	require.Regexp(t, `dlv_\w+\s+event\s+1\s+\S+\s+\d+\s+retabhook: handler failed: event: supplier "ACME" unknown\\x1b\[2J(\\n| )FORGED`, lines[1])
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
