package printable_test

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/retabhook/retabhook/internal/printable"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain text: ok":          "plain text: ok",
		"Papeterie Martin SARL é": "Papeterie Martin SARL é",
		"a\x1b[31mred\x07\x00":    `a\x1b[31mred\x07\x00`,
		"gpt\nFORGED 200 POST":    `gpt\nFORGED 200 POST`,
		"cr\rtab\t":               `cr\rtab\t`,
		"c1\u0085 del\x7f":        `c1\x85 del\x7f`,
		"bidi\u202egnp.exe":       `bidi\u{202e}gnp.exe`,
		"bad\xffutf8":             `bad\xffutf8`,
	} {
		got := printable.Escape(in)
		assert.Equal(t, want, got, "%q", in)
		for _, c := range got {
			assert.False(t, c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0), "%q kept control %U", in, c)
		}
	}
}

func TestEscapeCutNeverSplitsAnEscape(t *testing.T) {
	s := strings.Repeat("\x1b", 100)
	got := printable.EscapeCut(s, 10)
	assert.Equal(t, strings.Repeat(`\x1b`, 10)+"...", got)
	assert.Equal(t, "é", printable.EscapeCut("éé", 3)[:2], "cut at a rune boundary")
}

func TestQuoteBounds(t *testing.T) {
	long := strings.Repeat("x", 500_000)
	got := printable.Quote(long, printable.MaxEcho)
	assert.Equal(t, `"`+strings.Repeat("x", 128)+`"...(+499872 bytes)`, got)
	assert.Equal(t, `"a\nb"`, printable.Quote("a\nb", 10))
}

func ExampleEscape() {
	fmt.Println(printable.Escape("model=gpt\x1b[2J\nFORGED line"))
	// Output: model=gpt\x1b[2J\nFORGED line
}

func TestEscapeLinesKeepsLines(t *testing.T) {
	assert.Equal(t, "{\n\t\"a\": \"\\x1b[2J\"\n}", printable.EscapeLines("{\n\t\"a\": \"\x1b[2J\"\n}"))
	assert.Equal(t, `cr\r`, printable.EscapeLines("cr\r"), "a carriage return could overwrite the line")
}

// FuzzEscape: whatever the input, Escape's output holds no control byte,
// no format character and no invalid UTF-8, and EscapeCut never exceeds
// what it was given to escape plus its marker.
func FuzzEscape(f *testing.F) {
	f.Add("a\x1b[2J\nb\u202e\xff")
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{printable.Escape(s), printable.EscapeCut(s, 7)} {
			if !utf8.ValidString(out) {
				t.Fatalf("Escape(%q) = %q: invalid UTF-8", s, out)
			}
			for _, r := range out {
				if r != ' ' && !unicode.IsGraphic(r) {
					t.Fatalf("Escape(%q) = %q keeps %U", s, out, r)
				}
			}
		}
	})
}
