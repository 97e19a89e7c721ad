package jsonscan

import (
	"encoding/binary"
	"math/bits"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkLowestFlag checks that the lowest flag of flags(w) is at w's first
// byte that is, against a byte-by-byte search: every byte value at every
// position of base (a word without one), alone and followed by every
// other value at every later position (a borrow or a carry from the first
// may flag the second falsely, never one below it).
func checkLowestFlag(t *testing.T, flags func(uint64) uint64, is func(byte) bool, base [8]byte) {
	t.Helper()
	first := func(w [8]byte) int {
		for k, c := range w {
			if is(c) {
				return k
			}
		}
		return 8
	}
	got := func(w [8]byte) int {
		return bits.TrailingZeros64(flags(binary.LittleEndian.Uint64(w[:]))) >> 3
	}
	require.Equal(t, 8, got(base))
	for k := range 8 {
		for x := range 256 {
			w := base
			w[k] = byte(x)
			require.Equal(t, first(w), got(w), "%q", w)
			for j := k + 1; j < 8; j++ {
				for y := range 256 {
					w2 := w
					w2[j] = byte(y)
					if first(w2) != got(w2) {
						t.Fatalf("%q: first byte at %d, the lowest flag at %d", w2, first(w2), got(w2))
					}
				}
			}
		}
	}
}

// TestNonDigitsFindsTheFirstByte checks nonDigits' lowest flag, which
// skipNumber counts the digits by.
func TestNonDigitsFindsTheFirstByte(t *testing.T) {
	checkLowestFlag(t, nonDigits, func(c byte) bool { return c < '0' || c > '9' }, [8]byte{'0', '9', '1', '8', '5', '0', '9', '3'})
}

// numberSeeds are numbers and near-numbers of every part's length around
// a word's, for skipNumber's word-at-a-time reads and their fallbacks.
var numberSeeds = []string{
	"0", "-0", "7", "12", "01", "-01", "00", "1234567", "12345678", "123456789", "-1234567", "-12345678",
	"0.5", "7331.76", "1.0000001", "1.00000001", "12345678.5", "1.", "1.e5", "-.5", "-", "--1", "+1",
	"1e5", "1E+5", "1.5e-3", "1.5E", "2.5e", "0.1234567e1", "9.12345678", "1x", "1.5x", "1]", "1.25}",
}

func checkSkipNumber(t *testing.T, b []byte) {
	t.Helper()
	for i := range b {
		if c := b[i]; c != '-' && (c < '0' || c > '9') {
			continue
		}
		end, _, ok := Number(b, i)
		if !ok {
			end = i // Number's end when it refuses
		}
		e2, ok2 := skipNumber(b, i)
		if !ok2 {
			e2 = i
		}
		if end != e2 || ok != ok2 {
			t.Fatalf("%q at %d: Number %d %v, skipNumber %d %v", b, i, end, ok, e2, ok2)
		}
	}
}

// TestSkipNumberAgreesWithNumber: each seed at the end of the input and
// followed by each delimiter and by room for a word or more.
func TestSkipNumberAgreesWithNumber(t *testing.T) {
	for _, s := range numberSeeds {
		for _, tail := range []string{"", ",", "}", `,"k":1}`, ",12345678,", "e", "e+", "e+1234567890", ".", ".12345678901", "0", "abcdefghij", `,"room":"for two words"}`, ".5e1,\"room\":\"for two words\"", ".5,\"room\":\"for two words\""} {
			checkSkipNumber(t, []byte(s+tail))
			checkSkipNumber(t, []byte("["+s+tail+"]"))
		}
	}
}

func FuzzSkipNumber(f *testing.F) {
	for _, s := range numberSeeds {
		f.Add([]byte(s + `,"next":[1]`))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkSkipNumber(t, b) })
}

// checkScanNumber compares ScanNumber with Number and MayBeIntegral at
// every byte of b that may start a number.
func checkScanNumber(t *testing.T, b []byte) {
	t.Helper()
	for i := range b {
		if c := b[i]; c != '-' && (c < '0' || c > '9') {
			continue
		}
		end, integer, ok := Number(b, i)
		e2, shape, ok2 := ScanNumber(b, i)
		if end != e2 || ok != ok2 {
			t.Fatalf("%q at %d: Number %d %v, ScanNumber %d %v", b, i, end, ok, e2, ok2)
		}
		if !ok {
			continue
		}
		want := Integral
		switch {
		case integer:
		case MayBeIntegral(b[i:end]):
			want = MayBeWhole
		default:
			want = Fractional
		}
		if shape != want {
			t.Fatalf("%q at %d: shape %d, Number and MayBeIntegral say %d", b, i, shape, want)
		}
	}
}

// TestScanNumberAgreesWithNumber: each seed at the end of the input and
// followed by each delimiter and by room for a word or more.
func TestScanNumberAgreesWithNumber(t *testing.T) {
	seeds := append([]string{"0.0", "1.000", "10.00000", "-0.0000000", "7.0000001", "7.1000000", "12.10", "1.01"}, numberSeeds...)
	for _, s := range seeds {
		for _, tail := range []string{"", ",", "}", `,"k":1}`, ",12345678,", "e", "e+", "e+1234567890", ".", ".12345678901", "0", "00000000", "abcdefghij", `,"room":"for two words"}`, ".5e1,\"room\":\"for two words\"", ".5,\"room\":\"for two words\"", ".0,\"room\":\"for two words\"", ".000,\"room\":\"for two words\""} {
			checkScanNumber(t, []byte(s+tail))
			checkScanNumber(t, []byte("["+s+tail+"]"))
		}
	}
}

func FuzzScanNumber(f *testing.F) {
	for _, s := range numberSeeds {
		f.Add([]byte(s + `,"next":[1]`))
	}
	f.Add([]byte(`[10.000,"room for two words"]`))
	f.Fuzz(func(t *testing.T, b []byte) { checkScanNumber(t, b) })
}
