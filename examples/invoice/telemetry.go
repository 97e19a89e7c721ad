package main

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/metrics"
)

// telemetry is the receiver's metrics: one Collector that observes the
// router and, in the durable mode, the engine, and the registry /metrics
// serves. It is built before the engine opens, since the engine takes its
// observer when it opens.
type telemetry struct {
	registry  *prometheus.Registry // nil when metrics are off
	collector *metrics.Collector
	engine    atomic.Pointer[durable.Engine] // set once the engine is open
}

// errNoEngine is what the queue gauges read before the engine is open.
var errNoEngine = errors.New("the durable engine is not open")

func newTelemetry(cfg config) *telemetry {
	t := &telemetry{}
	if !cfg.Metrics {
		return t
	}
	var opts []metrics.Option
	if cfg.Durable.Enabled {
		opts = append(opts, metrics.WithQueueStats(t.queueStats))
	}
	t.collector = metrics.New(opts...)
	t.registry = prometheus.NewRegistry()
	t.registry.MustRegister(t.collector, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return t
}

// queueStats reads the engine's queue for the queue_depth and
// queue_dead_letters gauges, at every scrape.
func (t *telemetry) queueStats(ctx context.Context) (metrics.QueueStats, error) {
	e := t.engine.Load()
	if e == nil {
		return metrics.QueueStats{}, errNoEngine
	}
	s, err := e.Stats(ctx)
	return metrics.QueueStats{Waiting: s.Waiting, InFlight: s.InFlight, DeadLetters: s.DeadLetters}, err
}

// routerOptions makes the Collector observe the router's requests.
func (t *telemetry) routerOptions() []framework.Option {
	if t.collector == nil {
		return nil
	}
	return []framework.Option{framework.WithObserver(t.collector)}
}

// durableOptions makes the engine report its queue events to the
// Collector.
func (t *telemetry) durableOptions() []durable.Option {
	if t.collector == nil {
		return nil
	}
	return []durable.Option{durable.WithObserver(t.collector), durable.WithQuarantineObserver(t.collector)}
}

// engineReady is the durable mode's readiness check: a delivery would be
// stored now (durable.Engine.Ready: a probe write, the inbox's room, the
// embedded server's health, which it heals after a storage error).
func engineReady(e *durable.Engine) func(context.Context) error {
	return e.Ready
}
