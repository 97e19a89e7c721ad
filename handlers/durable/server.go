package durable

import (
	"errors"
	"net"
	"time"
)

// ErrNoServer is returned by [Open] when it is given neither [WithURLs]
// nor an embedded server ([WithEmbedded]; package
// handlers/durable/embedded opens an engine with one).
var ErrNoServer = errors.New("durable: no NATS server: give WithURLs, or open the engine with package handlers/durable/embedded")

// Server is a NATS server running inside the process, which the engine
// reaches without a socket. Package handlers/durable/embedded starts one;
// it lives in a package of its own so that a receiver of an external
// cluster does not link the NATS server.
type Server interface {
	// InProcessConn returns a connection to the server that needs no
	// network.
	InProcessConn() (net.Conn, error)
	// ClientURL is where other processes reach the server, "" when it
	// listens on no port.
	ClientURL() string
	// Shutdown stops the server once it has written its files, releases
	// its directory, and returns when it is done.
	Shutdown()
}

// ServerConfig is what an embedded server is started with: the options
// [WithDir], [WithListen], [WithSyncInterval] and [WithSyncAlways], and
// the largest message the engine needs it to take.
type ServerConfig struct {
	Dir          string        // [WithDir]; the server creates and locks it
	Listen       string        // [WithListen]; "" opens no port
	SyncInterval time.Duration // [WithSyncInterval]; 0 is the server's default
	SyncAlways   bool          // [WithSyncAlways]
	MaxPayload   int32         // the router's default body limit and room for headers
}

// WithEmbedded makes [Open] start the in-process server with start, on
// [WithDir], when no [WithURLs] is given; [Engine.Close] shuts it down.
// embedded.Open passes it; call it directly only to start a server of your
// own. Default: none ([Open] then needs [WithURLs]).
func WithEmbedded(start func(ServerConfig) (Server, error)) Option {
	return func(c *config) error {
		if start == nil {
			return errors.New("durable: WithEmbedded(nil)")
		}
		c.start = start
		return nil
	}
}
