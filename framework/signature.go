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
// the index of the secret that matched. It returns a *[SignatureError]
// wrapping [ErrMissingSignature] for an empty signature and
// [ErrInvalidSignature] when it is malformed or no secret matches; the
// error never contains the signature or a secret.
func Verify(body []byte, signature string, secrets ...string) (int, error) {
	got, err := parseSignature(signature)
	if err != nil {
		return -1, err
	}
	sums := make([][]byte, len(secrets))
	for i, s := range secrets {
		mac := hmac.New(sha256.New, []byte(s))
		mac.Write(body)
		sums[i] = mac.Sum(nil)
	}
	return matchSignature(got, sums)
}

// parseSignature decodes a signature header's value.
func parseSignature(signature string) ([sha256.Size]byte, error) {
	var got [sha256.Size]byte
	signature = strings.TrimSpace(signature)
	if signature == "" {
		return got, &SignatureError{Reason: SignatureMissing, Err: ErrMissingSignature}
	}
	if len(signature) != 2*sha256.Size {
		return got, &SignatureError{Reason: SignatureMalformed, Err: ErrInvalidSignature,
			detail: fmt.Sprintf("want %d hex digits, got %d characters", 2*sha256.Size, len(signature))}
	}
	if _, err := hex.Decode(got[:], []byte(signature)); err != nil {
		return got, &SignatureError{Reason: SignatureMalformed, Err: ErrInvalidSignature, detail: "not hexadecimal"}
	}
	return got, nil
}

// matchSignature compares a decoded signature with the HMAC of the body
// under each secret, in constant time per secret.
func matchSignature(got [sha256.Size]byte, sums [][]byte) (int, error) {
	matched := -1
	for i, sum := range sums {
		// Every secret is tried, so the time does not tell which matched.
		if hmac.Equal(sum, got[:]) && matched < 0 {
			matched = i
		}
	}
	if matched < 0 {
		return -1, &SignatureError{Reason: SignatureMismatch, Err: ErrInvalidSignature,
			detail: "no configured secret matches (check that WEBHOOKS_SECRET is the one shown in Retab's dashboard)"}
	}
	return matched, nil
}

// SignatureReason says why [Verify] refused a signature.
type SignatureReason string

// The reasons a signature is refused.
const (
	// SignatureMissing: no signature header, or an empty one.
	SignatureMissing SignatureReason = "missing"
	// SignatureMalformed: not 64 hexadecimal digits (a wrong header
	// format, or something other than Retab's signature).
	SignatureMalformed SignatureReason = "malformed"
	// SignatureMismatch: well formed, but no configured secret produces
	// it (a wrong or rotated secret, or an altered body).
	SignatureMismatch SignatureReason = "mismatch"
)

// SignatureError is the error [Verify] returns: it wraps
// [ErrMissingSignature] or [ErrInvalidSignature] and tells the reason, for
// logs and metrics. It never holds the signature or a secret.
type SignatureError struct {
	Reason SignatureReason
	Err    *Problem
	detail string
}

// Error implements error.
func (e *SignatureError) Error() string {
	if e.detail == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.detail
}

// Unwrap returns the sentinel.
func (e *SignatureError) Unwrap() error { return e.Err }

// signatureFrom returns the first non-empty header among names.
func signatureFrom(h http.Header, names []string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}
