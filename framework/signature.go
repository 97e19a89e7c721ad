package framework

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// Sign returns the signature Retab sends for body: the lowercase hex of
// HMAC-SHA256 keyed with the secret's UTF-8 bytes, over the raw body.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signature (hex, either case, surrounding spaces ignored)
// against body with each secret, in constant time per secret, and returns
// the index of the secret that matched. It returns an error wrapping
// [ErrMissingSignature] for an empty signature and [ErrInvalidSignature]
// when no secret matches; the error never contains the signature or a
// secret.
func Verify(body []byte, signature string, secrets ...string) (int, error) {
	signature = strings.TrimSpace(signature)
	if signature == "" {
		return -1, ErrMissingSignature
	}
	got := make([]byte, sha256.Size)
	if len(signature) != 2*sha256.Size {
		return -1, fmt.Errorf("%w: want %d hex digits, got %d characters", ErrInvalidSignature, 2*sha256.Size, len(signature))
	}
	if _, err := hex.Decode(got, []byte(signature)); err != nil {
		return -1, fmt.Errorf("%w: not hexadecimal", ErrInvalidSignature)
	}
	matched := -1
	for i, s := range secrets {
		mac := hmac.New(sha256.New, []byte(s))
		mac.Write(body)
		// Every secret is tried, so the time does not tell which matched.
		if hmac.Equal(mac.Sum(nil), got) && matched < 0 {
			matched = i
		}
	}
	if matched < 0 {
		return -1, fmt.Errorf("%w: no configured secret matches (check that WEBHOOKS_SECRET is the one shown in Retab's dashboard)", ErrInvalidSignature)
	}
	return matched, nil
}

// signatureFrom returns the first non-empty header among names.
func signatureFrom(h http.Header, names []string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}
