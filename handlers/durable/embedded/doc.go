// Package embedded runs the durable inbox (handlers/durable) on a NATS
// JetStream server inside the receiver's process: nothing to install, the
// files in a directory, no network port unless one is asked for.
//
//	eng, err := embedded.Open(ctx, durable.WithDir("retabhook-data"))
//
// It is a package of its own so that a receiver of an external NATS
// cluster, which calls durable.Open with durable.WithURLs, does not link
// the NATS server (about 20 MB of binary; README.md has the figures).
// Every option of durable.Open applies; durable.WithDir, WithListen,
// WithSyncInterval and WithSyncAlways configure this server.
//
// While it runs, the server also takes the receiver's own commands on a
// loopback port that admits only clients presenting a random token; both
// are written, mode 0600, to retabhook-attach.json in the directory.
// [Attach] and [OpenOrAttach] connect there, so that the dead-letter and
// quarantine commands work beside the running receiver.
package embedded
