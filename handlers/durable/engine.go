package durable

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrClosed is returned by an [Engine]'s methods after [Engine.Close].
var ErrClosed = errors.New("durable: engine closed")

// ErrDirInUse is returned by embedded.Open when another process runs an embedded
// engine on the same data directory. Stop it, or make it listen
// ([WithListen]) and reach it with [WithURLs].
var ErrDirInUse = errors.New("durable: the data directory is used by another process")

// Engine is the durable inbox. It is a framework.Dispatcher (give it to
// framework.WithDispatcher) and a framework.Deduper (framework.WithDeduper,
// for synchronous receivers that share a de-duplication window). Its
// workers run with [Engine.Run]. Its methods are safe for concurrent use.
type Engine struct {
	cfg config
	log *slog.Logger

	srv Server // embedded server, nil with WithURLs
	nc  *nats.Conn
	js  jetstream.JetStream

	inbox     jetstream.Stream
	dead      jetstream.Stream
	seen      jetstream.KeyValue
	cons      jetstream.Consumer
	inSubj    string           // name.inbox
	probe     jetstream.Stream // NAME_PROBE: Ready's writes
	probeSubj string           // name.probe
	dlSubj    string           // name.dead
	quar      jetstream.Stream // NAME_QUARANTINE (quarantine.go)

	refused  atomic.Int64 // size of the last delivery refused by a full inbox, 0 once one was stored
	lastHeal atomic.Int64 // unix nanos of the last attempt to heal the embedded server
	healMu   sync.Mutex

	pull   atomic.Pointer[jetstream.MessagesContext] // Run's pull, nil when it does not run
	repull atomic.Bool                               // Run pulls again when its pull ends

	running atomic.Bool
	closed  atomic.Bool
	closeMu sync.Mutex

	stats counters
}

// consumerName is the durable consumer every worker of every instance
// pulls from.
const consumerName = "workers"

// Open starts the engine: the connection to [WithURLs] (or the embedded
// server of [WithEmbedded]; embedded.Open gives it), and the streams, consumer and
// bucket it needs, created or updated to the options. ctx bounds the
// setup only. Call [Engine.Close] when done.
func Open(ctx context.Context, opts ...Option) (*Engine, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.logger == nil {
		cfg.logger = slog.Default()
	}
	e := &Engine{
		cfg:       cfg,
		log:       cfg.logger,
		inSubj:    strings.ToLower(cfg.name) + ".inbox",
		probeSubj: strings.ToLower(cfg.name) + ".probe",
		dlSubj:    strings.ToLower(cfg.name) + ".dead",
	}
	if err := e.connect(); err != nil {
		e.shutdown()
		return nil, err
	}
	if err := e.setup(ctx); err != nil {
		e.shutdown()
		return nil, err
	}
	return e, nil
}

func (e *Engine) connect() error {
	natsOpts := []nats.Option{
		nats.Name("retabhook"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		// No buffering while disconnected: a publish that a request gave
		// up on (and answered 503) must not be sent on reconnection.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				e.log.Warn("durable: disconnected from NATS", "error", err.Error())
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			e.log.Info("durable: reconnected to NATS", "url", nc.ConnectedUrlRedacted())
		}),
		// Errors the server or the client report asynchronously (a slow
		// consumer, a permissions violation) go to the engine's log, not to
		// nats.go's default print on stderr.
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			var attrs []any
			if sub != nil {
				attrs = append(attrs, "subject", sub.Subject)
			}
			e.log.Warn("durable: NATS reported an error", append(attrs, "error", err.Error())...)
		}),
	}
	url := strings.Join(e.cfg.urls, ",")
	if len(e.cfg.urls) == 0 {
		if e.cfg.start == nil {
			return ErrNoServer
		}
		srv, err := e.cfg.start(ServerConfig{
			Dir:          e.cfg.dir,
			Listen:       e.cfg.listen,
			SyncInterval: e.cfg.syncInterval,
			SyncAlways:   e.cfg.syncAlways,
			MaxPayload:   embeddedMaxPayload,
		})
		if err != nil {
			return err
		}
		e.srv = srv
		url = ""
		natsOpts = append(natsOpts, nats.InProcessServer(srv))
	}
	natsOpts = append(natsOpts, e.cfg.natsOpts...)
	nc, err := nats.Connect(url, natsOpts...)
	if err != nil {
		return fmt.Errorf("durable: connecting to NATS: %w", err)
	}
	e.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("durable: %w", err)
	}
	e.js = js
	return nil
}

