// Package jsonpointer escapes and unescapes the reference tokens of a
// JSON Pointer (RFC 6901): "~" is written "~0" and "/" is written "~1".
// It is the one place retabhook does so.
package jsonpointer

import "strings"

// Escape returns name as a reference token: "a/b~c" becomes "a~1b~0c".
func Escape(name string) string {
	if !strings.ContainsAny(name, "~/") {
		return name
	}
	return strings.ReplaceAll(strings.ReplaceAll(name, "~", "~0"), "/", "~1")
}

// Unescape returns the name a reference token stands for: "a~1b~0c"
// becomes "a/b~c" ("~01" becomes "~1", as the RFC's order of
// replacements says).
func Unescape(token string) string {
	if !strings.Contains(token, "~") {
		return token
	}
	return strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~")
}
