// Package retabtest builds the deliveries Retab sends and runs them through
// a router in tests, so handlers can be exercised before Retab ever points
// at a server.
//
// # Building a delivery
//
// [NewDelivery] turns the extracted object, a Go value or its JSON text,
// into the complete, signed body Retab would POST: a chat.completion with
// ids, model, times, choices (the object as the JSON string Retab writes),
// usage, likelihoods shaped like the object and api_cost; the source
// document as a base64 data URI; user and metadata.
//
//	d, err := retabtest.NewDelivery(Invoice{Number: "INV-1", ...},
//		retabtest.WithFile("inv.pdf", pdfBytes),
//		retabtest.WithMetadata(map[string]any{"kind": "invoice"}),
//	)
//
// The result has the raw Body and Header, [Delivery.Request] for an
// http.Handler and [Delivery.NewRequest] for an http.Client. It is signed
// with [Secret] unless [WithSecret] names another. [Signed] wraps a body
// captured elsewhere (a real delivery) as a signed Delivery; [PDF],
// [MIMEType] and [DataURI] make documents for file_payload.
//
// # The awkward cases
//
// Options reproduce what real senders do and what a receiver must survive:
//
//	WithReasoning, WithAnnotation   reasoning___/source___/quote___ keys in the object
//	WithConsensus, WithVote         several choices; likelihoods follow the votes
//	WithRequiresHumanReview         requires_human_review: true on the completion
//	WithIntegersAsFloats            3 written as 3.0
//	WithNullContent                 message.content null
//	WithContentText                 message.content empty or not JSON
//	WithSignatureHeader             the legacy Retab-Signature header
//	WithWrongSignature              a signature made with another secret
//	WithoutSignature                no signature header
//	WithRepeatedAPICost             api_cost twice, as real output had it
//
// # The other formats
//
// [NewEndNodeDelivery] builds a workflow End-node webhook ({"document",
// "data"}, plain hex signature in Retab-Signature); [NewEvent] and
// [NewExtractionEvent] build the signed event envelope, with
// X-Retab-Environment and the timestamped signature "t=<now>,v1=<hex>".
// Their awkward cases:
//
//	WithExpiredSignature, WithFutureSignature   t beyond the tolerance
//	WithSignedAt                                 t at a given time (tolerance edges)
//	WithEnvironment, WithHeaderEnvironment       an environment; a header that disagrees
//	WithFormula                                  v1 over the body alone instead of t.body
//	WithAlsoSignedBy                             several v1 (a rotation)
//	WithEventID                                  the same event again (a retry)
//	WithoutFile                                  an End-node document null
//
// # Running it through a router
//
// [Serve] sends a delivery through any http.Handler in one call and returns
// a [Result]: the status, the decoded framework.ProblemDocument or the
// success acknowledgement, and what the handler received. The last part
// needs the handler to be registered through a [Recorder], which records
// every call (value, framework.Delivery, error) of the typed handler it
// wraps:
//
//	rec := retabtest.Record(handleInvoice)
//	framework.Handle(r, rec.Handle)
//	res := retabtest.Serve(r, d, "/webhook")
//	// res.Status, res.Problem, res.Delivery.Value.(Invoice), res.HandlerErr
//
// A target that names a kind ("/webhook/invoice") is honoured on a bare
// router: Serve mounts it under "/webhook/{kind}", as a receiver does.
//
// The package only builds values and calls handlers; it never opens a
// network connection.
package retabtest
