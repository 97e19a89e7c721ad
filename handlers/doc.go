// Package handlers holds stock middleware and adapters to compose with
// the handlers registered on a framework.Router: [Recover], [Timeout],
// [Log] and [FanOut].
//
// Middleware has the type framework.Middleware and is installed for every
// handler with framework.WithMiddleware, or for one handler with
// framework.WithHandlerMiddleware. Integrations that pull heavy
// dependencies live in sub-packages of their own, so that importing this
// package compiles none of them.
package handlers
