package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/cli"
	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/durable/embedded"
)

// durableConfig is the durable mode's configuration.
//
//	flag            variable      default          meaning
//	--durable       DURABLE       false            store deliveries, answer 202, run handlers from workers
//	--data-dir      DATA_DIR      retabhook-data   the data directory: the quarantine (synchronous mode, in DIR/quarantine)
//	                                               and the embedded JetStream server's files ("" means the default)
//	--nats-url      NATS_URL      ""               use this NATS cluster (comma-separated URLs) instead
//	--nats-listen   NATS_LISTEN   ""               let other processes reach the embedded server (127.0.0.1:4222)
//	--replicas      REPLICAS      1                stream replicas on a cluster (0 means the default)
//	--durable-name  DURABLE_NAME  RETABHOOK        the engine's name: prefix of its streams, bucket and subjects;
//	                                               give each application on one NATS cluster its own
//	--max-attempts  MAX_ATTEMPTS  10               handler attempts before the dead letters (0 means the default)
//	--backoff-min   BACKOFF_MIN   5s               delay before the first retry, doubled each retry (0 means the default)
//	--backoff-max   BACKOFF_MAX   30m              longest delay between two attempts (0 means the default)
//	--ack-wait      ACK_WAIT      30s              how long a delivery whose worker stopped reporting stays with it
//	                                               before another worker takes it (0 means the default)
type durableConfig struct {
	Enabled     bool
	Dir         string
	URLs        string
	Listen      string
	Replicas    int
	Name        string
	MaxAttempts int
	BackoffMin  time.Duration
	BackoffMax  time.Duration
	AckWait     time.Duration
}

// register declares the durable mode's flags on fs, with defaults from
// the environment.
func (c *durableConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.BoolVar(&c.Enabled, "durable", envBool(getenv("DURABLE"), false),
		"durable mode: store each valid delivery, answer 202, run the handlers from workers with retries and dead letters (env DURABLE)")
	fs.StringVar(&c.Dir, "data-dir", getenv("DATA_DIR"), "the data directory: the quarantine in the synchronous mode (DIR/quarantine), the embedded JetStream server's files in the durable mode; empty means ./"+durable.DefaultDir+" (env DATA_DIR)")
	fs.StringVar(&c.URLs, "nats-url", getenv("NATS_URL"), "durable mode: comma-separated URLs of a NATS cluster to use instead of the embedded server (env NATS_URL)")
	fs.StringVar(&c.Listen, "nats-listen", getenv("NATS_LISTEN"), "durable mode: address where the embedded server accepts NATS clients, such as 127.0.0.1:4222; none by default (env NATS_LISTEN)")
	replicas, _ := strconv.Atoi(getenv("REPLICAS"))
	fs.IntVar(&c.Replicas, "replicas", replicas, "durable mode: stream replicas on a NATS cluster; 0 means 1 (env REPLICAS)")
	fs.StringVar(&c.Name, "durable-name", getenv("DURABLE_NAME"), "durable mode: the engine's name, prefix of its streams (NAME, NAME_DEAD...), bucket (NAME_SEEN) and subjects; applications sharing a NATS cluster need different names; empty means "+durable.DefaultName+" (env DURABLE_NAME)")
	attempts, _ := strconv.Atoi(getenv("MAX_ATTEMPTS"))
	fs.IntVar(&c.MaxAttempts, "max-attempts", attempts, fmt.Sprintf("durable mode: handler attempts before a delivery goes to the dead letters; 0 means %d (env MAX_ATTEMPTS)", durable.DefaultMaxAttempts))
	fs.DurationVar(&c.BackoffMin, "backoff-min", envDuration(getenv("BACKOFF_MIN"), 0), fmt.Sprintf("durable mode: delay before the first retry, doubled at each retry (with jitter); 0 means %s (env BACKOFF_MIN)", durable.DefaultBackoffMin))
	fs.DurationVar(&c.BackoffMax, "backoff-max", envDuration(getenv("BACKOFF_MAX"), 0), fmt.Sprintf("durable mode: longest delay between two attempts; 0 means %s (env BACKOFF_MAX)", durable.DefaultBackoffMax))
	fs.DurationVar(&c.AckWait, "ack-wait", envDuration(getenv("ACK_WAIT"), 0), fmt.Sprintf("durable mode: how long a delivery stays with a worker that stopped reporting (its process died) before another takes it; 0 means %s (env ACK_WAIT)", durable.DefaultAckWait))
}

// validate checks the durable settings' environment variables, which the
// flags' defaults read without reporting a bad value.
func (c durableConfig) validate(getenv func(string) string) error {
	for _, name := range []string{"BACKOFF_MIN", "BACKOFF_MAX", "ACK_WAIT"} {
		if v := getenv(name); v != "" {
			if d, err := time.ParseDuration(v); err != nil || d < 0 {
				return fmt.Errorf("%s %q: want a duration such as 30s", name, v)
			}
		}
	}
	if v := getenv("MAX_ATTEMPTS"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 0 {
			return fmt.Errorf("MAX_ATTEMPTS %q: want a number of attempts such as 10", v)
		}
	}
	return nil
}

