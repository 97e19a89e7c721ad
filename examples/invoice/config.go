package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// config is the receiver's configuration. Every setting has a flag and an
// environment variable; a flag given on the command line wins over the
// variable, which wins over the default.
//
//	flag                 variable            default   meaning
//	--addr               ADDR, PORT          :8000     listen address (PORT=9000 means :9000)
//	--ops-addr           OPS_ADDR            ""        separate listener for /healthz, /readyz, /metrics
//	                                                   ("" serves them on --addr)
//	--log-level          LOG_LEVEL           info      debug, info, warn or error
//	--log-format         LOG_FORMAT          text      text or json
//	--shutdown-timeout   SHUTDOWN_TIMEOUT    25s       how long SIGTERM waits for requests in flight
//	--metrics            METRICS             true      serve Prometheus metrics on /metrics
//	--max-inflight-bytes MAX_INFLIGHT_BYTES  256 MiB   request bodies held at once; more wait
//	                                                   (0: no bound; framework.WithMaxInFlightBytes)
//	(none)               WEBHOOKS_SECRET     generated the secret of every environment; several, comma-separated,
//	                                                   during a rotation
//	(none)               WEBHOOKS_SECRET_TEST ""       when set, verifies the test environment instead (events
//	                                                   sent with X-Retab-Environment: test); comma-separated
//	(none)               WEBHOOKS_SECRET_PRODUCTION "" the same for production
//	(none)               API_CALL_TOKEN      ""        when set, POST /api/invoice-check serves a workflow's API
//	                                                   Call block, authenticated by "Authorization: Bearer <token>"
//	--dedupe-window      DEDUPE_WINDOW       24h       a delivery already processed within the window is answered
//	                                                   "duplicate" (events by id, other shapes by body; 0: off)
//	--durable ...        DURABLE ...                   the durable mode; see durable.go
//
// The secrets and the token have no flag, so that they never show in a
// process list.
type config struct {
	Addr            string
	OpsAddr         string
	LogLevel        slog.Level
	LogFormat       string
	ShutdownTimeout time.Duration
	Metrics         bool
	MaxInFlight     int64
	Secrets         []string
	EnvSecrets      map[string][]string // by environment: WEBHOOKS_SECRET_TEST, WEBHOOKS_SECRET_PRODUCTION
	APICallToken    string
	DedupeWindow    time.Duration
	Durable         durableConfig // durable.go
}

// defaultDedupeWindow is how long a processed delivery is remembered.
const defaultDedupeWindow = 24 * time.Hour

// defaultMaxInFlight holds four bodies of the router's 64 MiB limit.
const defaultMaxInFlight = 256 << 20

// defaultShutdownTimeout leaves 5 s of Kubernetes' default 30 s grace
// period for the process to exit after the server stopped.
const defaultShutdownTimeout = 25 * time.Second

// register declares the flags on fs, with defaults taken from the
// environment through getenv; parsing fs fills c. Other flags (for other
// modes) may share fs.
func (c *config) register(fs *flag.FlagSet, getenv func(string) string) {
	addr := ":8000"
	if p := getenv("PORT"); p != "" {
		addr = ":" + p
	}
	if a := getenv("ADDR"); a != "" {
		addr = a
	}
	c.LogFormat = "text"
	fs.StringVar(&c.Addr, "addr", addr, "listen address (env ADDR; env PORT=N means \":N\")")
	fs.StringVar(&c.OpsAddr, "ops-addr", getenv("OPS_ADDR"), "separate listen address for /healthz, /readyz and /metrics; empty serves them on --addr (env OPS_ADDR)")
	fs.TextVar(&c.LogLevel, "log-level", envLevel(getenv("LOG_LEVEL")), "log level: debug, info, warn or error (env LOG_LEVEL)")
	fs.Func("log-format", "log format: text or json (env LOG_FORMAT; default text)", func(s string) error {
		return c.setFormat(s)
	})
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration(getenv("SHUTDOWN_TIMEOUT"), defaultShutdownTimeout),
		"how long a SIGTERM waits for requests in flight before closing them (env SHUTDOWN_TIMEOUT)")
	fs.BoolVar(&c.Metrics, "metrics", envBool(getenv("METRICS"), true), "serve Prometheus metrics on /metrics (env METRICS)")
	fs.Int64Var(&c.MaxInFlight, "max-inflight-bytes", envInt64(getenv("MAX_INFLIGHT_BYTES"), defaultMaxInFlight),
		"request body bytes held at once; further requests wait for room; 0 means no bound (env MAX_INFLIGHT_BYTES)")
	fs.DurationVar(&c.DedupeWindow, "dedupe-window", envDuration(getenv("DEDUPE_WINDOW"), defaultDedupeWindow),
		"answer a delivery already processed within this window as a duplicate: events by id, other shapes by body; 0 turns it off (env DEDUPE_WINDOW)")
	c.Durable.register(fs, getenv)
	if f := getenv("LOG_FORMAT"); f != "" {
		c.LogFormat = f
	}
	c.Secrets = splitSecrets(getenv("WEBHOOKS_SECRET"))
	for _, v := range envSecretVars {
		if ss := splitSecrets(getenv(v.name)); len(ss) > 0 {
			if c.EnvSecrets == nil {
				c.EnvSecrets = map[string][]string{}
			}
			c.EnvSecrets[v.env] = ss
		}
	}
	c.APICallToken = strings.TrimSpace(getenv("API_CALL_TOKEN"))
}

