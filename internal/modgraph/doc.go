// Package modgraph checks the promise of retabhook's module split: a
// program that imports only framework (or only one integration) inherits
// none of the other integrations' modules in its go.mod, so minimum
// version selection never raises its own pins of NATS, OpenTelemetry or
// Prometheus. Its test builds scratch modules that require this checkout
// (GOWORK=off, replace directives) and reads their `go list -m all`.
package modgraph
