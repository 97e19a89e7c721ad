// Package jsonscan holds the JSON scanning primitives of retabhook's fast
// paths: they walk a document in place, without building values, and
// answer positions into it.
//
// Every function is conservative: when it reports success, encoding/json
// accepts the same bytes and decodes them to the same value; when it
// reports failure, the caller falls back to encoding/json, which produces
// the real error (or, for input jsonscan merely refuses to handle, the real
// value). So only the "ok" answers need to be exact, and the fuzz tests
// check them against encoding/json.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting Skip follows before giving up (it is
// below encoding/json's limit of 10000, so giving up is always safe).
const MaxDepth = 1000

// StringFlags describe a scanned string token.
type StringFlags uint8

const (
	// Escaped: the string holds at least one backslash escape.
	Escaped StringFlags = 1 << iota
	// NonASCII: the string holds at least one byte >= 0x80.
	NonASCII
)

// SkipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func SkipSpace(b []byte, i int) int {
	for i < len(b) {
		// Every whitespace byte is at most ' ': one comparison for the
		// usual byte that is not.
		if c := b[i]; c > ' ' || c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			return i
		}
		i++
	}
	return i
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special returns the high bits of the bytes of the little-endian word w
// that are below 0x20, a quote, a backslash or >= 0x80 (0: none). Bytes
// above a flagged one may be flagged falsely (a borrow carries into
// them); the lowest flag is exact, so bits.TrailingZeros64(special(w))/8
// is the index of w's first such byte.
func special(w uint64) uint64 {
	// With bit 1 of each byte flipped (y), a byte below 0x20 stays below
	// 0x20 and a quote (0x22) becomes 0x20: these, and no other byte, are
	// below 0x21 in y, and borrow in y-0x21; a byte from 0x80 has its high
	// bit set in y; a backslash is a zero byte in w xor its copies, which
	// borrows where the byte's high bit is clear.
	y := w ^ (0x02 * ones)
	bs := w ^ ('\\' * ones)
	return ((y - 0x21*ones) | y | (bs-ones)&^bs) & highs
}

// String scans the string token starting at b[i] (which must be '"'). It
// returns the index just past the closing quote and what the token holds.
// ok is false when the token is not a valid JSON string (unterminated, a
// raw control character, an unknown escape).
func String(b []byte, i int) (end int, flags StringFlags, ok bool) {
	// A key or a value of up to a few words (a name, a line's
	// description) usually has nothing to flag before its quote: its
	// words are read here, before the long scan (which goes on from the
	// first special byte otherwise, or after these words).
	if len(b)-i >= 17 && b[i] == '"' {
		j := i + 1
		for last := min(len(b)-8, i+1+8*(stringWords-1)); j <= last; {
			w := binary.LittleEndian.Uint64(b[j:])
			if t := bits.TrailingZeros64(special(w)); t < 64 {
				if byte(w>>(t&^7)) == '"' {
					return j + 1 + t>>3, 0, true
				}
				return stringFrom(b, j+t>>3, nil)
			}
			j += 8
		}
		return stringFrom(b, j, nil)
	}
	return StringRuns(b, i, nil)
}

// stringWords is how many words String reads before the long scan.
const stringWords = 8

// StringRuns is String that jumps over the runs of b that p records
// (nil: none).
func StringRuns(b []byte, i int, p *PlainRuns) (end int, flags StringFlags, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return i, 0, false
	}
	return stringFrom(b, i+1, p)
}

