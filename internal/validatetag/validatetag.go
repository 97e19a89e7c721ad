// Package validatetag reads go-playground/validator's tag syntax as the
// validator does, without importing it: a rule's parameter, a oneof's
// values, and the code lists of the iso4217, iso3166_1_alpha2 and
// iso3166_1_alpha3 rules (generated from the validator by
// internal/gencodes). Both the schemas package (the keywords a tag becomes)
// and internal/rulecheck (the rule programs) read tags through it, so
// the two cannot read one differently, and schemas does not link the
// validator.
package validatetag

import (
	"regexp"
	"strings"
)

//go:generate go run ./internal/gencodes

// Param is a rule's parameter as the validator reads it: "0x2C" stands
// for a comma and "0x7C" for a pipe, which the tag's syntax takes for
// itself.
func Param(p string) string {
	return strings.ReplaceAll(strings.ReplaceAll(p, "0x2C", ","), "0x7C", "|")
}

var oneofSplit = regexp.MustCompile(`'[^']*'|\S+`)

// OneofValues splits a oneof parameter as the validator does: on spaces,
// with 'quoted values' kept whole and every quote removed.
func OneofValues(p string) []string {
	vals := oneofSplit.FindAllString(p, -1)
	for i, v := range vals {
		vals[i] = strings.ReplaceAll(v, "'", "")
	}
	return vals
}

// Codes returns the codes the validator's iso4217, iso3166_1_alpha2 or
// iso3166_1_alpha3 rule accepts, sorted (nil for another rule). The slice
// is shared: do not modify it.
func Codes(rule string) []string {
	switch rule {
	case "iso4217":
		return iso4217Codes
	case "iso3166_1_alpha2":
		return iso3166Alpha2Codes
	case "iso3166_1_alpha3":
		return iso3166Alpha3Codes
	}
	return nil
}
