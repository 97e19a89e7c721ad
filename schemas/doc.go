// Package schemas turns Go types into the JSON Schemas that Retab extracts
// against, and validates extracted objects against them.
//
// A schema is derived once, from a Go type, through
// github.com/invopop/jsonschema, and compiled once, with
// github.com/santhosh-tekuri/jsonschema/v6. The same *Schema value is what
// a user gives Retab (its JSON form, inline in a workflow's Extract block
// or on an extraction) and what the router validates every delivery
// against, so the two cannot drift apart silently; and
// [Compare] finds where a schema file and a struct disagree, for the day
// they do.
//
// # Deriving
//
// [For] and [ForType] derive a schema from a struct:
//
//   - property names come from `json` tags, in the struct's field order
//     (the exported document keeps that order);
//   - fields are required, except fields with omitempty or omitzero,
//     which are optional;
//   - pointer, omitempty and omitzero fields also accept null, written as
//     "type": ["string", "null"] for a single type and as
//     "anyOf": [{"$ref": ...}, {"type": "null"}] for a reference, the two
//     forms of Retab's own schemas: a model answers null for what the
//     document does not have, and a plain field refuses it;
//   - objects get "additionalProperties": false;
//   - descriptions, titles, enums, formats, bounds and patterns come from
//     `jsonschema` tags (invopop/jsonschema's syntax: `jsonschema:"description=...,minimum=0"`);
//     a comma inside a value ("description=Total, tax included",
//     "pattern=^[A-Z]{2,3}$") is kept, unless the text after it starts
//     another item ("enum=", "minimum=", "required"...);
//   - `validate` rules (go-playground/validator) become keywords where
//     JSON Schema can say them: required, min, max, len, gt, gte, lt, lte,
//     oneof, email, url, uri, uuid, datetime, e164, iso4217,
//     iso3166_1_alpha2, iso3166_1_alpha3, bcp47_language_tag, and dive to
//     the items or map values (keys ... endkeys to the keys); each is also
//     stated in words at the end of the description ("At least one
//     entry."), since strict mode hides some keywords from the model. A
//     rule with no schema form is a validate-untold warning; a jsonschema
//     tag that contradicts a rule is an error wrapping [ErrTagConflict];
//   - Go doc comments can serve as descriptions ([WithComments], [Comments]),
//     rewritten for a model: "Number is the invoice number." is read as
//     "The invoice number.";
//   - nested named types become "$defs" entries named after the type
//     (Party), qualified only when two types share a name
//     (billing_Party, shipping_Party); a generic type's name lists its
//     type arguments (Page[pkg.Item] is Page_Item). Names contain only
//     letters, digits and underscores, so every "$ref" resolves;
//   - recursive types work: a type that contains itself is referenced
//     through "$defs", including the root type (whose definition is then
//     also kept in "$defs"), since Retab expands only #/$defs/ references;
//   - embedded structs contribute their fields, as with encoding/json;
//     maps become objects with "additionalProperties" (their values'
//     schema); json.RawMessage and interface fields accept anything ({});
//     time.Time is a "date-time" string; [Date] is a "date" string;
//     [DateTime] is a date and time of day without a zone;
//     time.Duration is refused (its JSON is nanoseconds);
//     [Amount] is an exact decimal number; a type with a MarshalText
//     method is a string. A type with its own MarshalJSON needs a
//     JSONSchema method or [WithTypeSchema], since its JSON form is not
//     what its Go type says.
//
// The output is deterministic, byte for byte, across runs and machines.
//
// # Retab's keys
//
// The `retab` struct tag sets Retab's keys on a field:
//
//	type Invoice struct {
//		Total    float64    `json:"total" retab:"reasoning=Add the lines, then the tax; compare with the printed total"`
//		VATID    *string    `json:"vat_id" retab:"prompt=The seller's VAT number, starting with a country code,quote"`
//		Lines    []LineItem `json:"line_items" retab:"item-reasoning=Check that quantity times unit price is the amount"`
//	}
//
// Items, in any order, separated by commas:
//
//	prompt=TEXT           X-FieldPrompt: replaces the description in what the model reads
//	reasoning=TEXT        X-ReasoningPrompt on the field: the model writes reasoning___<field> first
//	item-reasoning=TEXT   X-ReasoningPrompt on each item of a slice of structs: reasoning___item
//	quote                 X-SourceQuote: the model adds source___<field>, the text it read the value from
//
// A comma inside TEXT is kept unless what follows it is another item
// ("prompt=", "reasoning=", "item-reasoning=", "quote"); write \\, in Go
// source for a literal comma in that rare case. An unknown item is an
// error at derivation, so a typo fails at registration, not in production.
//
// Object-level prompts come from a method: a struct type that implements
// [Prompter] gets X-SystemPrompt (at the root) and X-ReasoningPrompt
// (reasoning___root at the root; for a nested type, next to every field of
// that type). [WithSystemPrompt] and [WithReasoningPrompt] set them on the
// root instead.
//
// The keys reasoning___*, source___* and quote___* that the model adds
// are set aside by [ParseInstance] and stay available to handlers.
//
// # Doc comments
//
// A compiled program has no comments, so [Comments] are generated from the
// source at go generate time, by cmd/schemadoc, into a Go file, and given
// to [WithComments]. See [Comments].
//
// # Schemas users already have
//
// [Parse] reads a schema file: exported from Retab's dashboard, generated
// by Pydantic (model_json_schema: $defs, #/$defs/ references, titles,
// anyOf with null), or written by hand with X- keys. It keeps the file's
// member order. framework.WithSchema validates a registered type's
// deliveries against it instead of the derived schema, and [Compare] lists
// every difference between the file and the struct: a field missing on
// either side, a type, nullability or required-ness mismatch, a
// constraint or an annotation that differs, each in words that say what to
// change.
//
// # Schema ids
//
// [Schema.ID] and [Schema.DataID] are Retab's schema ids (sch_id_...,
// sch_data_id_...) as its SDKs computed them until 2026-05: the
// BLAKE2b-64 of the schema serialised as Python's json.dumps(schema,
// sort_keys=True) writes it, the data id after removing descriptions,
// titles, defaults, examples, required and X- keys. [IDs] computes them
// for any document. No current Retab client computes them and nothing
// public shows that the dashboard still displays them: they are stable
// fingerprints of a schema.
//
// # Strict mode
//
// Retab shows the model a strict-mode copy of the schema: integer becomes
// number, enum values become strings, format, minLength, maxLength and
// default are dropped, and every property becomes required.
// [Schema.Warnings] lists what that changes in a given schema, with what
// to do, before it is given to Retab. The validator is lenient to match, with
// exact textual rewrites: [Prepare] writes 3.0 as 3 (only when the decimal
// value is exactly an integer), and [Schema.Accept] reads "3" as 3 in an
// enum of numbers (and "True", "None" as true and null).
//
// # Validating
//
// [Prepare] reads the extracted object (the JSON string Retab puts in
// completion.choices[0].message.content). It removes the keys Retab adds
// beyond the user's schema (reasoning___*, source___*, quote___*) at every
// depth, keeping them as [Annotation] values, rewrites integral numbers
// such as 3.0 as 3 and refuses a repeated key ([RepeatedKeyError]);
// every other byte stays. [ParseInstance] also decodes the result.
// [Schema.Validate] checks the decoded value, never modifying it, and
// reports every violation as a JSON Pointer into the extracted object,
// the failing keyword and a message ("/line_items/0/quantity: must be an
// integer, not a string"); [Schema.Accept] returns the bytes a Go type
// is decoded from. docs/schemas.md, "What the handler gets", states the
// semantics whole.
//
// # Validate tags
//
// `validate` tags (go-playground/validator, applied by the router after
// decoding) have two traps that the JSON Schema does not share:
// validate:"required" means non-zero, not present, so it refuses 0 and
// false; and the rules of slice, array and map elements run only with
// dive (validate:"min=1,dive"). Presence is the JSON Schema's job: a
// field without omitempty is already required. [Schema.Warnings] reports
// both traps for a derived schema.
package schemas