// options are the durable options the tuning flags give; the backoff's
// unset bound keeps its default.
func (c durableConfig) options() []durable.Option {
	var opts []durable.Option
	if c.Name != "" {
		opts = append(opts, durable.WithName(c.Name))
	}
	if c.MaxAttempts != 0 {
		opts = append(opts, durable.WithMaxAttempts(c.MaxAttempts))
	}
	if c.BackoffMin != 0 || c.BackoffMax != 0 {
		opts = append(opts, durable.WithBackoff(cmp.Or(c.BackoffMin, durable.DefaultBackoffMin), cmp.Or(c.BackoffMax, durable.DefaultBackoffMax)))
	}
	if c.AckWait != 0 {
		opts = append(opts, durable.WithAckWait(c.AckWait))
	}
	return opts
}

// open opens the engine the configuration names, with its embedded
// server unless --nats-url names a cluster.
func (c durableConfig) open(ctx context.Context, logger *slog.Logger, extra ...durable.Option) (*durable.Engine, error) {
	return c.openWith(ctx, embedded.Open, logger, extra...)
}

// attach is open for the commands that run beside the receiver
// (deadletters, quarantine): when the receiver runs the embedded server
// on the data directory, they reach it there (embedded.OpenOrAttach).
func (c durableConfig) attach(ctx context.Context, logger *slog.Logger, extra ...durable.Option) (*durable.Engine, error) {
	dir := cmp.Or(c.Dir, durable.DefaultDir)
	return c.openWith(ctx, func(ctx context.Context, opts ...durable.Option) (*durable.Engine, error) {
		return embedded.OpenOrAttach(ctx, dir, opts...)
	}, logger, extra...)
}

func (c durableConfig) openWith(ctx context.Context, open func(context.Context, ...durable.Option) (*durable.Engine, error),
	logger *slog.Logger, extra ...durable.Option) (*durable.Engine, error) {
	opts := append([]durable.Option{durable.WithLogger(logger)}, c.options()...)
	if c.Dir != "" {
		opts = append(opts, durable.WithDir(c.Dir))
	}
	if c.Replicas != 0 {
		opts = append(opts, durable.WithReplicas(c.Replicas))
	}
	if c.URLs != "" {
		opts = append(opts, durable.WithURLs(strings.Split(c.URLs, ",")...))
	}
	if c.Listen != "" {
		opts = append(opts, durable.WithListen(c.Listen))
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if c.URLs != "" {
		open = durable.Open
	}
	e, err := open(ctx, append(opts, extra...)...)
	if errors.Is(err, durable.ErrDirInUse) {
		return nil, fmt.Errorf("%w (is the receiver running? the commands beside it attach to it; another receiver needs --nats-url)", err)
	}
	return e, err
}

// durableMode is the running durable mode; nil when it is off (its
// methods then do nothing).
type durableMode struct {
	engine *durable.Engine
	logger *slog.Logger
	stop   func()
}

// startDurable opens the engine when the durable mode is on; opts are
// added to the configuration's (the metrics observer).
func startDurable(c durableConfig, logger *slog.Logger, opts ...durable.Option) (*durableMode, error) {
	if !c.Enabled {
		return nil, nil
	}
	e, err := c.open(context.Background(), logger, opts...)
	if err != nil {
		return nil, err
	}
	logger.Info("durable mode", "name", cmp.Or(c.Name, durable.DefaultName), "data_dir", cmp.Or(c.Dir, durable.DefaultDir),
		"nats_url", c.URLs, "nats_listen", e.ClientURL())
	return &durableMode{engine: e, logger: logger, stop: func() {}}, nil
}

// routerOptions hands the router's valid deliveries to the engine.
func (m *durableMode) routerOptions() []framework.Option {
	if m == nil {
		return nil
	}
	return []framework.Option{framework.WithDispatcher(m.engine)}
}

// run starts the workers on r.
func (m *durableMode) run(r *framework.Router) {
	if m == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.engine.Run(ctx, r) }()
	m.stop = func() {
		cancel()
		if err := <-done; err != nil {
			m.logger.Error("durable workers stopped", "error", err)
		}
	}
}

// close stops the workers (they finish or hand back their deliveries) and
// closes the engine. Call it after the HTTP server stopped.
func (m *durableMode) close() {
	if m == nil {
		return
	}
	m.stop()
	_ = m.engine.Close()
}

// deadLettersCommand is "invoice deadletters [flags] list|show|replay|discard"
// (durable.DeadLettersCommand): it attaches to the engine with the durable
// flags, given before or after the words.
func deadLettersCommand(getenv func(string) string) *cli.Command {
	var dc durableConfig
	fs := flag.NewFlagSet("deadletters", flag.ContinueOnError)
	dc.register(fs, getenv)
	var cmd *cli.Command
	cmd = durable.DeadLettersCommand(fs, func(ctx context.Context) (*durable.Engine, error) {
		return dc.attach(ctx, slog.New(slog.NewTextHandler(cmd.Err(), &slog.HandlerOptions{Level: slog.LevelWarn})))
	})
	return cmd
}