// stringFrom is StringRuns from b[i], inside the string, the bytes
// between its opening quote and i being plain.
func stringFrom(b []byte, i int, p *PlainRuns) (end int, flags StringFlags, ok bool) {
	// quote and bslash are the indexes of the next quote and of the next
	// backslash before it, at or after i, once looked for (in a long
	// string: a document's base64); each is looked for again only once i
	// has passed it, so the string is searched once.
	quote, bslash := -1, -1
	for {
		words := 0
		for i+8 <= len(b) {
			if m := special(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				// The bytes before the first special one are plain.
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
			if words++; words == longRun {
				j, limit := p.skip(i, len(b))
				if j > i {
					i, words = j, 0
					continue
				}
				// The searches stop at the next plain run, which is
				// jumped over when i reaches it: a quote index of limit
				// only says that no quote comes before it.
				if quote < i {
					quote = indexFrom(b, i, limit, '"')
				}
				if bslash < i {
					bslash = indexFrom(b, i, quote, '\\')
				}
				i = skipPrintable(b, i, bslash)
				words = 0
			}
		}
		if i >= len(b) {
			return i, flags, false
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, flags, true
		case c == '\\':
			flags |= Escaped
			if i+1 >= len(b) {
				return i, flags, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, flags, false
				}
				i += 6
			default:
				return i, flags, false
			}
		case c < 0x20:
			return i, flags, false
		case c >= 0x80:
			flags |= NonASCII
			i++
		default:
			i++
		}
	}
}

// longRun is the number of plain 8-byte words after which String looks
// for the string's end with bytes.IndexByte (assembly) rather than word
// by word.
const longRun = 8

// indexFrom returns the index of the first c in b[i:end] (end when there
// is none), with bytes.IndexByte.
func indexFrom(b []byte, i, end int, c byte) int {
	if k := bytes.IndexByte(b[i:end], c); k >= 0 {
		return i + k
	}
	return end
}

// skipPrintable advances i over 32-byte blocks of printable ASCII
// (0x20..0x7f) before end, which holds no quote or backslash before it:
// it returns the start of the first block that holds another byte, or
// of the last, shorter one.
func skipPrintable(b []byte, i, end int) int {
	for i+32 <= end {
		w := b[i : i+32]
		w0 := binary.LittleEndian.Uint64(w[0:8])
		w1 := binary.LittleEndian.Uint64(w[8:16])
		w2 := binary.LittleEndian.Uint64(w[16:24])
		w3 := binary.LittleEndian.Uint64(w[24:32])
		// A byte below 0x20 borrows (its high bit set in w-0x20), a byte
		// from 0x80 has it set in w.
		if ((w0-0x20*ones)|w0|(w1-0x20*ones)|w1|(w2-0x20*ones)|w2|(w3-0x20*ones)|w3)&highs != 0 {
			return i
		}
		i += 32
	}
	return i
}

// PlainRuns records the runs of a buffer that hold nothing but printable
// ASCII other than '"' and '\\' (bytes 0x20 to 0x7f), as the buffer is
// filled: a string scan jumps over them instead of reading them again,
// so a document's base64 is checked once, while it is still in the CPU's
// cache after it was read. The zero PlainRuns records nothing.
type PlainRuns struct {
	runs []plainRun // in order, not adjacent
}

type plainRun struct{ start, end int }

// Reset forgets every run, keeping the memory.
func (p *PlainRuns) Reset() { p.runs = p.runs[:0] }

// Note checks b, bytes just written at offset at of the buffer, and
// records its plain prefix and its plain suffix (the whole of it when it
// is plain), each when it is at least 32 bytes long: a read that holds
// the start or the end of a document, with JSON around it, still has the
// document's part noted. Finding the suffix reads backwards from the end
// to the last byte that is not plain, so a read costs one pass at most.
// Runs are recorded as offsets of the buffer: at plus their offset in b.
func (p *PlainRuns) Note(b []byte, at int) {
	end := len(b)
	if end < 32 {
		return
	}
	i := plainPrefix(b, 0, end)
	p.add(at, at+i)
	if i == end {
		return
	}
	p.add(at+plainSuffix(b, i+1, end), at+end)
}

// add records b[start:end] when it is long enough to be worth a jump.
func (p *PlainRuns) add(start, end int) {
	if end-start < 32 {
		return
	}
	if n := len(p.runs); n > 0 && p.runs[n-1].end == start {
		p.runs[n-1].end = end
		return
	}
	p.runs = append(p.runs, plainRun{start, end})
}

