package jsonscan

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSpecialFindsTheFirstByte checks special's lowest flag, which
// StringRuns jumps to, against a byte-by-byte search: every byte value at
// every position of a plain word, alone and followed by every other value
// at every later position (a borrow from the first may flag the second
// falsely, never one below it).
func TestSpecialFindsTheFirstByte(t *testing.T) {
	isSpecial := func(c byte) bool { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80 }
	checkLowestFlag(t, special, isSpecial, [8]byte{'a', '0', ' ', '~', '!', '#', '[', '{'})
}

// TestNoteRecordsPlainEdges checks Note against a byte-by-byte
// classification: every run it records holds only plain bytes (a string
// scan may jump over it), the plain prefix of every read is recorded
// exactly, and its plain suffix to within the 7 bytes special may flag
// falsely in the word of the last byte that is not plain.
func TestNoteRecordsPlainEdges(t *testing.T) {
	bad := []byte{'"', '\\', 0x00, 0x1f, 0x80, 0xff}
	for seed := range 300 {
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		b := make([]byte, 64+rng.IntN(4000+seed%3*12000)) // past suffixBlock too
		for i := range b {
			b[i] = byte(0x20 + rng.IntN(0x60)) // 0x20..0x7f
			if !plain(b[i]) {
				b[i] = 'A'
			}
		}
		for range rng.IntN(6) {
			b[rng.IntN(len(b))] = bad[rng.IntN(len(bad))]
		}
		var p PlainRuns
		for at := 0; at < len(b); {
			next := min(len(b), at+1+rng.IntN(1500+seed%3*5000))
			before := len(p.runs)
			p.Note(b[at:next], at)
			if next-at >= 32 {
				pre := at
				for pre < next && plain(b[pre]) {
					pre++
				}
				suf := next
				for suf > pre && plain(b[suf-1]) {
					suf--
				}
				var got []plainRun
				for _, r := range p.runs[max(0, before-1):] {
					if r.end > at {
						got = append(got, plainRun{max(r.start, at), r.end})
					}
				}
				k := 0
				if pre-at >= 32 {
					require.NotEmpty(t, got, "seed %d read [%d,%d): prefix", seed, at, next)
					require.Equal(t, plainRun{at, pre}, got[0], "seed %d read [%d,%d): prefix", seed, at, next)
					k = 1
				}
				if pre < next && next-suf >= 32+7 {
					require.Len(t, got, k+1, "seed %d read [%d,%d): suffix", seed, at, next)
					require.Equal(t, next, got[k].end)
					require.GreaterOrEqual(t, got[k].start, suf)
					require.LessOrEqual(t, got[k].start, suf+7)
				}
			}
			at = next
		}
		for k, r := range p.runs {
			for i := r.start; i < r.end; i++ {
				require.True(t, plain(b[i]), "seed %d: run %v holds %q at %d", seed, r, b[i], i)
			}
			if k > 0 {
				require.Less(t, p.runs[k-1].end, r.start, "runs in order, not adjacent")
			}
		}
	}
}

// BenchmarkNote notes a 256 KiB read that holds the head of an envelope
// (JSON, 7 KiB) and then the start of a document's base64: the plain
// suffix is most of it.
func BenchmarkNote(b *testing.B) {
	head := strings.Repeat(`{"key":"value","n":[1,2,3]},`, 256)
	buf := []byte(head + `"data:application/pdf;base64,` + strings.Repeat("QUJD", (256<<10-len(head))/4))
	b.SetBytes(int64(len(buf)))
	var p PlainRuns
	for b.Loop() {
		p.Reset()
		p.Note(buf, 0)
	}
	if len(p.runs) != 1 || p.runs[0].start > len(head)+8 || p.runs[0].end != len(buf) {
		b.Fatalf("runs %v", p.runs)
	}
}

