package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/retabhook/retabhook/framework"
)

// server is the receiver: the router, its probes and its metrics, served
// on one listener or two (OPS_ADDR).
type server struct {
	cfg    config
	logger *slog.Logger
	router *framework.Router
	health *health
	// webhooks serves the webhook routes, and the probes and /metrics
	// when they share the listener; ops serves those otherwise.
	webhooks http.Handler
	ops      http.Handler
}

// newServer builds the router and the HTTP handlers: the webhook routes,
// the probes, and /metrics served from tel (nil builds it from cfg). dm is
// the durable mode, nil when it is off: the router then hands deliveries
// to its engine, /readyz checks the engine, and the queue gauges read it.
func newServer(cfg config, logger *slog.Logger, tel *telemetry, dm *durableMode) (*server, error) {
	s := &server{cfg: cfg, logger: logger, health: newHealth()}
	if tel == nil {
		tel = newTelemetry(cfg)
	}
	opts := append([]framework.Option{
		framework.WithSecrets(cfg.Secrets...),
		framework.WithMaxInFlightBytes(cfg.MaxInFlight),
	}, tel.routerOptions()...)
	for _, env := range []string{framework.EnvironmentTest, framework.EnvironmentProduction} {
		if ss := cfg.EnvSecrets[env]; len(ss) > 0 {
			opts = append(opts, framework.WithEnvironmentSecrets(env, ss...))
		}
	}
	if cfg.DedupeWindow > 0 && dm == nil {
		// Events by id, other shapes by body (the router's default key);
		// the durable mode de-duplicates in its engine instead.
		opts = append(opts, framework.WithDeduplication(cfg.DedupeWindow))
	}
	q, err := openQuarantine(cfg, logger, tel, dm)
	if err != nil {
		return nil, err
	}
	opts = append(opts, framework.WithQuarantine(q))
	if dm != nil {
		opts = append(opts, dm.routerOptions()...)
		tel.engine.Store(dm.engine)
		s.health.addCheck("durable", engineReady(dm.engine))
	}
	r, err := newRouterWith(logger, opts...)
	if err != nil {
		return nil, err
	}
	s.router = r

	ops := http.NewServeMux()
	ops.HandleFunc("GET /healthz", s.health.liveness)
	ops.HandleFunc("GET /readyz", s.health.readiness)
	if tel.registry != nil {
		ops.Handle("GET /metrics", promhttp.HandlerFor(tel.registry, promhttp.HandlerOpts{Registry: tel.registry}))
	}
	webhooks := newMux(r)
	if cfg.APICallToken != "" {
		api, err := newAPICallRouter(logger, cfg.APICallToken, append(tel.routerOptions(), framework.WithMaxInFlightBytes(cfg.MaxInFlight))...)
		if err != nil {
			return nil, err
		}
		webhooks.Handle("/api/invoice-check", api)
	}
	if cfg.OpsAddr == "" {
		if tel.registry != nil {
			logger.Warn("/metrics is served on the public webhook port: whoever can reach the webhook reads the kinds, rates, " +
				"secret-index counts and the schemas' field names; set OPS_ADDR (--ops-addr) to serve /metrics and the probes on a private listener")
		}
		webhooks.Handle("/healthz", ops)
		webhooks.Handle("/readyz", ops)
		webhooks.Handle("/metrics", ops)
		s.webhooks = webhooks
	} else {
		s.webhooks, s.ops = webhooks, ops
	}
	return s, nil
}

// listen opens the listeners the configuration names.
func (s *server) listen() (web, ops net.Listener, err error) {
	web, err = net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, nil, err
	}
	if s.cfg.OpsAddr != "" {
		if ops, err = net.Listen("tcp", s.cfg.OpsAddr); err != nil {
			_ = web.Close()
			return nil, nil, err
		}
	}
	return web, ops, nil
}

// httpServer is the HTTP server of one listener. Its timeouts bound what
// a slow client holds: the headers must arrive within 10 s, the whole
// request within ReadTimeout (the router's own body deadline,
// framework.WithBodyDeadline, is tighter for slow bodies: 10 s plus the
// time at 1 MiB/s), and an idle keep-alive connection is closed after
// 2 minutes.
func (s *server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
}

// run serves until ctx ends (SIGTERM or SIGINT in main), then shuts down
// gracefully: /readyz turns 503, the listeners close, and requests in
// flight get cfg.ShutdownTimeout to finish before their connections are
// closed. ops may be nil when the probes share web.
func (s *server) run(ctx context.Context, web, ops net.Listener) error {
	newHTTP := s.httpServer
	servers := []*http.Server{newHTTP(s.webhooks)}
	listeners := []net.Listener{web}
	if ops != nil {
		servers = append(servers, newHTTP(s.ops))
		listeners = append(listeners, ops)
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	s.health.setState(stateReady)
	attrs := []any{"addr", web.Addr().String(), "kinds", s.router.Kinds(), "metrics", s.cfg.Metrics}
	if ops != nil {
		attrs = append(attrs, "ops_addr", ops.Addr().String())
	}
	s.logger.Info("listening", attrs...)

	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		s.logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	}
	s.health.setState(stateStopping)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close()
			errs = append(errs, fmt.Errorf("requests still running after %s were cut: %w", s.cfg.ShutdownTimeout, err))
		}
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		errs = append(errs, serveErr)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.logger.Info("stopped")
	return nil
}
