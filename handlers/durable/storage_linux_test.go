//go:build linux

package durable_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFullDiskRecoversWithoutRestart runs the embedded engine on a small
// tmpfs (it needs the right to mount one: root on Linux; it is skipped
// otherwise), fills the disk with a file until a delivery is refused:
// readiness fails meanwhile; once the file is removed, the engine heals
// the server (whose stream kept refusing writes after the error) and
// accepts deliveries again, without a restart.
func TestFullDiskRecoversWithoutRestart(t *testing.T) {
	dir := mountTmpfs(t, 8<<20)
	e := openEngine(t, fast(filepath.Join(dir, "data"))...)
	ta := newTally()
	r := newRouter(t, e, func(ctx context.Context, ev Event) error { ta.record(ctx, true); return nil })
	run(t, e, r)
	srv := serve(t, r)
	ctx := context.Background()
	require.NoError(t, e.Ready(ctx))

	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	require.NoError(t, err)
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			break
		}
	}
	require.NoError(t, f.Close())
	refused := sendUntilRefused(t, srv, 500)
	require.GreaterOrEqual(t, refused, 0, "a delivery was refused on the full disk")
	require.Error(t, e.Ready(ctx), "not ready while the disk is full")

	require.NoError(t, os.Remove(filler))
	waitFor(t, 60*time.Second, "ready again", func() bool { return e.Ready(ctx) == nil })
	rep, err := send(srv.Client(), srv.URL, eventBody(refused), secret)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, rep.Code, "the refused delivery, re-sent, is stored without a restart")
	waitFor(t, 30*time.Second, "the re-sent delivery processed", func() bool {
		ta.mu.Lock()
		defer ta.mu.Unlock()
		return ta.successes[rep.DeliveryID] == 1
	})
}

// mountTmpfs mounts a tmpfs of size bytes on a temporary directory, or
// skips the test when it may not.
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): the full-disk test needs root on Linux", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}
