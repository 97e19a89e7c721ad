package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/cli"
)

// quarantineCommand is "invoice quarantine list|show|replay|discard"
// (cli.Quarantine): it opens the quarantine of the data directory (or,
// with --durable, the engine's) and works while the receiver runs.
func quarantineCommand(getenv func(string) string) *cli.Command {
	var c durableConfig
	fs := flag.NewFlagSet("quarantine", flag.ContinueOnError)
	c.register(fs, getenv)
	var cmd *cli.Command
	cmd = cli.Quarantine(fs, func(ctx context.Context, replay bool) (cli.QuarantineSession, error) {
		return openQuarantineSession(ctx, c, replay, cmd.Err())
	})
	return cmd
}

// openQuarantineSession opens the store the receiver keeps its refusals
// in and, for replay, a router of the receiver's own types that hands
// deliveries to the handlers here (synchronous mode) or to the engine,
// whose workers in the running receiver run them (durable).
func openQuarantineSession(ctx context.Context, c durableConfig, replay bool, stderr io.Writer) (cli.QuarantineSession, error) {
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var s cli.QuarantineSession
	var dm *durableMode
	if c.Enabled {
		e, err := c.attach(ctx, logger)
		if err != nil {
			return s, err
		}
		s.Close = e.Close
		dm = &durableMode{engine: e, logger: logger, stop: func() {}}
	}
	store, err := openQuarantine(config{Durable: c}, logger, nil, dm)
	if err != nil {
		if s.Close != nil {
			_ = s.Close()
		}
		return s, err
	}
	s.Store, s.Dispatched = store, dm != nil
	if !replay {
		return s, nil
	}
	opts := []framework.Option{framework.WithSecrets("replay-verifies-nothing"), framework.WithQuarantine(store)}
	opts = append(opts, dm.routerOptions()...)
	if s.Router, err = newRouterWith(slog.New(slog.NewTextHandler(stderr, nil)), opts...); err != nil && s.Close != nil {
		_ = s.Close()
	}
	return s, err
}
