package jsonscan

import (
	"encoding/binary"
	"math/bits"
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
	first := func(w [8]byte) int {
		for k, c := range w {
			if isSpecial(c) {
				return k
			}
		}
		return 8
	}
	got := func(w [8]byte) int {
		m := special(binary.LittleEndian.Uint64(w[:]))
		if m == 0 {
			return 8
		}
		return bits.TrailingZeros64(m) >> 3
	}
	plain := [8]byte{'a', '0', ' ', '~', '!', '#', '[', '{'}
	require.Equal(t, 8, got(plain))
	for k := range 8 {
		for x := range 256 {
			w := plain
			w[k] = byte(x)
			require.Equal(t, first(w), got(w), "%q", w)
			for j := k + 1; j < 8; j++ {
				for y := range 256 {
					w2 := w
					w2[j] = byte(y)
					if first(w2) != got(w2) {
						t.Fatalf("%q: first special byte %d, special says %d", w2, first(w2), got(w2))
					}
				}
			}
		}
	}
}
