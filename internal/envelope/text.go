package envelope

import (
	"strings"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// text holds the decoded strings of a walk: each is a part of the
// builder's buffer, which only grows (a string already made keeps the
// bytes it was made of), so a walk makes one allocation for all its
// strings as long as they fit the room it grew at the start.
type text struct{ sb strings.Builder }

// Grow makes room for n more bytes.
func (t *text) Grow(n int) { t.sb.Grow(n) }

// add decodes the string token tok (as jsonscan.String accepted it, with
// its flags) and returns its value.
func (t *text) add(tok []byte, flags jsonscan.StringFlags) string {
	start := t.sb.Len()
	if jsonscan.Plain(tok, flags) {
		t.sb.Write(tok[1 : len(tok)-1])
	} else {
		t.sb.Write(jsonscan.Unquote(nil, tok)) // rare: an escape or a non-ASCII byte
	}
	return t.sb.String()[start:]
}

// copy returns a copy of b.
func (t *text) copy(b []byte) string {
	start := t.sb.Len()
	t.sb.Write(b)
	return t.sb.String()[start:]
}
