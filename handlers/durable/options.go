package durable

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/retabhook/retabhook/framework"
)

// Defaults of the options.
const (
	DefaultName          = "RETABHOOK"
	DefaultDir           = "retabhook-data"
	DefaultDedupeWindow  = 24 * time.Hour
	DefaultMaxAttempts   = 10
	DefaultBackoffMin    = 5 * time.Second
	DefaultBackoffMax    = 30 * time.Minute
	DefaultWorkers       = 8
	DefaultAckWait       = 30 * time.Second
	DefaultPublishWait   = 10 * time.Second
	DefaultShutdownGrace = 30 * time.Second
	DefaultClaimTTL      = 30 * time.Second
)

// embeddedMaxPayload is the largest message the embedded server takes:
// the router's default body limit (64 MiB) and room for headers.
const embeddedMaxPayload = 64<<20 + 64<<10

// Option configures an [Engine].
type Option func(*config) error

type config struct {
	name         string
	dir          string
	listen       string
	urls         []string
	start        func(ServerConfig) (Server, error)
	natsOpts     []nats.Option
	replicas     int
	maxBytes     int64
	syncInterval time.Duration
	syncAlways   bool
	dedupeWindow time.Duration
	maxAttempts  int
	backoffMin   time.Duration
	backoffMax   time.Duration
	workers      int
	ackWait      time.Duration
	publishWait  time.Duration
	grace        time.Duration
	claimTTL     time.Duration
	logger       *slog.Logger
	observer     framework.QueueObserver
	quarantine   quarantineConfig // quarantine.go
	propagator   Propagator
}

func defaultConfig() config {
	return config{
		name:         DefaultName,
		dir:          DefaultDir,
		replicas:     1,
		maxBytes:     -1,
		dedupeWindow: DefaultDedupeWindow,
		maxAttempts:  DefaultMaxAttempts,
		backoffMin:   DefaultBackoffMin,
		backoffMax:   DefaultBackoffMax,
		workers:      DefaultWorkers,
		ackWait:      DefaultAckWait,
		publishWait:  DefaultPublishWait,
		grace:        DefaultShutdownGrace,
		claimTTL:     DefaultClaimTTL,
	}
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// WithName names the engine's JetStream objects: the inbox stream NAME,
// the dead-letter stream NAME_DEAD, the key-value bucket NAME_SEEN, the
// subjects name.inbox and name.dead.<id> (lower case), and the durable
// consumer "workers". Receivers that share a NATS cluster and a name share
// the inbox, the workers and the de-duplication window; give different
// applications different names. Letters, digits, '-' and '_' only.
// Default: [DefaultName] ("RETABHOOK").
func WithName(name string) Option {
	return func(c *config) error {
		if !validName.MatchString(name) {
			return fmt.Errorf("durable: WithName(%q): use 1 to 64 letters, digits, '-' or '_'", name)
		}
		c.name = name
		return nil
	}
}

// WithDir sets the directory where the embedded JetStream server keeps its
// files; it is created if needed. Ignored with [WithURLs]. Default:
// [DefaultDir] ("retabhook-data", relative to the working directory).
func WithDir(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return errors.New("durable: WithDir(\"\")")
		}
		c.dir = dir
		return nil
	}
}

// WithListen makes the embedded server accept NATS clients on addr
// ("127.0.0.1:4222"; port 0 or -1 picks a free one), so that other
// processes (the dead-letter commands, a second receiver) can reach it
// with [WithURLs]. Default: no port at all; only this process can use
// the embedded server.
func WithListen(addr string) Option {
	return func(c *config) error {
		if addr == "" {
			return errors.New("durable: WithListen(\"\")")
		}
		c.listen = addr
		return nil
	}
}

// WithURLs connects to an existing NATS server or cluster with JetStream
// enabled ("nats://n1:4222", ...) instead of starting the embedded one.
// Every receiver given the same URLs and [WithName] shares the inbox, the
// workers and the de-duplication window. Default: none (embedded).
func WithURLs(urls ...string) Option {
	return func(c *config) error {
		if len(urls) == 0 {
			return errors.New("durable: WithURLs needs at least one URL")
		}
		c.urls = urls
		return nil
	}
}

// WithNATSOptions adds options to the NATS connection (credentials, TLS,
// name...). Default: none beyond reconnecting forever.
func WithNATSOptions(opts ...nats.Option) Option {
	return func(c *config) error { c.natsOpts = append(c.natsOpts, opts...); return nil }
}

// WithReplicas sets how many servers of a cluster keep each stream (1, 3
// or 5); a delivery is accepted once a majority stored it. The embedded
// server is a single server: only 1 fits it. Default: 1.
func WithReplicas(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 5 {
			return fmt.Errorf("durable: WithReplicas(%d): use 1 to 5", n)
		}
		c.replicas = n
		return nil
	}
}

// WithMaxBytes bounds the inbox stream to n bytes of stored deliveries
// (bodies and headers). Past it, a delivery is answered 503 at once and
// the readiness check ([Engine.Ready]) fails until the workers have made
// room. Default: no limit but the disk's.
func WithMaxBytes(n int64) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("durable: WithMaxBytes(%d): must be positive", n)
		}
		c.maxBytes = n
		return nil
	}
}

