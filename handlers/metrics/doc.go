// Package metrics records Prometheus metrics for a framework.Router and
// for a durable engine. It is opt-in: importing package framework does not
// compile Prometheus; importing this package does.
//
//	m := metrics.New()
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(m)
//	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithObserver(m))
//	...
//	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// A [Collector] is a prometheus.Collector, a framework.Observer (it needs
// the request hook of framework.RequestObserver, which WithObserver
// provides) and a framework.QueueObserver.
//
// # Metrics
//
// All names start with the namespace, "retabhook_" by default
// ([WithNamespace]).
//
//	deliveries_total{kind,status,outcome}       counter   every answered request; kind is "none" before
//	                                                      routing; outcome is processed, accepted (durable
//	                                                      mode, 202), duplicate (de-duplicated, 200), ignored
//	                                                      (an event type nobody handles, 200), review (sent
//	                                                      to the type's review handler; 200, or 202 in the
//	                                                      durable mode) or the problem slug
//	                                                      (invalid-signature, schema-violation, rejected,
//	                                                      handler-failed, dispatch-failed...)
//	request_duration_seconds{kind}              histogram arrival to answer
//	handler_duration_seconds{kind}              histogram handlers run during requests (synchronous mode)
//	dispatch_duration_seconds{kind}             histogram storing a delivery during its request (durable mode)
//	request_body_bytes                          histogram body sizes read
//	requests_in_flight                          gauge     requests being served
//	verification_failures_total{reason}        counter   missing, malformed, mismatch, expired, future
//	verified_total{environment,secret_index}    counter   which secret matched, of which environment
//	                                                      ("none": a WithSecrets secret, no environment named)
//	validation_failures_total{kind,problem,pointer,keyword}
//	                                            counter   one per delivery per distinct pointer and keyword
//	quarantined_total{kind,problem}             counter   refused authentic deliveries kept (WithQuarantine)
//	quarantine_dropped_total{reason}            counter   entries a store dropped past its bounds: size, age
//	                                                      (give the Collector to the store as its observer)
//	queue_events_total{kind,event}              counter   durable engine: accepted, duplicate, processed,
//	                                                      retry, dead_lettered, replayed, handed_back
//	queue_handler_duration_seconds{kind,result} histogram durable engine: every handler attempt, ok or error
//	queue_depth{state}                          gauge     durable engine (WithQueueStats): waiting, in_flight
//	queue_dead_letters                          gauge     durable engine (WithQueueStats): dead letters stored
//
// # Cardinality
//
// Every label has a bounded set of values. kind is a registered kind or
// "none": a kind asked for in a URL but not registered is never a label.
// pointer is the violation's JSON Pointer with array indices replaced by
// "*" ([NormalizePointer]), so "/line_items/3/amount" and
// "/line_items/7/amount" are one series, "/line_items/*/amount"; beyond
// [WithMaxPointers] distinct pointers per kind (100 by default), further
// pointers count as "other". keyword is a JSON Schema keyword (required,
// type, enum...) or "validate:" and a validate tag (validate:gte...).
// secret_index is bounded by the number of secrets, environment by the
// environments configured (a delivery naming another is refused before it
// is counted there).
//
// # Durable engines
//
// A durable engine (one that stores accepted deliveries and hands them to
// workers) reports with framework.QueueEvent values, given to a
// framework.QueueObserver such as a Collector: accepted when a delivery is
// stored, duplicate when its de-duplication key was already seen,
// processed, retry or dead_lettered after each handler attempt (with
// Attempt and Duration), replayed when a dead letter is put back, and
// handed_back when the engine stops with the delivery unfinished. The
// Collector turns them into queue_events_total and
// queue_handler_duration_seconds. The queue's state is read, not
// reported: [WithQueueStats] gives the Collector a function it calls at
// every scrape, so queue_depth is the engine's current count (shared by
// every instance on the same queue), never a stale one.
//
// A request answered 202 or 200 duplicate in durable mode is also counted
// by deliveries_total (outcome accepted or duplicate), and the time the
// engine took to store it by dispatch_duration_seconds.
package metrics
