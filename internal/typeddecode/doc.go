// Package typeddecode decodes JSON into a Go type with a decoder compiled
// once per type, with exactly encoding/json's semantics, for the common
// case.
//
// json.Unmarshal looks up each struct's fields, walks reflect.Values and
// allocates every string and every slice growth on the way; for a 2 KB
// invoice of twelve lines that is about fifty allocations. [Compile]
// does the reflection once (at registration) and builds a tree of nodes
// that write straight into the destination's memory; [Decoder.Decode]
// walks the bytes once with them.
//
// # The soundness rule
//
// Decode answers ok=true only when json.Unmarshal would succeed on the
// same bytes and produce the same value (reflect.DeepEqual, with the same
// nil and non-nil pointers, slices and maps). On any error, doubt or case
// it does not implement it answers ok=false ("not handled"), and the
// caller decodes the whole input again with json.Unmarshal into a fresh
// value, so errors, their messages and the values of unusual cases stay
// encoding/json's own. Decode never returns an error of its own.
//
// Not handled (json.Unmarshal decides): any syntax error; a JSON type the
// Go type cannot hold; an integer that overflows its type or is written
// with a fraction or an exponent; a float out of range; a key that appears
// twice in one object (or two keys that select the same field), which
// encoding/json merges into the first value in ways not worth copying; a
// field with the ",string" option; an embedded pointer to an unexported
// struct type that would have to be allocated; nesting deeper than
// [MaxDepth]; an UnmarshalJSON method that returns an error.
//
// Implemented natively: structs (fields selected as encoding/json selects
// them, by internal/gojson, embedded structs and pointers to them
// included; a key matched exactly, then case-insensitively; unknown keys
// skipped), pointers, slices, arrays, maps with string keys, strings
// (unescaped as encoding/json does: invalid UTF-8 and lone surrogates
// become U+FFFD), bool, every integer and float kind (strconv.ParseFloat
// of the literal, with the field's bit size), json.Number, and types with
// an UnmarshalJSON method (called with the value's bytes, null included,
// exactly where encoding/json calls it: json.RawMessage is one). A value
// of any other kind (interfaces, a type with only UnmarshalText, a []byte
// given as base64 text, maps with other keys) is decoded by json.Unmarshal
// of its own bytes into its own address, which is what encoding/json does
// for it in place.
//
// # Memory
//
// The strings of one input that is at most [ArenaMax] bytes long share
// one allocation, which a string kept after the value is dropped keeps
// alive. For a type without maps it holds the strings only, back to back:
// each string points into the input (or, unescaped, into a pooled buffer)
// while the input is decoded, and once it is decoded all are copied
// together and pointed at the copy (the typical invoice's 822 bytes of
// strings, not its 1,881 bytes). A map's keys and values are stored
// where they cannot be found again, so for a type with a map that
// allocation is a copy of the input, in which each escaped string is
// unescaped in place (its decoded form is never longer, except when
// invalid UTF-8 grows into U+FFFD, and then it gets an allocation of its
// own). Either way the value shares no memory with the input. A slice is
// decoded into a pooled scratch slice and copied into one allocation of
// its final length.
//
// Decode may call UnmarshalJSON methods of values that precede a syntax
// error further on (json.Unmarshal checks the whole input first); the
// value is discarded then, so only a method with side effects could tell.
package typeddecode