// WithSyncInterval sets how often the embedded server flushes its files to
// the disk (fsync). Between two flushes an accepted delivery is in the
// operating system's cache: it survives the process being killed, not a
// power loss or a kernel crash. Ignored with [WithURLs] (the cluster's
// configuration decides). Default: the server's, 2 minutes.
func WithSyncInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("durable: WithSyncInterval(%s): must be positive", d)
		}
		c.syncInterval = d
		return nil
	}
}

// WithSyncAlways makes the embedded server fsync every write before it
// acknowledges it: an accepted delivery survives a power loss, at a cost
// in throughput (see docs/durable.md). Default: off ([WithSyncInterval]).
func WithSyncAlways() Option {
	return func(c *config) error { c.syncAlways = true; return nil }
}

// WithDedupeWindow sets how long a delivery's de-duplication key is
// remembered: a delivery with the same key within the window is answered
// 200 duplicate and not stored again. Default: [DefaultDedupeWindow] (24
// hours).
func WithDedupeWindow(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("durable: WithDedupeWindow(%s): must be positive", d)
		}
		c.dedupeWindow = d
		return nil
	}
}

// WithMaxAttempts sets how many times a handler is called for a delivery
// before it goes to the dead letters. Default: [DefaultMaxAttempts] (10).
func WithMaxAttempts(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("durable: WithMaxAttempts(%d): must be at least 1", n)
		}
		c.maxAttempts = n
		return nil
	}
}

// WithBackoff sets the delay before retry n: min * 2^(n-1), at most max,
// with jitter (a random value between half of it and all of it). Default:
// [DefaultBackoffMin] (5s) to [DefaultBackoffMax] (30m), so the default
// ten attempts span about 40 minutes.
func WithBackoff(min, max time.Duration) Option {
	return func(c *config) error {
		if min <= 0 || max < min {
			return fmt.Errorf("durable: WithBackoff(%s, %s): need 0 < min <= max", min, max)
		}
		c.backoffMin, c.backoffMax = min, max
		return nil
	}
}

// WithWorkers sets how many handlers run at once in this process.
// Default: [DefaultWorkers] (8).
func WithWorkers(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("durable: WithWorkers(%d): must be at least 1", n)
		}
		c.workers = n
		return nil
	}
}

// WithAckWait sets how long the server waits for a worker that stopped
// reporting progress before it gives the delivery to another worker (a
// running handler reports progress every third of it). It bounds how long
// a delivery stays stuck after its process was killed. Default:
// [DefaultAckWait] (30s).
func WithAckWait(d time.Duration) Option {
	return func(c *config) error {
		if d < 100*time.Millisecond {
			return fmt.Errorf("durable: WithAckWait(%s): must be at least 100ms", d)
		}
		c.ackWait = d
		return nil
	}
}

// WithPublishWait bounds how long a request waits for its delivery to be
// stored, retrying while a cluster elects a leader, before it is answered
// 503. Default: [DefaultPublishWait] (10s).
func WithPublishWait(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("durable: WithPublishWait(%s): must be positive", d)
		}
		c.publishWait = d
		return nil
	}
}

// WithShutdownGrace bounds how long [Engine.Run] waits, once its context
// is cancelled, for running handlers to finish; the deliveries of those
// still running then are handed back to the server for another worker.
// Default: [DefaultShutdownGrace] (30s).
func WithShutdownGrace(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("durable: WithShutdownGrace(%s): must not be negative", d)
		}
		c.grace = d
		return nil
	}
}

// WithClaimTTL sets how long a synchronous receiver's claim on a
// de-duplication key (framework.WithDeduper) outlives the process that
// took it: the claim expires on the server after d unless its handler is
// still running (the engine renews it every third of d), and a copy
// waiting for it then takes it over. Default: [DefaultClaimTTL] (30s).
func WithClaimTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return fmt.Errorf("durable: WithClaimTTL(%s): must be at least 1s", d)
		}
		c.claimTTL = d
		return nil
	}
}

// WithLogger sets the logger for retries, dead letters and connection
// events. Default: slog.Default() when [Open] runs.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("durable: WithLogger(nil)")
		}
		c.logger = l
		return nil
	}
}

// WithObserver sets a framework.QueueObserver told of every accepted,
// duplicate, processed, retried, dead-lettered, replayed and handed-back
// delivery, for metrics (handlers/metrics implements it). Default: none.
func WithObserver(o framework.QueueObserver) Option {
	return func(c *config) error { c.observer = o; return nil }
}

// Propagator carries a request's trace context to the worker that runs
// its handler: Inject writes it into the stored message's headers when
// the delivery is accepted, Extract reads it back before the handler
// runs, so the handler's spans belong to the request's trace.
// handlers/tracing's Observer implements it.
type Propagator interface {
	Inject(ctx context.Context, set func(key, value string))
	Extract(ctx context.Context, get func(key string) string) context.Context
}

// WithPropagator sets the [Propagator] that links each delivery's
// handler, run by a worker, to the trace of the request that delivered
// it. Default: none (the worker's spans start a trace of their own).
func WithPropagator(p Propagator) Option {
	return func(c *config) error {
		if p == nil {
			return errors.New("durable: WithPropagator(nil)")
		}
		c.propagator = p
		return nil
	}
}
