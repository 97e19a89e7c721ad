package embedded

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/retabhook/retabhook/handlers/durable"
)

// Open is durable.Open with the embedded server: unless opts hold
// durable.WithURLs, it starts a JetStream server inside the process, with
// its files in durable.WithDir and no network port (durable.WithListen
// opens one). It returns an error wrapping durable.ErrDirInUse when
// another process runs an embedded server on the same directory.
func Open(ctx context.Context, opts ...durable.Option) (*durable.Engine, error) {
	return durable.Open(ctx, append([]durable.Option{durable.WithEmbedded(Start)}, opts...)...)
}

// Start starts an embedded JetStream server with c: what
// durable.WithEmbedded takes. It creates and locks c.Dir and returns once
// the server takes connections.
func Start(c durable.ServerConfig) (durable.Server, error) {
	if err := os.MkdirAll(c.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("durable: data directory: %w", err)
	}
	unlock, err := lockDir(c.Dir)
	if err != nil {
		return nil, err
	}
	token, err := newToken()
	if err != nil {
		unlock()
		return nil, err
	}
	srv, err := start(c, token)
	if err != nil {
		unlock()
		return nil, err
	}
	js := *srv.JetStreamConfig()
	js.StoreDir = c.Dir // EnableJetStream adds the "jetstream" directory again
	s := &embedded{Server: srv, js: js, listen: c.Listen != "", unlock: unlock, dir: c.Dir}
	tok := token
	if c.Listen != "" {
		tok = "" // WithListen's port takes clients without a token, as before
	}
	if err := writeAttach(c.Dir, attachInfo{URL: srv.ClientURL(), Token: tok}); err != nil {
		s.Shutdown()
		return nil, err
	}
	return s, nil
}

func start(c durable.ServerConfig, token string) (*server.Server, error) {
	opts := &server.Options{
		ServerName:   "retabhook-embedded",
		JetStream:    true,
		StoreDir:     c.Dir,
		DontListen:   c.Listen == "",
		NoSigs:       true,
		NoLog:        true,
		MaxPayload:   c.MaxPayload,
		MaxPending:   2 * int64(c.MaxPayload),
		SyncInterval: c.SyncInterval,
		SyncAlways:   c.SyncAlways,
	}
	if c.Listen == "" {
		// A loopback port for the receiver's own commands (Attach), which
		// takes only clients that present the token written, mode 0600,
		// in the directory; the engine's in-process connection needs none.
		opts.DontListen = false
		opts.Host, opts.Port = "127.0.0.1", server.RANDOM_PORT
		opts.CustomClientAuthentication = localAuth{token: token}
	} else {
		host, port, err := net.SplitHostPort(c.Listen)
		if err != nil {
			return nil, fmt.Errorf("durable: WithListen(%q): %w", c.Listen, err)
		}
		opts.Host = host
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("durable: WithListen(%q): %w", c.Listen, err)
		}
		if opts.Port == 0 {
			opts.Port = server.RANDOM_PORT
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("durable: embedded NATS server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("durable: the embedded NATS server did not start (is %s used by another receiver?)", c.Dir)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		return nil, fmt.Errorf("durable: JetStream did not start in %s", c.Dir)
	}
	return srv, nil
}

// embedded is a running server and the lock on its directory.
type embedded struct {
	*server.Server
	js     server.JetStreamConfig // as started, with the store limit computed from the disk then
	listen bool
	unlock func()
	dir    string
}

func (s *embedded) ClientURL() string {
	if !s.listen {
		return ""
	}
	return s.Server.ClientURL()
}

func (s *embedded) Shutdown() {
	_ = os.Remove(filepath.Join(s.dir, attachFile))
	s.Server.Shutdown()
	s.WaitForShutdown()
	s.unlock()
}

// Healthy returns the server's health error: JetStream off, or a stream
// that hit a write error (a full disk), which the server keeps refusing
// writes for until its JetStream restarts.
func (s *embedded) Healthy() error {
	if !s.JetStreamEnabled() {
		return errors.New("JetStream is off")
	}
	if h := s.Healthz(nil); h.Error != "" {
		return errors.New(h.Error)
	}
	return nil
}

// Heal restarts the server's JetStream subsystem in place: the streams are
// reloaded from their files, without the write errors they had. The
// engine's connection stays up.
func (s *embedded) Heal() error {
	if s.JetStreamEnabled() {
		if err := s.ShutdownJetStream(); err != nil {
			return fmt.Errorf("durable: stopping JetStream: %w", err)
		}
	}
	// The configuration it started with: computed again now, the store
	// limit would be what is free on a disk that may still be full.
	js := s.js
	if err := s.EnableJetStream(&js); err != nil {
		return fmt.Errorf("durable: starting JetStream: %w", err)
	}
	return nil
}

var _ durable.Healer = (*embedded)(nil)
