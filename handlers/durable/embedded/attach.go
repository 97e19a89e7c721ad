package embedded

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/internal/atomicfile"
)

// attachFile, in the data directory, tells [Attach] where the running
// server takes the receiver's own commands.
const attachFile = "retabhook-attach.json"

type attachInfo struct {
	URL   string `json:"url"`
	Token string `json:"token,omitempty"`
}

// Attach opens an engine on the embedded server that another process (the
// running receiver) runs on dir, instead of failing with
// durable.ErrDirInUse as [Open] does: the dead-letter and quarantine
// commands of the receiver's command line work while it runs. The server
// writes, in dir with mode 0600, the loopback address it takes such
// clients on and a random token they must present; nobody who cannot read
// the directory can connect. It returns an error wrapping
// durable.ErrDirInUse when dir holds no such file (no server runs there,
// or one too old to write it). opts are durable.Open's; WithDir,
// WithURLs and WithListen are set by Attach.
func Attach(ctx context.Context, dir string, opts ...durable.Option) (*durable.Engine, error) {
	b, err := os.ReadFile(filepath.Join(dir, attachFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s, and no server there to attach to", durable.ErrDirInUse, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("durable: attaching to the server on %s: %w", dir, err)
	}
	var info attachInfo
	if err := json.Unmarshal(b, &info); err != nil || info.URL == "" {
		return nil, fmt.Errorf("durable: attaching to the server on %s: unreadable %s", dir, attachFile)
	}
	natsOpts := []nats.Option{nats.MaxReconnects(0)}
	if info.Token != "" {
		natsOpts = append(natsOpts, nats.Token(info.Token))
	}
	return durable.Open(ctx, append(opts, durable.WithURLs(info.URL), durable.WithNATSOptions(natsOpts...))...)
}

// OpenOrAttach is [Open], or [Attach] when another process runs the
// server on dir: what a command beside the receiver uses.
func OpenOrAttach(ctx context.Context, dir string, opts ...durable.Option) (*durable.Engine, error) {
	e, err := Open(ctx, append(opts, durable.WithDir(dir))...)
	if errors.Is(err, durable.ErrDirInUse) {
		return Attach(ctx, dir, opts...)
	}
	return e, err
}

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("durable: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// writeAttach writes the attach file, mode 0600, whole or not at all.
func writeAttach(dir string, info attachInfo) error {
	b, _ := json.Marshal(info)
	if err := atomicfile.Write(filepath.Join(dir, attachFile), b, 0o600); err != nil {
		return fmt.Errorf("durable: data directory: %w", err)
	}
	return nil
}

// localAuth lets in the engine's own in-process connection, and network
// clients that present the token.
type localAuth struct{ token string }

func (a localAuth) Check(c server.ClientAuthentication) bool {
	if addr := c.RemoteAddress(); addr == nil || addr.Network() == "pipe" {
		return c.Kind() == server.CLIENT
	}
	o := c.GetOpts()
	return o != nil && subtle.ConstantTimeCompare([]byte(o.Token), []byte(a.token)) == 1
}
