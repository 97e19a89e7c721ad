// Package printable makes untrusted text safe to show: cut and quoted for
// problem documents and logs ([Quote]), with its control bytes escaped for
// a terminal ([Escape]). It is the one place retabhook and its CLI do so.
package printable

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEcho is the most bytes of an untrusted value (a header value, a
// method, a path segment, a kind) that answers and logs repeat.
const MaxEcho = 128

// Cut returns s cut to at most max bytes, at a rune boundary, and the
// number of bytes left out.
func Cut(s string, max int) (string, int) {
	if len(s) <= max {
		return s, 0
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], len(s) - i
}

// Quote returns s Go-quoted (control bytes and invalid UTF-8 escaped),
// cut to at most max bytes of s with the number of bytes left out:
// "abc"...(+1234 bytes).
func Quote(s string, max int) string {
	head, rest := Cut(s, max)
	return strconv.Quote(head) + more(rest)
}

// Bound returns s cut to at most max bytes with the number of bytes left
// out: abc...(+1234 bytes). It is for text already escaped or kept in
// JSON (a log attribute, a violation's message).
func Bound(s string, max int) string {
	head, rest := Cut(s, max)
	return head + more(rest)
}

func more(rest int) string {
	if rest == 0 {
		return ""
	}
	return "...(+" + strconv.Itoa(rest) + " bytes)"
}

// Escape returns s with every rune a terminal could act on written as an
// escape: control bytes (C0, DEL, C1, so ESC, BEL, NUL, CR and newline),
// format characters (bidirectional overrides) and invalid UTF-8 become
// \n, \r, \t or \xNN / \u{NNNN}; printable text and spaces are unchanged.
// Text printed through it cannot move the cursor, ring the bell or start
// a new output line.
func Escape(s string) string { return escape(s, false) }

// EscapeLines is Escape for text printed as a block of lines (a body, a
// multi-line error): newlines and tabs are kept, every other control
// byte is escaped.
func EscapeLines(s string) string { return escape(s, true) }

func escape(s string, lines bool) string {
	if plain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(hex2(s[i]))
		case r == ' ' || unicode.IsGraphic(r) || lines && (r == '\n' || r == '\t'):
			b.WriteString(s[i : i+size])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x100:
			b.WriteString(`\x`)
			b.WriteString(hex2(byte(r)))
		default:
			b.WriteString(`\u{`)
			b.WriteString(strconv.FormatInt(int64(r), 16))
			b.WriteString(`}`)
		}
		i += size
	}
	return b.String()
}

// EscapeCut is Escape(s) cut to at most max bytes, never inside an
// escape, with "..." when something was left out.
func EscapeCut(s string, max int) string {
	head, rest := Cut(s, max)
	e := Escape(head)
	if rest > 0 {
		e += "..."
	}
	return e
}

// plain reports whether s is printable ASCII throughout.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