// plain reports a byte a JSON string holds as it is: printable ASCII
// other than '"' and '\\'.
func plain(c byte) bool { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' }

// plainSuffix returns the start of the run of plain bytes that ends at
// end, reading backwards no further than start: by blocks of
// suffixBlock bytes checked as Note checks a read (bytes.IndexByte and
// skipPrintable, the fast primitives), then, in the block that is not
// plain, word by word. special may flag a byte above a flagged one
// falsely, never miss one, so the highest flag of a word is at or above
// its last byte that is not plain: the run returned may be a few bytes
// shorter than the real one, never longer.
func plainSuffix(b []byte, start, end int) int {
	i := end
	for i-suffixBlock >= start && allPlain(b, i-suffixBlock, i) {
		i -= suffixBlock
	}
	lo := max(start, i-suffixBlock)
	for i-32 >= lo {
		w := b[i-32 : i]
		w0 := binary.LittleEndian.Uint64(w[0:8])
		w1 := binary.LittleEndian.Uint64(w[8:16])
		w2 := binary.LittleEndian.Uint64(w[16:24])
		w3 := binary.LittleEndian.Uint64(w[24:32])
		if special(w0)|special(w1)|special(w2)|special(w3) != 0 {
			break
		}
		i -= 32
	}
	for i-8 >= lo {
		if m := special(binary.LittleEndian.Uint64(b[i-8 : i])); m != 0 {
			return i - 8 + (63-bits.LeadingZeros64(m))>>3 + 1
		}
		i -= 8
	}
	for i > lo && plain(b[i-1]) {
		i--
	}
	return i
}

// suffixBlock is the size of the blocks plainSuffix checks at once.
const suffixBlock = 4 << 10

// allPlain reports whether b[start:end] holds plain bytes only.
func allPlain(b []byte, start, end int) bool { return plainPrefix(b, start, end) == end }

// plainPrefix returns the end of b[start:end]'s run of plain bytes from
// start: the primitives Note checks a read with (bytes.IndexByte for a
// quote and a backslash, skipPrintable), then byte by byte.
func plainPrefix(b []byte, start, end int) int {
	stop := indexFrom(b, start, end, '"')
	stop = indexFrom(b, start, stop, '\\')
	i := skipPrintable(b, start, stop)
	for i < stop && plain(b[i]) {
		i++
	}
	return i
}

// PlainName reports whether name is printable ASCII (0x20 to 0x7e)
// without a quote or a backslash: the JSON string token of such a name
// is the name between quotes, so a document's key can be compared with
// it byte for byte.
func PlainName(name string) bool {
	for i := range len(name) {
		if c := name[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// skip returns the end of the recorded run that holds i (i when none
// does), and the start of the next run after i (n when there is none).
func (p *PlainRuns) skip(i, n int) (end, next int) {
	if p == nil {
		return i, n
	}
	k, _ := slices.BinarySearchFunc(p.runs, i, func(r plainRun, i int) int {
		switch {
		case r.end <= i:
			return -1
		case r.start > i:
			return 1
		}
		return 0
	})
	switch {
	case k == len(p.runs):
		return i, n
	case p.runs[k].start <= i:
		return p.runs[k].end, n // the caller asks again from the end
	default:
		return i, min(n, p.runs[k].start)
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Number scans the number token starting at b[i]. It returns the index
// just past it; integer is true when the token has neither a fraction nor
// an exponent.
func Number(b []byte, i int) (end int, integer, ok bool) {
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return start, false, false
	}
	integer = true
	if i < len(b) && b[i] == '.' {
		integer = false
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return start, false, false
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integer = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return start, false, false
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	return i, integer, true
}

// Literal scans true, false or null at b[i].
func Literal(b []byte, i int) (end int, ok bool) {
	lit := ""
	if i < len(b) {
		switch b[i] {
		case 't':
			lit = "true"
		case 'f':
			lit = "false"
		case 'n':
			lit = "null"
		}
	}
	if lit != "" && len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

// Skip scans the value starting at b[i] (no leading whitespace) and
// returns the index just past it, checking its syntax on the way.
func Skip(b []byte, i int) (end int, ok bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		end, _, ok := String(b, i)
		return end, ok
	case c == '{' || c == '[':
		return skipNested(b, i)
	case c == '-' || '0' <= c && c <= '9':
		end, _, ok := Number(b, i)
		return end, ok
	default:
		return Literal(b, i)
	}
}

// skipNested is Skip for the object or array at b[i], in one loop rather
// than a call per value (a skipped tree, such as the completion's
// "parsed" copy of the content, is mostly short strings and numbers): a
// string's plain bytes are passed over a word at a time and a short
// number's digits likewise (skipNumber) in the loop itself, the rest of a
// string (an escape, a non-ASCII byte, a long run) by stringFrom, and
// whitespace is looked for only where a byte is one. objects records, for
// each open container, whether it is an object, and at most MaxDepth of
// them may be open at once, as Object and Array nested by Skip's
// recursion would allow.
func skipNested(b []byte, i int) (int, bool) {
	var objects [(MaxDepth + 63) / 64]uint64
	depth := 0   // open containers
	key := false // b[i] must start a member's key
	var ok bool
	for {
		// b[i] starts a value, or a key.
		if i >= len(b) {
			return i, false
		}
		c := b[i]
		switch {
		case c == '"':
			// At most longRun words here; a longer string is stringFrom's.
			j, limit := i+1, min(len(b), i+1+8*longRun)
			for j+8 <= limit {
				if m := special(binary.LittleEndian.Uint64(b[j : j+8])); m != 0 {
					j += bits.TrailingZeros64(m) >> 3
					break
				}
				j += 8
			}
			if j < len(b) && b[j] == '"' {
				i = j + 1
			} else if i, _, ok = stringFrom(b, j, nil); !ok {
				return i, false
			}
			if key {
				key = false
				i = SkipSpace(b, i)
				if i >= len(b) || b[i] != ':' {
					return i, false
				}
				i = SkipSpace(b, i+1)
				continue // at the member's value
			}
		case key:
			return i, false
		case c == '{' || c == '[':
			if depth >= MaxDepth {
				return i, false
			}
			bit := uint64(1) << (depth & 63)
			closing := byte(']')
			if c == '{' {
				objects[depth>>6] |= bit
				closing = '}'
			} else {
				objects[depth>>6] &^= bit
			}
			depth++
			i = SkipSpace(b, i+1)
			if i < len(b) && b[i] == closing {
				i++
				depth--
				break // an empty one: a value read
			}
			key = c == '{'
			continue // at its first member or value
		case c == '-' || '0' <= c && c <= '9':
			if i, ok = skipNumber(b, i); !ok {
				return i, false
			}
		default:
			if i, ok = Literal(b, i); !ok {
				return i, false
			}
		}
		// A value was read: what follows it, closing containers until
		// one has a next value.
		for {
			if depth == 0 {
				return i, true
			}
			i = SkipSpace(b, i)
			if i >= len(b) {
				return i, false
			}
			object := objects[(depth-1)>>6]&(1<<((depth-1)&63)) != 0
			if c := b[i]; c == ',' {
				i = SkipSpace(b, i+1)
				key = object
				break
			} else if object && c != '}' || !object && c != ']' {
				return i, false
			}
			i++
			depth--
		}
	}
}

// skipNumber is Number's end and verdict for the number at b[i]: by
// wordNumber when it can tell, by Number otherwise.
func skipNumber(b []byte, i int) (int, bool) {
	if end, _, ok := wordNumber(b, i); ok {
		return end, true
	}
	end, _, ok := Number(b, i)
	return end, ok
}

// NumberShape is what a number token holds beyond its syntax, as the
// walks that keep a document as it is need it.
type NumberShape uint8

const (
	// Integral: neither a fraction nor an exponent (Number's integer).
	Integral NumberShape = iota
	// Fractional: a fraction with a digit other than 0, and no exponent,
	// as 7331.76: not integral, and MayBeIntegral is false.
	Fractional
	// MayBeWhole: an exponent, or a fraction of zeros only (MayBeIntegral
	// is true): IntegerForm may write it as an integer.
	MayBeWhole
)

// ScanNumber is Number with the token's shape, in one pass: Number's end
// and verdict, and the shape Number's integer and MayBeIntegral give
// (meaningless when not ok): by wordNumber when it can tell, by Number
// and MayBeIntegral otherwise.
func ScanNumber(b []byte, i int) (end int, shape NumberShape, ok bool) {
	if end, shape, ok := wordNumber(b, i); ok {
		return end, shape, true
	}
	end, integer, ok := Number(b, i)
	switch {
	case !ok || integer:
		return end, Integral, ok
	case MayBeIntegral(b[i:end]):
		return end, MayBeWhole, true
	}
	return end, Fractional, true
}

// wordNumber reads the usual number at b[i] a word at a time: an integer,
// or an integer and a fraction, each shorter than a word, whose next byte
// is in the word read, when b has room for two words past i. It returns
// the valid token's end and shape (as Number and MayBeIntegral give them),
// or ok false when the number is not of that form (an exponent, a longer
// part, too little room, or invalid), for Number to read.
func wordNumber(b []byte, i int) (end int, shape NumberShape, ok bool) {
	if i < 0 || len(b)-i < 17 {
		return 0, 0, false
	}
	j := i
	if b[j] == '-' {
		j++
	}
	// The digits before the first byte that is not one: a leading zero
	// must be alone, as Number reads it.
	w := binary.LittleEndian.Uint64(b[j : j+8])
	n := bits.TrailingZeros64(nonDigits(w)) >> 3
	if n == 0 || n == 8 || (n > 1 && byte(w) == '0') {
		return 0, 0, false
	}
	switch byte(w >> (8 * n)) {
	case 'e', 'E':
		return 0, 0, false
	case '.':
		j += n + 1 // at most i+9: room for a word
		w = binary.LittleEndian.Uint64(b[j : j+8])
		n = bits.TrailingZeros64(nonDigits(w)) >> 3
		if n == 0 || n == 8 {
			return 0, 0, false
		}
		if c := byte(w >> (8 * n)); c == 'e' || c == 'E' {
			return 0, 0, false
		}
		// The fraction's digits are w's n low bytes: one that is not '0'
		// differs from it in w^'0'*ones.
		if (w^'0'*ones)&(1<<(8*n)-1) != 0 {
			return j + n, Fractional, true
		}
		return j + n, MayBeWhole, true
	}
	return j + n, Integral, true
}

// nonDigits returns the high bits of the bytes of the little-endian word
// w that are not ASCII digits. As with special, bytes above a flagged one
// may be flagged falsely; the lowest flag is exact.
func nonDigits(w uint64) uint64 {
	// A byte below '0' borrows in w-'0', one above '9' and below 0x80
	// reaches 0x80 in w+0x46, one from 0x80 has the bit set in w; a digit
	// does none of these, and carries nor borrows into the byte above.
	return ((w - '0'*ones) | (w + 0x46*ones) | w) & highs
}

// MemberValue reads an object member's key and colon at b[i] and returns
// the index of its value (past whitespace); keyEnd and flags are the
// key's (see String). When not ok, value is where the member went wrong.
func MemberValue(b []byte, i int) (value, keyEnd int, flags StringFlags, ok bool) {
	keyEnd, flags, ok = String(b, i)
	if !ok {
		return keyEnd, keyEnd, flags, false
	}
	i = SkipSpace(b, keyEnd)
	if i >= len(b) || b[i] != ':' {
		return i, keyEnd, flags, false
	}
	return SkipSpace(b, i+1), keyEnd, flags, true
}

// Object scans the object starting at b[i] (which must be '{'): for each
// member it calls member with the key token b[key:keyEnd] (quotes
// included), the key's flags and the index of the value (past any
// whitespace); member scans the value and returns the index just past it.
// Object returns the index just past the '}'. It checks the syntax
// between members; member checks the values.
func Object(b []byte, i int, member func(key, keyEnd int, flags StringFlags, value int) (int, bool)) (int, bool) {
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		key := i
		v, keyEnd, flags, ok := MemberValue(b, i)
		if !ok {
			return v, false
		}
		if i, ok = member(key, keyEnd, flags, v); !ok {
			return i, false
		}
		var more bool
		if i, more, ok = Next(b, i, '}'); !ok || !more {
			return i, ok
		}
	}
}

// Array scans the array starting at b[i] (which must be '['), calling
// elem with the index of each element; elem scans it and returns the
// index just past it. Array returns the index just past the ']'.
func Array(b []byte, i int, elem func(i int) (int, bool)) (int, bool) {
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = elem(i); !ok {
			return i, false
		}
		var more bool
		if i, more, ok = Next(b, i, ']'); !ok || !more {
			return i, ok
		}
	}
}

// Next reads what follows a member or an element: a ',' (more is true,
// and the index is the next member's) or the closing byte (more is false,
// and the index is just past it).
func Next(b []byte, i int, closing byte) (end int, more, ok bool) {
	i = SkipSpace(b, i)
	switch {
	case i >= len(b):
		return i, false, false
	case b[i] == ',':
		return SkipSpace(b, i+1), true, true
	case b[i] == closing:
		return i + 1, false, true
	}
	return i, false, false
}

// Unquote decodes the string token tok (quotes included) exactly as
// encoding/json does: escapes are decoded, invalid UTF-8 bytes and lone
// surrogates become U+FFFD. It appends to dst. The token must have been
// accepted by String.
func Unquote(dst, tok []byte) []byte {
	out, _, _ := AppendString(dst, tok, 0)
	return out
}

// AppendString is String and Unquote in one pass: it scans the string
// token starting at b[i] (which must be '"') and appends its value, decoded
// as encoding/json does, to dst. end and ok are String's; when not ok, out
// holds part of the value and means nothing. It may write into dst's
// spare capacity past the bytes it appends (at most 8 bytes further).
func AppendString(dst, b []byte, i int) (out []byte, end int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return dst, i, false
	}
	i++
	// d is dst's room, n the value's end in it.
	n, d := len(dst), dst[:cap(dst)]
	for {
		if i, n = unescapeWords(d, b, i, n); len(b)-i >= 8 && len(d)-n < 8 {
			d = slices.Grow(d[:n], max(8, n)) // out of room for a word: doubled, as a long content needs
			d = d[:cap(d)]
			continue
		}
		if i < len(b) && b[i] == '"' {
			return d[:n], i + 1, true
		}
		// The rest: the bytes of the string's last word, a \u escape,
		// non-ASCII and what is not a string.
		dst = d[:n]
		if i+8 > len(b) {
			start := i
			for i < len(b) && !isSpecial(b[i]) {
				i++
			}
			dst = append(dst, b[start:i]...)
		}
		if i >= len(b) {
			return dst, i, false
		}
		switch c := b[i]; {
		case c == '"':
			return dst, i + 1, true
		case c == '\\':
			if i+1 >= len(b) {
				return dst, i, false
			}
			if e := unescaped[b[i+1]]; e != 0 {
				dst = append(dst, e)
				i += 2
				break
			}
			if b[i+1] != 'u' {
				return dst, i, false
			}
			rr := getu4(b[i:])
			if rr < 0 {
				return dst, i, false
			}
			i += 6
			if utf16.IsSurrogate(rr) {
				// As Unquote: the next escape, when it is one (its
				// hex digits are checked when it is scanned).
				if dec := utf16.DecodeRune(rr, getu4(b[i:])); dec != unicode.ReplacementChar {
					i += 6
					dst = utf8.AppendRune(dst, dec)
					break
				}
				rr = unicode.ReplacementChar
			}
			dst = utf8.AppendRune(dst, rr)
		case c < 0x20:
			return dst, i, false
		default: // c >= 0x80
			rr, size := utf8.DecodeRune(b[i:])
			i += size
			dst = utf8.AppendRune(dst, rr)
		}
		n, d = len(dst), dst[:cap(dst)]
	}
}

// unescapeWords copies b[i:] to d[n:] a word at a time (the whole word
// is stored, n advances by its plain bytes), decoding the one-byte
// escapes on the way (an escape-heavy string, as the content Retab sends
// is, has one every few bytes), while b has a word left and d room for
// one. It returns where it stopped in b and d: there, b has less than a
// word left, d less room, or b[i] is special (neither plain nor a
// one-byte escape). It calls nothing, so that its loop keeps its
// variables in registers.
func unescapeWords(d, b []byte, i, n int) (int, int) {
	if i < 0 || n < 0 {
		return i, n
	}
	for i+8 <= len(b) && n+8 <= len(d) {
		w := binary.LittleEndian.Uint64(b[i : i+8])
		binary.LittleEndian.PutUint64(d[n:n+8], w)
		m := special(w)
		if m == 0 {
			i, n = i+8, n+8
			continue
		}
		k := bits.TrailingZeros64(m) >> 3
		i, n = i+k, n+k
		if b[i] != '\\' || i+1 >= len(b) {
			break
		}
		e := unescaped[b[i+1]]
		if e == 0 {
			break // \u, or not an escape
		}
		d[n] = e
		i, n = i+2, n+1
	}
	return i, n
}

// unescaped maps the byte after a backslash to the byte the escape
// stands for (0: not a one-byte escape, as \u is not).
var unescaped = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// isSpecial reports whether String stops at c (a byte special flags).
func isSpecial(c byte) bool { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80 }

// Plain reports whether the string token tok decodes to its own bytes
// between the quotes (no escape, only valid UTF-8), so a slice of the input
// can stand for the decoded value.
func Plain(tok []byte, flags StringFlags) bool {
	if flags&Escaped != 0 {
		return false
	}
	return flags&NonASCII == 0 || utf8.Valid(tok[1:len(tok)-1])
}

func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// MaxIntegerGrowth is how many characters longer than the number as
// written IntegerForm lets the integer be: enough for every Go integer
// type (1e19 is twenty digits), and a bound on what a short exponent
// (1e999999) can make the content grow to.
const MaxIntegerGrowth = 20

// IntegerForm returns the number token tok (as accepted by Number) written
// as an integer, appended to dst, when it has a fraction or an exponent
// and its decimal value is exactly an integer: 3.0, 3.000 and 30e-1 are 3,
// -0.0 is -0 (the sign is kept). The comparison is exact, on the digits:
// 2.9999999999999999 and 1e-400 are not integers. ok is false, and dst
// unchanged, for a token without fraction or exponent, for one that is not
// integral, and when the integer would be more than MaxIntegerGrowth
// characters longer than tok.
func IntegerForm(dst, tok []byte) (out []byte, ok bool) {
	neg := len(tok) > 0 && tok[0] == '-'
	s := tok
	if neg {
		s = s[1:]
	}
	intEnd := 0
	for intEnd < len(s) && '0' <= s[intEnd] && s[intEnd] <= '9' {
		intEnd++
	}
	if intEnd == len(s) {
		return dst, false // already an integer
	}
	intPart, frac := s[:intEnd], []byte(nil)
	rest := s[intEnd:]
	if rest[0] == '.' {
		j := 1
		for j < len(rest) && '0' <= rest[j] && rest[j] <= '9' {
			j++
		}
		frac, rest = rest[1:j], rest[j:]
	}
	// The exponent, saturated far beyond any length the bound allows.
	const huge = 1 << 40
	exp := 0
	if len(rest) > 0 { // e or E
		expNeg := false
		j := 1
		if rest[j] == '+' || rest[j] == '-' {
			expNeg = rest[j] == '-'
			j++
		}
		for ; j < len(rest); j++ {
			if exp < huge {
				exp = exp*10 + int(rest[j]-'0')
			}
		}
		if expNeg {
			exp = -exp
		}
	}
	// digits × 10^shift, with leading zeros dropped.
	digits := make([]byte, 0, len(intPart)+len(frac))
	digits = append(append(digits, intPart...), frac...)
	shift := exp - len(frac)
	k := 0
	for k < len(digits) && digits[k] == '0' {
		k++
	}
	digits = digits[k:]
	if len(digits) == 0 {
		if neg {
			dst = append(dst, '-')
		}
		return append(dst, '0'), true
	}
	if shift < 0 {
		if -shift > len(digits) {
			return dst, false
		}
		for _, c := range digits[len(digits)+shift:] {
			if c != '0' {
				return dst, false
			}
		}
		digits, shift = digits[:len(digits)+shift], 0
	}
	n := len(digits) + shift
	if neg {
		n++
	}
	if n > len(tok)+MaxIntegerGrowth {
		return dst, false
	}
	if neg {
		dst = append(dst, '-')
	}
	dst = append(dst, digits...)
	for range shift {
		dst = append(dst, '0')
	}
	return dst, true
}

// MayBeIntegral reports whether the number token tok, with a fraction or
// an exponent, may be written as an integer by IntegerForm: with an
// exponent, or with a fraction of zeros only (the usual 12.5 is not).
// When it is false, IntegerForm(dst, tok) is not ok.
func MayBeIntegral(tok []byte) bool {
	for _, c := range tok {
		if c == 'e' || c == 'E' {
			return true
		}
	}
	for _, c := range tok[bytes.IndexByte(tok, '.')+1:] {
		if c != '0' {
			return false
		}
	}
	return true
}

// Path returns the pointer tokens (decoded member names and element
// indices) of the innermost value of the document b that contains the
// offset off, a member's key counting as part of it. b must be one valid
// JSON value, as Skip accepts it.
func Path(b []byte, off int) []string {
	var path []string
	i := SkipSpace(b, 0)
	for {
		switch {
		case i < len(b) && b[i] == '{':
			found := false
			Object(b, i, func(key, keyEnd int, flags StringFlags, v int) (int, bool) {
				end, ok := Skip(b, v)
				if !found && key <= off && off < end {
					k := b[key+1 : keyEnd-1]
					if !Plain(b[key:keyEnd], flags) {
						k = Unquote(nil, b[key:keyEnd])
					}
					path = append(path, string(k))
					i, found = v, true
					return end, false // stop here, and descend
				}
				return end, ok
			})
			if !found {
				return path
			}
		case i < len(b) && b[i] == '[':
			found, n := false, 0
			Array(b, i, func(v int) (int, bool) {
				end, ok := Skip(b, v)
				if !found && v <= off && off < end {
					path = append(path, strconv.Itoa(n))
					i, found = v, true
					return end, false
				}
				n++
				return end, ok
			})
			if !found {
				return path
			}
		default:
			return path
		}
	}
}

// Locate returns the span b[start:end] of the value at the pointer tokens
// path (decoded member names and element indices) in the document b,
// which must be one valid JSON value; ok is false when there is none.
func Locate(b []byte, path []string) (start, end int, ok bool) {
	i := SkipSpace(b, 0)
	for _, tok := range path {
		found := false
		switch {
		case i < len(b) && b[i] == '{':
			Object(b, i, func(key, keyEnd int, flags StringFlags, v int) (int, bool) {
				k := b[key+1 : keyEnd-1]
				if !Plain(b[key:keyEnd], flags) {
					k = Unquote(nil, b[key:keyEnd])
				}
				if string(k) == tok {
					i, found = v, true
					return v, false
				}
				return Skip(b, v)
			})
		case i < len(b) && b[i] == '[':
			n := 0
			Array(b, i, func(v int) (int, bool) {
				if strconv.Itoa(n) == tok {
					i, found = v, true
					return v, false
				}
				n++
				return Skip(b, v)
			})
		}
		if !found {
			return 0, 0, false
		}
	}
	end, ok = Skip(b, i)
	return i, end, ok
}
