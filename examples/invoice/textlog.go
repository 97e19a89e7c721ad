package main

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// textHandler writes what slog.NewTextHandler(w, &slog.HandlerOptions{Level:
// level}) writes, byte for byte (TestTextHandlerAgreesWithSlog,
// FuzzTextHandler), with a shorter way to it for a record whose attrs are
// strings, integers, durations and booleans (the router's delivery line,
// on every request): the line is formatted here rather than by slog's
// general walk (its per-attr ReplaceAttr and group checks, its time layout
// interpreter). Any other record, and the handlers WithAttrs and WithGroup
// return, are slog's TextHandler's; both write through one mutex, a line
// per Write, as slog's handler does.
type textHandler struct {
	slow *slog.TextHandler // writes through out
	out  *lockedWriter
	bufs sync.Pool // *[]byte
}

// lockedWriter serialises the lines the two paths write.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func newTextHandler(w io.Writer, level slog.Leveler) *textHandler {
	out := &lockedWriter{w: w}
	return &textHandler{slow: slog.NewTextHandler(out, &slog.HandlerOptions{Level: level}), out: out}
}

func (h *textHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.slow.Enabled(ctx, l) }

func (h *textHandler) WithAttrs(as []slog.Attr) slog.Handler { return h.slow.WithAttrs(as) }

func (h *textHandler) WithGroup(name string) slog.Handler { return h.slow.WithGroup(name) }

// textLineMax is the longest line kept in the pool for the next one.
const textLineMax = 4 << 10

func (h *textHandler) Handle(ctx context.Context, r slog.Record) error {
	bp, _ := h.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	line, ok := appendTextLine((*bp)[:0], r)
	if !ok {
		h.bufs.Put(bp)
		return h.slow.Handle(ctx, r)
	}
	_, err := h.out.Write(line)
	if cap(line) <= textLineMax {
		*bp = line
		h.bufs.Put(bp)
	}
	return err
}

// appendTextLine appends r's line as slog's TextHandler (no ReplaceAttr,
// no source, no groups) writes it, or reports false when r holds a value
// it leaves to slog: any kind but string, int64, uint64, duration, bool, or
// a time it does not format.
func appendTextLine(b []byte, r slog.Record) ([]byte, bool) {
	ok := true
	r.Attrs(func(a slog.Attr) bool {
		switch a.Value.Kind() {
		case slog.KindString, slog.KindInt64, slog.KindUint64, slog.KindDuration, slog.KindBool:
		default:
			ok = false
		}
		return ok
	})
	if !ok {
		return b, false
	}
	if !r.Time.IsZero() {
		b = append(b, "time="...)
		if b, ok = appendTextTime(b, r.Time.Round(0)); !ok {
			return b, false
		}
		b = append(b, ' ')
	}
	b = append(b, "level="...)
	b = appendTextString(b, r.Level.String())
	b = append(b, " msg="...)
	b = appendTextString(b, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		// (slog elides an attr with no key and the zero Value, of the
		// kind any: none of those here.)
		v := a.Value
		b = append(b, ' ')
		b = appendTextString(b, a.Key)
		b = append(b, '=')
		switch v.Kind() {
		case slog.KindString:
			b = appendTextString(b, v.String())
		case slog.KindInt64:
			b = strconv.AppendInt(b, v.Int64(), 10)
		case slog.KindUint64:
			b = strconv.AppendUint(b, v.Uint64(), 10)
		case slog.KindDuration:
			b = append(b, v.Duration().String()...)
		case slog.KindBool:
			b = strconv.AppendBool(b, v.Bool())
		}
		return true
	})
	return append(b, '\n'), true
}

