// Package schemas turns Go types into the JSON Schemas that Retab extracts
// against, and validates extracted objects against them.
//
// A schema is derived once, from a Go type, through
// github.com/invopop/jsonschema, and compiled once, with
// github.com/santhosh-tekuri/jsonschema/v6. The same *Schema value is what a
// user uploads to Retab (its JSON form) and what the router validates every
// delivery against, so the two cannot drift apart silently.
//
// # Deriving
//
// [For] and [ForType] derive a schema from a struct:
//
//   - property names come from `json` tags, in the struct's field order;
//   - fields without `omitempty` are required, fields with `omitempty` are
//     optional, and pointer and `omitempty` fields also accept null (a model
//     answers null for a value it cannot find);
//   - objects get "additionalProperties": false;
//   - nested structs become "$defs" entries whose names contain only
//     letters, digits and underscores, so every "$ref" resolves.
//
// # Validating
//
// [ParseInstance] reads the extracted object (the JSON string Retab puts in
// completion.choices[0].message.content). It sets aside the keys Retab adds
// beyond the user's schema (reasoning___*, source___*, quote___*) at every
// depth, keeping them as [Annotation] values, and rewrites integral numbers
// such as 3.0 as 3, because Retab's strict mode shows integers to the model
// as numbers. [Schema.Validate] then checks the cleaned value and reports
// every violation as a JSON Pointer into the extracted object, the failing
// keyword and a message.
package schemas
