// Package integration holds the tests and benchmarks that join several of
// retabhook's modules: the durable engine observed by handlers/metrics,
// its trace context carried by handlers/tracing, and the observers' cost
// together. It is a module of its own, never published, so that none of
// the integration modules needs another in its go.mod: a user of
// handlers/durable does not inherit Prometheus or OpenTelemetry versions.
package integration
