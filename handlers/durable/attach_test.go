package durable_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/durable/embedded"
)

// TestAttachWhileRunning: a second process's command reaches the engine
// of the receiver that runs the embedded server, through the loopback port
// and token in the data directory, instead of ErrDirInUse; a client
// without the token is refused; once the server stops, attaching fails.
func TestAttachWhileRunning(t *testing.T) {
	dir := t.TempDir()
	running := openEngine(t, fast(dir)...)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err := embedded.Open(ctx, fast(dir)...)
	require.ErrorIs(t, err, durable.ErrDirInUse, "a second server is still refused")

	cmdEngine, err := embedded.OpenOrAttach(ctx, dir, durable.WithLogger(quiet()))
	require.NoError(t, err)
	dls, err := cmdEngine.DeadLetters(ctx)
	require.NoError(t, err)
	assert.Empty(t, dls)
	st, err := cmdEngine.Stats(ctx)
	require.NoError(t, err)
	assert.Zero(t, st.Waiting)
	require.NoError(t, cmdEngine.Close())

	info, err := os.Stat(filepath.Join(dir, "retabhook-attach.json"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	b, err := os.ReadFile(filepath.Join(dir, "retabhook-attach.json"))
	require.NoError(t, err)
	var a struct{ URL, Token string }
	require.NoError(t, json.Unmarshal(b, &a))
	require.Contains(t, a.URL, "127.0.0.1")
	_, err = nats.Connect(a.URL, nats.MaxReconnects(0))
	require.Error(t, err, "no token, no connection")
	_, err = nats.Connect(a.URL, nats.MaxReconnects(0), nats.Token("not-"+a.Token))
	require.Error(t, err, "a wrong token, no connection")
	nc, err := nats.Connect(a.URL, nats.MaxReconnects(0), nats.Token(a.Token))
	require.NoError(t, err)
	nc.Close()

	require.NoError(t, running.Close())
	_, err = embedded.Attach(ctx, dir, durable.WithLogger(quiet()))
	require.ErrorIs(t, err, durable.ErrDirInUse, "nothing runs there any more")
}
