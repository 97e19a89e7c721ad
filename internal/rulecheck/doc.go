// Package rulecheck applies the common `validate` tags of a Go type to a
// decoded value without go-playground/validator, for the case that
// matters: a value that passes.
//
// go-playground/validator walks a value with reflection and boxes each
// field into an interface on the way (about 70 allocations for a 2 KB
// invoice). [Compile] reads the validate tags of every struct type
// reachable from a type once, at registration, into a [Program];
// [Program.Passes] then checks a value of that type with reflect.Value
// reads only (no boxing, no allocation, but for the few rules it asks
// the validator about a string alone: see below), and
// [Program.PassesAny] checks the value an interface holds from its memory
// (offsets, lengths, the values read as their kinds), with the same
// answers, when every rule under the type has that form.
//
// The soundness rule: when Passes reports true, validator.Struct (with the
// configuration of retabhook's router: validator.New with
// WithRequiredStructEnabled, the `validate` tag name, no aliases, custom
// types or struct-level functions of its own) returns nil for that value.
// Passes reports false when a rule fails, and also whenever the value
// reaches a tag, option or shape the program does not implement exactly
// (cross-field tags, alternatives with '|', keys ... endkeys, time.Time
// comparisons, interfaces holding structs, types with a ValidatorValue
// method, a parameter the validator would panic on). The caller then runs
// validator.Struct as before, so every error, message and panic is still
// the validator's own.
//
// Implemented exactly: required, omitempty, omitnil, omitzero, structonly,
// nostructlevel, dive (nested, on slices, arrays and maps), gt, gte, lt,
// lte, eq, ne, min, max and len (numbers, strings counted in runes,
// lengths of slices, arrays and maps, time.Duration parameters), oneof
// (with its quoting), datetime, iso4217, iso3166_1_alpha2,
// iso3166_1_alpha3 (the validator's own code lists, found by asking it:
// see internal/validatetag), boolean, alphanum and uuid on strings; rules that read
// only the value and their parameter (email, url, uri, http_url, contains,
// startswith, ip, hostname and others: see delegated) on strings, by
// asking the validator about that value alone (validator.Var, a few
// allocations instead of the struct's walk); pointers with the
// validator's nil rules; nested structs (descended into, with or without
// tags); slices and maps without dive (not descended into). The
// differential tests compare Passes with validator.Struct over generated
// types, tags and values.
package rulecheck
