package framework

import (
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDecodeHexAgreesWithEncodingHex checks decodeHex's table against
// encoding/hex on signatures of 64 characters: every byte value at every
// place of a valid one, both cases, and random bytes drawn mostly from
// hex digits; a refusal is a malformed *SignatureError.
func TestDecodeHexAgreesWithEncodingHex(t *testing.T) {
	valid := strings.Repeat("0123456789abcdefABCDEF", 3)[:64]
	check := func(s string) {
		t.Helper()
		want, werr := hex.DecodeString(s)
		got := make([]byte, 32)
		err := decodeHex(got, s)
		if werr != nil {
			var se *SignatureError
			require.True(t, errors.As(err, &se), "%q: %v", s, err)
			require.Equal(t, SignatureMalformed, se.Reason, "%q", s)
			require.ErrorIs(t, err, ErrInvalidSignature)
			return
		}
		require.NoError(t, err, "%q", s)
		require.Equal(t, want, got, "%q", s)
	}
	for c := range 256 {
		for _, at := range []int{0, 1, 31, 62, 63} {
			b := []byte(valid)
			b[at] = byte(c)
			if at == 0 && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
				continue // a space before it is trimmed: 63 characters
			}
			check(string(b))
		}
	}
	check(strings.ToUpper(valid))
	rng := rand.New(rand.NewPCG(5, 6))
	const digits = "0123456789abcdefABCDEF"
	for range 5000 {
		b := make([]byte, 64)
		for i := range b {
			b[i] = digits[rng.IntN(len(digits))]
			if rng.IntN(200) == 0 {
				b[i] = byte(rng.IntN(256))
			}
		}
		if b[0] <= ' ' || b[63] <= ' ' {
			continue
		}
		check(string(b))
	}
}

// TestHeaderLookupAgreesWithGet checks that the signature headers, named
// in any case (canonicalised once by HexScheme and TimestampScheme), and
// the headers the router reads by their canonical names are found as
// http.Header.Get finds them: for header maps filled by Set, by Add and
// directly (keys not in canonical form, which Get does not find either),
// and names Get leaves as they are (a space, an underscore).
func TestHeaderLookupAgreesWithGet(t *testing.T) {
	names := []string{"X-Retab-Signature", "x-retab-signature", "X-RETAB-SIGNATURE", "retab-signature", "X-Sig", "x_sig", "x sig", "", "Content-Type", "X-Retab-Environment"}
	sig := Sign("s", []byte("b"))
	for _, set := range names {
		for _, how := range []string{"set", "add", "raw"} {
			h := http.Header{}
			switch how {
			case "set":
				h.Set(set, sig)
			case "add":
				h.Add(set, "")
				h.Add(set, sig)
			case "raw":
				h[set] = []string{sig}
			}
			for _, name := range names {
				want := h.Get(name)
				require.Equal(t, want, signatureFrom(h, canonicalHeaders([]string{name})), "%s %q, looked up as %q", how, set, name)
				if c := http.CanonicalHeaderKey(name); c == name {
					require.Equal(t, want, headerValue(h, name), "%s %q, looked up as %q", how, set, name)
				}
				got, err := HexScheme(name).Parse(h)
				require.Equal(t, want == sig, err == nil && got != nil, "%s %q: HexScheme(%q)", how, set, name)
			}
		}
	}
}
