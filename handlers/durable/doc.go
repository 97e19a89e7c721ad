// Package durable is retabhook's durable inbox: it stores every valid
// delivery before answering, then runs the handlers from workers, with
// retries, dead letters and de-duplication. It runs on NATS JetStream,
// embedded in the process (package handlers/durable/embedded), or on a
// NATS cluster shared by several receivers ([WithURLs]). It is a module of
// its own so that receivers of the synchronous mode neither compile NATS
// nor inherit its versions, and the embedded server is a package of its
// own so that a receiver of an external cluster does not link it.
//
// Retab sends an extraction once and does not retry: a receiver that
// fails, or dies after answering, loses it. In the durable mode the router
// still verifies, decodes, routes and validates each delivery during the
// request, refusing bad input with the usual 4xx; a valid one is stored,
// answered 202 {"status":"accepted",...}, and handed to its typed handler
// by a worker.
//
//	eng, err := embedded.Open(ctx, durable.WithDir("retabhook-data"))
//	if err != nil { ... }
//	defer eng.Close()
//	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithDispatcher(eng))
//	framework.Handle(r, handleInvoice)
//	go eng.Run(workersCtx, r) // the workers
//	http.ListenAndServe(":8000", r)
//
// # Storage
//
// embedded.Open starts a JetStream server inside the process, with its files in
// [WithDir] and no network port ([WithListen] opens one), so the durable
// mode needs nothing installed and survives a restart. A delivery is
// answered 202 only once the server has written it to its file: it
// survives the process being killed. Whether it survives a power loss
// depends on fsync: every two minutes by default ([WithSyncInterval]), or
// before every answer with [WithSyncAlways]; docs/durable.md measures the
// cost of each.
//
// [Open] with [WithURLs] uses an existing NATS cluster instead;
// receivers given the same URLs and [WithName] share the inbox stream, the
// workers' consumer and the de-duplication window, and [WithReplicas]
// keeps each stream on several servers (a delivery is answered once a
// majority stored it).
//
// The engine keeps, under [WithName] (default "RETABHOOK"): the inbox, a
// work-queue stream; the dead letters, stream NAME_DEAD; the
// de-duplication keys, key-value bucket NAME_SEEN; and the consumer
// "workers".
//
// # Retries and dead letters
//
// A handler that returns nil acknowledges its delivery. One that fails or
// panics is retried after an exponential backoff with jitter
// ([WithBackoff]), up to [WithMaxAttempts]; the handler reads the attempt
// number and the delivery id from framework.DeliveryFrom(ctx) (Attempt,
// ID), for its own idempotency. After the last attempt the delivery moves
// to the dead letters with its last error; a delivery that can never
// succeed (its kind is no longer registered, or it no longer passes the
// schema) moves there at once. [Engine.DeadLetters], [Engine.DeadLetter],
// [Engine.Replay], [Engine.ReplayAll] and [Engine.Discard] manage them
// from code, and [Command] from a subcommand of the receiver's program:
//
//	invoice deadletters list
//	invoice deadletters show dlv2_1f0c... --body
//	invoice deadletters replay --all
//
// # De-duplication
//
// A delivery whose key (framework.WithDedupeKey; by default the SHA-256 of
// the body, so a Retab rerun is a duplicate) was accepted within
// [WithDedupeWindow] (24 hours by default) is answered 200
// {"status":"duplicate"} and not stored again. The key is recorded in the
// NAME_SEEN bucket (atomically, before the delivery is stored) and is the
// message's Nats-Msg-Id, which the inbox checks too; a worker marks it
// done before it acknowledges the delivery. Both writes are awaited, so
// the window survives the process being killed at any point and a restart
// of the server. Synchronous receivers can share the same window through
// the engine: the engine is a framework.Deduper (framework.WithDeduper);
// their claims expire on the server ([WithClaimTTL]) if their process
// dies, and copies waiting for a claim watch its key.
//
// # Delivery guarantees
//
// A 202 means the delivery and its de-duplication record are both stored
// (by a majority of the replicas). A 503 ([Engine.Dispatch] failed) means
// it was not accepted: the client buffers nothing while disconnected, so
// no publish is sent after the answer. The one exception is a store whose
// acknowledgement was lost (a leader failing over mid-write): the delivery
// may then be stored and processed, and a re-send of the same body is safe
// (a duplicate if it was stored, stored if not). Every wait in the request
// path has its own deadline (2s a try) within [WithPublishWait] (10s): a
// 503 comes at most that long after the delivery reached the engine.
//
// Every delivery answered 202 is processed at least once: it stays in the
// inbox until a handler returned nil for it or it reached the dead
// letters. It is processed exactly once unless a process dies, or loses
// its connection, between the handler's success and the acknowledgement
// (then it runs again, with a higher Attempt): handlers with side effects
// should be idempotent on Delivery.ID. A delivery whose handler never
// finished [WithMaxAttempts] attempts (each killed its process) goes to
// the dead letters with [ErrUnfinished] instead of running again; the
// attempt is recorded before the handler runs, so the count survives the
// embedded server dying with the process.
//
// # Storage errors and readiness
//
// [Engine.Ready] writes a probe to the store (stream NAME_PROBE): it fails while a
// delivery would not be stored (a full disk, a full inbox under
// [WithMaxBytes], no quorum). The embedded server, which keeps refusing
// writes to a stream after a write error (ENOSPC) until it restarts, is
// healed in place (its JetStream subsystem restarted) as soon as the
// engine sees the error: once space is freed, deliveries are accepted
// again without a restart of the process.
//
// # Shutdown
//
// Stop the HTTP server first (it finishes the requests in flight, which
// store their deliveries), then cancel the context of [Engine.Run]: it
// stops taking deliveries, hands back those it holds, waits up to
// [WithShutdownGrace] for running handlers and hands back the rest; then
// call [Engine.Close].
//
// # Observing
//
// [WithObserver] takes a framework.QueueObserver (handlers/metrics has
// one) told of every accepted, duplicate, processed, retried,
// dead-lettered, replayed and handed-back delivery; [Engine.Stats] reads
// the queue's depth and the dead letters for gauges (metrics.WithQueueStats).
// [WithPropagator] takes a [Propagator] (handlers/tracing's Observer is
// one) that carries each request's trace context, through the stored
// message's headers, to the worker that runs its handler.
//
// # Quarantine
//
// The engine is also a framework.QuarantineStore ([Engine.Put],
// [Engine.Get], [Engine.List], [Engine.Delete]): given to
// framework.WithQuarantine, it keeps the authentic deliveries the router
// refuses during the request in the stream NAME_QUARANTINE, shared by
// every instance, bounded by [WithQuarantineLimits]. A handler's
// framework.Reject is a 4xx, so its delivery is dead-lettered after the
// first attempt.
package durable