// appendTextString appends s as slog's text handler does: as it is, or
// quoted by strconv when it is empty or holds a space, '=', '"', a control
// character, invalid UTF-8 or a rune that is not printable.
func appendTextString(b []byte, s string) []byte {
	if !textNeedsQuoting(s) {
		return append(b, s...)
	}
	if len(s) > 0 && !quoteEscapes(s) {
		// What strconv.Quote gives printable ASCII without '"' or '\\'.
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	return strconv.AppendQuote(b, s)
}

// Bytes in a word, for the tests of eight bytes at a time below.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// zeroByte is non-zero when a byte of w is 0; below, when a byte of w is
// under n (n <= 0x80; a byte at or over 0x80 is reported on its own).
func zeroByte(w uint64) uint64      { return (w - ones) &^ w & highs }
func below(w uint64, n byte) uint64 { return (w - ones*uint64(n)) &^ w & highs }

// quotable is non-zero when a byte of w is one textNeedsQuoting looks at:
// not ASCII, a space or under, '=' or '"'.
func quotable(w uint64) uint64 {
	return w&highs | below(w, '!') | zeroByte(w^ones*'=') | zeroByte(w^ones*'"')
}

// escaped is non-zero when a byte of w is one strconv.Quote escapes: not
// printable ASCII, '"' or '\\'.
func escaped(w uint64) uint64 {
	return w&highs | below(w, ' ') | zeroByte(w^ones*0x7f) | zeroByte(w^ones*'"') | zeroByte(w^ones*'\\')
}

// wordAt is the eight bytes of s from i (i+8 <= len(s)).
func wordAt(s string, i int) uint64 { return binary.LittleEndian.Uint64([]byte(s[i : i+8])) }

// shortWord holds every byte of s (0 < len(s) < 8), some twice, and 'a'
// where it has room left: a word for quotable and escaped, which ask
// whether any byte is one of theirs.
func shortWord(s string) uint64 {
	n := len(s)
	if n >= 4 {
		return uint64(binary.LittleEndian.Uint32([]byte(s[:4]))) | uint64(binary.LittleEndian.Uint32([]byte(s[n-4:])))<<32
	}
	return uint64(s[0]) | uint64(s[n/2])<<8 | uint64(s[n-1])<<16 | 0x6161616161<<24
}

// textNeedsQuoting is slog's rule: JSON's safe ASCII (backslash aside)
// but for space and '='; beyond ASCII, printable runes that are not
// spaces. Eight bytes at a time (the last word overlapping the one
// before) up to a byte to look at, then byte by byte.
func textNeedsQuoting(s string) bool {
	n, from := len(s), 0
	switch {
	case n == 0:
		return true
	case n < 8:
		if quotable(shortWord(s)) == 0 {
			return false
		}
	default:
		for i := 0; ; i += 8 {
			from = min(i, n-8)
			if quotable(wordAt(s, from)) != 0 {
				break
			}
			if from == n-8 {
				return false
			}
		}
	}
	for i := from; i < n; { // the bytes before from are plain ASCII
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += size
	}
	return false
}

// quoteEscapes reports whether strconv.Quote escapes a byte of s (not
// empty).
func quoteEscapes(s string) bool {
	n := len(s)
	if n < 8 {
		return escaped(shortWord(s)) != 0
	}
	for i := 0; i < n; i += 8 {
		if escaped(wordAt(s, min(i, n-8))) != 0 {
			return true
		}
	}
	return false
}

// appendTextTime appends t as slog's text handler does (RFC 3339 with
// milliseconds, in t's location), for years 0 to 9999 (false otherwise:
// slog's layout is left to write those).
func appendTextTime(b []byte, t time.Time) ([]byte, bool) {
	t = t.Truncate(time.Millisecond)
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return b, false
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/int(time.Millisecond), 3)
	_, offset := t.Zone()
	if offset == 0 {
		return append(b, 'Z'), true
	}
	zone := offset / 60 // minutes; RFC 3339's offset has no seconds
	if zone < 0 {
		b = append(b, '-')
		zone = -zone
	} else {
		b = append(b, '+')
	}
	b = appendDigits(b, zone/60, 2)
	b = append(b, ':')
	return appendDigits(b, zone%60, 2), true
}

// appendDigits appends n (>= 0) in width decimal digits, zero-padded.
func appendDigits(b []byte, n, width int) []byte {
	var d [4]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
}
