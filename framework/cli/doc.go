// Package cli is the command line of a Retab webhook receiver, and the
// small dispatcher it is built with.
//
// [New] returns a receiver's command line over a [framework.Router]:
//
//	PROGRAM [serve] [ARGS]             run the receiver (the default)
//	PROGRAM schemas export [-blocks] DIR
//	PROGRAM schemas check DIR          the CI drift check: exit 1 on drift
//	PROGRAM schemas report             what Retab's strict mode changes
//	PROGRAM help [COMMAND]
//
// and a program adds more with [Command.Add], then runs it with [Main].
// [Quarantine] is "quarantine list|show|replay|discard" over the store a
// program opens ([QuarantineSession]); examples/invoice adds it,
// deadletters (over handlers/durable's Command) and api-call-schemas
// ([Schemas] of its API Call router):
//
//	root := cli.New(r, serve)
//	root.Add(&cli.Command{Name: "replay", Args: "FILE", Summary: "Send a saved delivery", Run: replay})
//	cli.Main(root)
//
// The dispatcher is [Command]: a tree of commands selected by their words,
// flags accepted before, between or after the positional arguments
// ([Parse]), help for every command ("help COMMAND", -h), and exit
// statuses: 0 on success and for help, 2 for a usage error (an error
// wrapping [ErrUsage]: the message and the usage are printed), the status
// an [ExitCoder] chooses, 1 for any other error. cmd/retabhook is built on
// the same dispatcher.
//
// The schema commands read the router only through its public API
// ([framework.Router.Kinds], [framework.Router.Schema],
// [framework.Router.OutputSchema], [framework.Router.TypeSchema],
// [framework.Router.Overlaps], [framework.Router.APICallHeader]), and the
// quarantine command through the store and [framework.Router.Replay], so
// any router can be given, served or not.
package cli