// FuzzPlainRuns notes the plain runs of arbitrary bytes read in chunks
// and checks that every run holds plain bytes only and that the string
// scans and the measure that jump over them answer as they do without
// them.
func FuzzPlainRuns(f *testing.F) {
	f.Add([]byte(`{"a":"`+strings.Repeat("QUJD", 40)+`","b":[1,"x"]}`), uint16(5))
	f.Add([]byte(strings.Repeat("x", 100)+`"`+strings.Repeat("y", 100)+"\x01"+strings.Repeat("z", 70)), uint16(64))
	f.Add([]byte(`"`+strings.Repeat("A", 5000)+`\"`+strings.Repeat("B", 5000)+`"`), uint16(4000))
	f.Fuzz(func(t *testing.T, b []byte, chunk uint16) {
		step := 32 + int(chunk)%8192
		var p PlainRuns
		for at := 0; at < len(b); at += step {
			p.Note(slices.Clone(b[at:min(len(b), at+step)]), at) // a piece of its own, as the body reader notes them
		}
		for k, r := range p.runs {
			for i := r.start; i < r.end; i++ {
				if !plain(b[i]) {
					t.Fatalf("run %v holds %q at %d", r, b[i], i)
				}
			}
			if k > 0 && p.runs[k-1].end >= r.start {
				t.Fatalf("runs %v and %v out of order or adjacent", p.runs[k-1], r)
			}
		}
		for i, n := 0, 0; i < len(b) && n < 16; i++ {
			if b[i] != '"' {
				continue
			}
			n++
			e1, f1, o1 := StringRuns(b, i, nil)
			e2, f2, o2 := StringRuns(b, i, &p)
			if e1 != e2 || f1 != f2 || o1 != o2 {
				t.Fatalf("string at %d: %d %d %v without runs, %d %d %v with", i, e1, f1, o1, e2, f2, o2)
			}
		}
		d1, v1, o1 := Measure(b, 50, 1000)
		d2, v2, o2 := MeasureRuns(b, 50, 1000, &p)
		if d1 != d2 || v1 != v2 || o1 != o2 {
			t.Fatalf("measure: %d %d %v without runs, %d %d %v with", d1, v1, o1, d2, v2, o2)
		}
	})
}

// checkString compares String with StringRuns without runs (the scan
// String answers from after its first words) at every byte of b.
func checkString(t *testing.T, b []byte) {
	t.Helper()
	for i := range b {
		if b[i] != '"' {
			continue
		}
		end, flags, ok := String(b, i)
		e2, f2, ok2 := StringRuns(b, i, nil)
		if ok != ok2 || ok && (end != e2 || flags != f2) {
			t.Fatalf("%q at %d: String %d %d %v, StringRuns %d %d %v", b, i, end, flags, ok, e2, f2, ok2)
		}
	}
}

// TestStringAgreesWithRuns: strings of 0 to 90 plain bytes with a special
// byte (an end, an escape, a control byte, non-ASCII, invalid UTF-8) at
// each place, followed by more or cut at each byte.
func TestStringAgreesWithRuns(t *testing.T) {
	specials := []string{`"`, `\"`, `\n`, `\u00e9`, `\x`, "\x01", "é", "\xff", "\\"}
	for n := 0; n <= 90; n++ {
		for _, sp := range specials {
			for at := 0; at <= n; at += 1 + at/8 {
				plain := bytes.Repeat([]byte("abcdefghij"), 10)[:n]
				s := `"` + string(plain[:at]) + sp + string(plain[at:]) + `",` + strings.Repeat("x", 20)
				for cut := len(s) - 24; cut <= len(s); cut++ {
					if cut > 0 {
						checkString(t, []byte(s[:cut]))
					}
				}
			}
		}
	}
}

func FuzzStringAgreesWithRuns(f *testing.F) {
	f.Add([]byte(`{"description":"Line 1: drive shaft, automatic, right side, part 339546","x":"\u00e9\n"}`))
	f.Add([]byte(`"` + strings.Repeat("a", 70) + `"`))
	f.Fuzz(func(t *testing.T, b []byte) { checkString(t, b) })
}
