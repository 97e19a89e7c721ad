// Package fastpath validates prepared content (schemas.Prepare) straight
// from its JSON bytes, for the common case, with the exact verdicts of the
// full validator (schemas.Schema.Accept).
//
// The full validator builds a map[string]any tree and walks it with the
// JSON Schema validator: several hundred allocations for a 2 KB invoice.
// [Program.Validate] checks the bytes against a schema compiled by
// [Compile] in one walk instead. Compile refuses schemas that use keywords
// it does not implement; Validate answers sure=false ("don't know") when a
// value needs arithmetic it leaves to the full validator, or the enum
// leniency might apply. Callers use the full validator whenever the fast
// one does not answer, so the fast path only has to be right when it
// answers; the differential tests check that it is.
package fastpath
