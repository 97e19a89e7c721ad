// Package framework is retabhook's router: it receives the webhooks Retab
// POSTs after an extraction and calls a typed Go handler per document type.
//
//	r, err := framework.NewRouter(framework.WithSecrets(os.Getenv("WEBHOOKS_SECRET")))
//	if err != nil { ... }
//	framework.Handle(r, func(ctx context.Context, inv Invoice) error { ... })
//	framework.Handle(r, func(ctx context.Context, ev CalendarEvent) error { ... })
//	http.Handle("POST /webhook", r)
//
// # Registration
//
// [Handle] is keyed by the Go type. At registration, once, the router
// derives the type's JSON Schema (package schemas), compiles it, checks the
// type's `validate` tags, and names the type's kind: its name in
// snake_case ("CalendarEvent" is "calendar_event"; a generic type adds its
// type arguments, "Tagged[Expense]" is "tagged_expense", see [KindOf]),
// its Kind method's answer, or [WithKind]'s. A second registration of a type or a kind, or a
// type without a schema, panics; [HandleSafely] returns the error instead.
//
// # The pipeline
//
// Each request goes through these steps; the first failure answers with
// the status shown and an RFC 9457 problem document (application/problem+json).
//
//	step                    failure                                status
//	method                  not POST                               405 (Allow: POST)
//	media type              not application/json (or +json)        415
//	signature header        missing                                401 ErrMissingSignature
//	(before the body)       malformed, timestamp expired or        401 ErrInvalidSignature
//	                        in the future
//	                        environment without secrets            401 ErrUnknownEnvironment
//	body                    over WithMaxBodyBytes (64 MiB)         413
//	                        no room under WithMaxInFlightBytes     503 ErrBusy
//	                        within WithBusyTimeout (10 s), or
//	                        the client left while waiting
//	                        slower than WithBodyDeadline           408 ErrBodyTimeout
//	                        (10 s + 1 MiB/s)
//	signature               no secret matches                      401 ErrInvalidSignature
//	format                  none of WithFormats recognises it      400 ErrUnrecognizedFormat
//	envelope                not JSON, wrong shape                  400 ErrMalformedEnvelope
//	                        "completion" null                      400 ErrMissingCompletion
//	content                 null, empty, no choice                 422 ErrNoContent
//	                        body or content over WithParseLimits   422 ErrTooComplex
//	                        (64 deep, 100,000 values)
//	                        not JSON                               422 ErrInvalidContent
//	                        a key repeated in an object            422 ErrRepeatedKey
//	routing                 no registered type fits                422 ErrNoRoute
//	                        several fit                            422 ErrAmbiguousRoute
//	                        named kind not registered              422 ErrUnknownKind
//	schema                  violations (JSON Pointers)             422 ErrSchemaViolation
//	validate tags           violations (JSON Pointers)             422 ErrRuleViolation
//	handler                 returned Reject(err)                   422 ErrRejected
//	                        returned an error                      500 ErrHandler
//	                        panicked (recovered, logged)           500 ErrPanic
//	success                                                        200 {"status":"processed",...}
//	review policy tripped   the review handler returned nil        200 {"status":"review",...}
//	de-duplication          key accepted within the window         200 {"status":"duplicate",...}
//	                        copy still in progress                 409 ErrDuplicateInProgress
//	durable mode            stored for the workers                 202 {"status":"accepted",...}
//	                        could not be stored                    503 ErrDispatch
//
// Formats and signature schemes are two separate, pluggable concepts. A
// [Scheme] reads the signature from the headers before the body is read:
// [HexScheme] (the hex HMAC-SHA256 of the raw body, Retab's completion and
// End-node webhooks) and [TimestampScheme] ("t=<unix>,v1=<hex>", the event
// envelope) are recognised without configuration, from X-Retab-Signature,
// then Retab-Signature. The MAC is checked in constant time against every
// secret (of the delivery's environment, [WithEnvironmentSecrets]) before
// anything is parsed. A [Format] then decodes the verified body:
// [DefaultFormats] recognises each of Retab's shapes by its keys. A missing
// signature is answered 401 like a wrong one (Retab's docs use 400): both
// mean the sender is not authenticated, and one status is simpler to
// alert on. A request whose signature headers already fail (absent,
// malformed, expired) is answered at once: nothing of it is reserved,
// read or allocated, no "100 Continue" is sent, and its connection is
// closed.
//
// # Hostile traffic
//
// What an unauthenticated or slow client can cost is bounded: only
// requests with well-formed signature headers reserve room under
// [WithMaxInFlightBytes]; a request waits for room at most
// [WithBusyTimeout], and is released as soon as its client leaves; a body
// that arrives slower than [WithBodyDeadline] is cut with 408; the body
// buffer never grows past the limit plus one read; [WithParseLimits]
// bounds parse memory; and every echo is bounded: problem documents and
// log lines repeat at most 128 bytes of a header value, method, path or
// kind, quoted, and at most [MaxViolations] violations with the count of
// the others. Problem details name JSON members, never Go types.
//
// # Routing
//
// With one registered type, every delivery goes to it. With several, the
// [RouteFunc] given to [WithRoute] names the kind; the default,
// [RouteByPath]("kind"), reads the {kind} wildcard of a pattern such as
// "POST /webhook/{kind}". When it names none (a plain "POST /webhook"), the
// router matches by schema: the content must validate against exactly one
// registered schema. An unknown kind is refused with the registered kinds
// and those the content matches ([RouteError]); a named kind whose schema
// refuses the content is refused with its violations and the other kinds
// the content matches ([ViolationError].Matches), in the problem
// document's candidates. Schema match is the fallback because it needs no
// configuration on Retab's side and a Retab automation extracts against
// one of the schemas registered here; naming the kind in the URL or in
// metadata ([RouteByMetadata]) is cheaper and unambiguous, so it wins when
// present.
//
// # Events and API Calls
//
// [HandleEvent] registers a handler for an event type of the signed event
// envelope, with a Go type for its data ([WorkflowRun] for
// [EventWorkflowRunCompleted]). An extraction event's output is routed to
// the struct handlers like any content; any other event is answered 200
// {"status":"ignored"}. Events are de-duplicated by id ([KeyByEvent]).
//
// A router built with [WithAPICallToken] serves a workflow's API Call
// block instead of webhooks: [HandleCall] registers func(ctx, Req) (Res,
// error), the request is validated like content and the answer is the
// JSON of Res. It is authenticated by its token only, which is required.
//
// # Handlers
//
// A handler is func(ctx context.Context, v T) error. [DeliveryFrom](ctx)
// returns the whole [Delivery]: ids, model, all choices, likelihoods
// ([Delivery.Likelihood] for one field), the reasoning___/source___/quote___
// annotations ([Delivery.Annotation]), user, metadata and the file
// (decoded only when [File.Data] is called). A nil return answers
// 200; an error answers 500 and is logged, not sent; a panic is
// recovered, logged with its stack, and answered 500.
//
// # Durable mode and de-duplication
//
// [WithDispatcher] hands each valid delivery to an engine that stores it
// (package handlers/durable, on NATS JetStream) instead of calling the
// handler during the request: the answer is 202, and the engine's workers
// run the handler later with [Router.Process], retrying failures.
// Everything before the handler still runs during the request, so bad
// input is refused exactly as in the synchronous mode and never stored.
//
// [WithDeduplication] answers 200 {"status":"duplicate"} to a delivery
// whose key ([WithDedupeKey], by default the body's digest, [KeyByBody]: a Retab
// rerun sends the same body) was processed within a window, without
// calling the handler again; [WithDeduper] shares the window between
// instances. In the durable mode the engine de-duplicates on the same key.
//
// # Quarantine, refusals and review
//
// Retab sends a completion once. [WithQuarantine] keeps every authentic
// delivery the router refuses (content, routing, schema, rules, a
// handler's [Reject], and a failed handler in the synchronous mode) in a
// [QuarantineStore] before answering, and names the entry in the problem
// document (quarantine_id); nothing unauthenticated is kept.
// [OpenDiskQuarantine] is a crash-safe store on local disk, bounded by
// size and age; package handlers/durable's engine is one in JetStream,
// shared by every instance. [Router.Replay] runs an entry again through
// the current registrations. [Reject] marks a handler's error as
// permanent (422, never retried). [WithReview] sends the deliveries a
// [ReviewPolicy] trips (a field's consensus likelihood below a threshold,
// or the completion's requires_human_review) to a typed handler of
// [Review] values instead of the normal one. docs/quarantine.md has the
// details.
//
// # Errors
//
// Every error the router produces wraps one of the [Problem] sentinels
// (errors.Is) and, when it has data, is a *[ViolationError],
// *[RouteError] or *[HandlerError] (errors.As). [StatusOf] maps any of
// them to its status; [WithErrorWriter] replaces the response writer.
//
// # Observability
//
// The router writes one log record per request through [WithLogger]'s
// logger: kind, delivery id, completion id, model, status, duration, body
// size, the index of the secret that verified, and on failure the problem
// slug, the error and the number of violations; never a secret, a
// signature or document bytes. An [Observer] given to [WithObserver] is
// told of every stage and every [Outcome]; one that is also a
// [RequestObserver] hears of each request first and chooses the context
// the request runs in. Packages handlers/metrics (Prometheus) and
// handlers/tracing (OpenTelemetry) are such observers; this package
// imports neither. Durable engines report what happens after the answer
// to a [QueueObserver].
//
// # Command line
//
// A receiver's types are compiled into its binary, so the schema tooling
// runs from it: package framework/cli turns the program into a small
// command line, serve by default, with "schemas export DIR", "schemas
// check DIR" (the CI drift check) and "schemas report", reading the router
// through [Router.Kinds], [Router.Schema], [Router.OutputSchema],
// [Router.TypeSchema], [Router.Overlaps] and [Router.APICallHeader].
// [WithSchemaOptions] passes options, such as Go doc comments, to the
// derivation of every registered type's schema.
package framework