// setup creates or updates the streams, the consumer and the bucket.
func (e *Engine) setup(ctx context.Context) error {
	c := e.cfg
	var err error
	e.inbox, err = e.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        c.name,
		Description: "retabhook: accepted deliveries waiting for their handler",
		Subjects:    []string{e.inSubj},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    c.replicas,
		Duplicates:  c.dedupeWindow,
		Discard:     jetstream.DiscardNew,
		MaxBytes:    c.maxBytes,
	})
	if err != nil {
		return fmt.Errorf("durable: inbox stream %s: %w", c.name, err)
	}
	e.probe, err = e.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              c.name + "_PROBE",
		Description:       "retabhook: the readiness check's writes (one message, overwritten)",
		Subjects:          []string{e.probeSubj},
		Storage:           jetstream.FileStorage,
		Replicas:          c.replicas,
		MaxMsgsPerSubject: 1,
	})
	if err != nil {
		return fmt.Errorf("durable: probe stream %s_PROBE: %w", c.name, err)
	}
	e.dead, err = e.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              c.name + "_DEAD",
		Description:       "retabhook: deliveries whose handler failed every attempt",
		Subjects:          []string{e.dlSubj + ".>"},
		Retention:         jetstream.LimitsPolicy,
		Storage:           jetstream.FileStorage,
		Replicas:          c.replicas,
		MaxMsgsPerSubject: 1,
		Duplicates:        time.Hour,
		AllowDirect:       true,
	})
	if err != nil {
		return fmt.Errorf("durable: dead-letter stream %s_DEAD: %w", c.name, err)
	}
	e.seen, err = e.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      c.name + "_SEEN",
		Description: "retabhook: de-duplication keys accepted within the window",
		TTL:         c.dedupeWindow,
		Storage:     jetstream.FileStorage,
		Replicas:    c.replicas,
		// Per-key TTLs (server 2.11+): a synchronous receiver's claim
		// expires on the server if its process dies; the marker tells
		// the copies waiting for it.
		LimitMarkerTTL: claimMarkerTTL,
	})
	if err != nil {
		return fmt.Errorf("durable: de-duplication bucket %s_SEEN: %w", c.name, err)
	}
	e.cons, err = e.inbox.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:     consumerName,
		Description: "retabhook workers",
		AckPolicy:   jetstream.AckExplicitPolicy,
		AckWait:     c.ackWait,
		// The engine counts attempts itself, to dead-letter with the last
		// error, and dead-letters a delivery whose handler never finished
		// its attempts (it killed the process). The server's cap is a
		// margin above, for a process that dies dead-lettering too.
		MaxDeliver:    c.maxAttempts + deliverMargin,
		MaxAckPending: -1, // deliveries waiting for a retry must not hold new ones back
		Replicas:      c.replicas,
	})
	if err != nil {
		return fmt.Errorf("durable: consumer %s: %w", consumerName, err)
	}
	if err := e.setupQuarantine(ctx); err != nil {
		return err
	}
	if mp := e.nc.MaxPayload(); mp < 8<<20 {
		e.log.Warn("durable: the NATS server takes messages of at most max_payload bytes; larger deliveries will be answered 503", "max_payload", mp)
	}
	return nil
}

// ClientURL returns the URL other processes can reach the embedded server
// at, or "" when it listens on no port ([WithListen]) or the engine uses
// [WithURLs].
func (e *Engine) ClientURL() string {
	if e.srv == nil {
		return ""
	}
	return e.srv.ClientURL()
}

// Close closes the connection and, when embedded, shuts the server down
// after it has written everything to its files. Stop [Engine.Run] (cancel
// its context and wait for it) and the HTTP server first: a request
// arriving after Close is answered 503. Close is idempotent.
func (e *Engine) Close() error {
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	if e.closed.Swap(true) {
		return nil
	}
	e.shutdown()
	return nil
}

func (e *Engine) shutdown() {
	if e.nc != nil {
		e.nc.Close()
	}
	if e.srv != nil {
		e.srv.Shutdown()
	}
}