// envSecretVars are the variables that hold one environment's secrets, in
// the order they are read and checked.
var envSecretVars = []struct{ env, name string }{
	{"test", "WEBHOOKS_SECRET_TEST"},
	{"production", "WEBHOOKS_SECRET_PRODUCTION"},
}

// splitSecrets reads a comma-separated list of secrets.
func splitSecrets(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func (c *config) setFormat(s string) error {
	switch s {
	case "text", "json":
		c.LogFormat = s
		return nil
	}
	return fmt.Errorf("log format %q: want text or json", s)
}

// loadConfig reads the configuration from the environment and args (the
// arguments after the program name).
func loadConfig(args []string, getenv func(string) string, usage io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("invoice", flag.ContinueOnError)
	fs.SetOutput(usage)
	c.register(fs, getenv)
	fs.Usage = func() {
		fmt.Fprintf(usage, "Usage: invoice [flags]\n\nFlags (each also read from the environment variable named):\n")
		fs.PrintDefaults()
		fmt.Fprintf(usage, "\nenv WEBHOOKS_SECRET\n    \tthe webhook secret of every environment; several, comma-separated, during a rotation (no flag, so it stays out of process lists; generated and printed when no secret is set)\n")
		fmt.Fprintf(usage, "env WEBHOOKS_SECRET_TEST, WEBHOOKS_SECRET_PRODUCTION\n    \twhen set, the secrets of that environment instead (events name theirs in X-Retab-Environment)\n")
		fmt.Fprintf(usage, "env API_CALL_TOKEN\n    \twhen set, POST /api/invoice-check serves a workflow's API Call block, authenticated by Authorization: Bearer <token>\n")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, c.validate(getenv)
}

// validate checks values that came from the environment (flags are
// checked as they are parsed) and the combination.
func (c *config) validate(getenv func(string) string) error {
	if err := c.setFormat(c.LogFormat); err != nil {
		return fmt.Errorf("LOG_FORMAT: %w", err)
	}
	if v := getenv("LOG_LEVEL"); v != "" {
		var l slog.Level
		if err := l.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", v)
		}
	}
	if v := getenv("SHUTDOWN_TIMEOUT"); v != "" {
		if _, err := time.ParseDuration(v); err != nil {
			return fmt.Errorf("SHUTDOWN_TIMEOUT %q: want a duration such as 25s", v)
		}
	}
	if v := getenv("DEDUPE_WINDOW"); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d < 0 {
			return fmt.Errorf("DEDUPE_WINDOW %q: want a duration such as 24h, or 0 for off", v)
		}
	}
	if c.DedupeWindow < 0 {
		return errors.New("the de-duplication window must not be negative")
	}
	if v := getenv("METRICS"); v != "" {
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("METRICS %q: want true or false", v)
		}
	}
	for _, v := range envSecretVars {
		if getenv(v.name) != "" && len(c.EnvSecrets[v.env]) == 0 {
			return fmt.Errorf("%s is set but holds no secret (only spaces or commas): set it to the %s environment's signing secret, or unset it", v.name, v.env)
		}
	}
	if v := getenv("WEBHOOKS_SECRET"); v != "" && len(c.Secrets) == 0 {
		return errors.New("WEBHOOKS_SECRET is set but holds no secret (only spaces or commas): set it to the secret shown in Retab's dashboard, or unset it to have one generated")
	}
	if err := c.Durable.validate(getenv); err != nil {
		return err
	}
	if c.ShutdownTimeout <= 0 {
		return errors.New("shutdown timeout must be positive")
	}
	if c.Addr == "" {
		return errors.New("empty listen address")
	}
	return nil
}

// logger builds the logger the configuration asks for, writing to w.
func (c *config) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func envLevel(v string) *slog.Level {
	l := slog.LevelInfo
	if v != "" {
		_ = l.UnmarshalText([]byte(v)) // reported by validate
	}
	return &l
}

func envDuration(v string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(v); err == nil {
		return d
	}
	return def
}

func envInt64(v string, def int64) int64 {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return n
	}
	return def
}

func envBool(v string, def bool) bool {
	if b, err := strconv.ParseBool(v); err == nil {
		return b
	}
	return def
}
