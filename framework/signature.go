package framework

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Scheme is a signature scheme: where a delivery's signature travels in
// its headers and what it is computed over. The router tries its schemes
// ([WithSchemes]; by default [HexScheme] then [TimestampScheme]) in order
// on the headers alone, before it reads the body; the first that
// recognises a signature of its own form decides. A user adds one for a
// sender (a proxy, a gateway) that signs in another form.
//
// Every scheme verifies HMAC-SHA256 keyed with a configured secret over
// [Signature.Prefix] followed by the raw body, the construction of every
// Retab dialect; the router computes it while the body is read.
type Scheme interface {
	// Name names the scheme in logs, metrics and Delivery.Scheme.
	Name() string
	// Parse reads the signature from the headers, without the body, and
	// must be cheap: it runs before the body is read. It returns nil, nil
	// when the headers carry no signature of this scheme's form (the
	// router tries the next scheme), a *[SignatureError] wrapping
	// [ErrInvalidSignature] when they carry one of its form that is
	// malformed, and the parsed signature otherwise.
	Parse(h http.Header) (*Signature, error)
}

// Signature is a signature header as a [Scheme] parsed it: what the router
// computes and what it compares it with.
type Signature struct {
	// Prefix is hashed before the body: the MAC is
	// HMAC-SHA256(secret, Prefix || body). Empty for Retab's plain hex
	// signature.
	Prefix []byte
	// MACs are the signatures the header carries (32 bytes each); one
	// matching any configured secret is enough, so a sender signing with
	// an old and a new secret passes during a rotation.
	MACs [][]byte
	// Timestamp is the signing time the header carries, checked against
	// [WithTimestampTolerance]; zero when the scheme has none.
	Timestamp time.Time
	// Formula names what was signed, for logs and tools: [FormulaBody] or
	// [FormulaTimestamped].
	Formula Formula
}

// Formula names the bytes a signature is computed over.
type Formula string

// The formulas of Retab's signatures.
const (
	// FormulaBody: HMAC-SHA256(secret, body), the completion and End-node
	// webhooks' documented signature.
	FormulaBody Formula = "body"
	// FormulaTimestamped: HMAC-SHA256(secret, t + "." + body), the
	// construction that the event envelope's "t=<unix>,v1=<hex>" header
	// form comes from (Stripe's, and every other service using that form).
	// Retab's docs give no formula: this is an assumption, the default.
	FormulaTimestamped Formula = "t.body"
)

// DefaultSignatureHeaders are the headers Retab's signatures arrive in,
// first non-empty wins.
var defaultSignatureHeaders = []string{"X-Retab-Signature", "Retab-Signature"}

// Sign returns the signature Retab sends for body: the lowercase hex of
// HMAC-SHA256 keyed with the secret's UTF-8 bytes, over the raw body.
func Sign(secret string, body []byte) string {
	return hex.EncodeToString(mac(secret, nil, body))
}

func mac(secret string, prefix, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(prefix)
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a plain hex signature (either case, surrounding spaces
// ignored) against body with each secret, in constant time per secret,
// and returns the index of the secret that matched. It returns a
// *[SignatureError] wrapping [ErrMissingSignature] for an empty signature
// and [ErrInvalidSignature] when it is malformed or no secret matches; the
// error never contains the signature or a secret.
func Verify(body []byte, signature string, secrets ...string) (int, error) {
	got, err := parseHex(signature)
	if err != nil {
		return -1, err
	}
	return verifySignature(&Signature{MACs: [][]byte{got}}, body, secrets)
}

// verifySignature computes sig's MAC of body with each secret and matches
// it, for callers that hold the whole body.
func verifySignature(sig *Signature, body []byte, secrets []string) (int, error) {
	sums := make([][]byte, len(secrets))
	for i, s := range secrets {
		sums[i] = mac(s, sig.Prefix, body)
	}
	return matchSignature(sig, sums)
}

// HexScheme is Retab's plain signature: the lowercase hex of
// HMAC-SHA256(secret, body), alone in the first non-empty header among
// headers (default "X-Retab-Signature", then "Retab-Signature"). It leaves
// a header of the timestamped form ("t=...,v1=...") to [TimestampScheme].
func HexScheme(headers ...string) Scheme {
	return hexScheme{headers: canonicalHeaders(headers)}
}

type hexScheme struct{ headers []string }

func (hexScheme) Name() string { return "hex" }

func (s hexScheme) Parse(h http.Header) (*Signature, error) {
	v := s.value(h)
	if v == "" {
		return nil, nil
	}
	return parseHexSignature(v, new(hexSignature))
}

// value is the scheme's signature header value, "" when the headers
// carry none of its form.
func (s hexScheme) value(h http.Header) string {
	v := strings.TrimSpace(signatureFrom(h, s.headers))
	if isTimestamped(v) {
		return ""
	}
	return v
}

// hexSignature is room for a plain hex signature: the signature, its list
// and its MAC, in one allocation (Parse) or in the router's pooled room
// for a request (auth.room).
type hexSignature struct {
	sig  Signature
	macs [1][]byte
	mac  [sha256.Size]byte
}

// parseHexSignature decodes v, a hex scheme's header value, into x and
// returns x's signature.
func parseHexSignature(v string, x *hexSignature) (*Signature, error) {
	if err := decodeHex(x.mac[:], v); err != nil {
		return nil, err
	}
	x.macs[0] = x.mac[:]
	x.sig = Signature{MACs: x.macs[:], Formula: FormulaBody}
	return &x.sig, nil
}

// parseHex decodes a plain hex signature.
func parseHex(signature string) ([]byte, error) {
	got := make([]byte, sha256.Size)
	if err := decodeHex(got, signature); err != nil {
		return nil, err
	}
	return got, nil
}

// decodeHex decodes a plain hex signature (surrounding spaces ignored)
// into dst, which holds sha256.Size bytes, without allocating.
func decodeHex(dst []byte, signature string) error {
	signature = strings.TrimSpace(signature)
	if signature == "" {
		return &SignatureError{Reason: SignatureMissing, Err: ErrMissingSignature}
	}
	if len(signature) != 2*sha256.Size {
		return &SignatureError{Reason: SignatureMalformed, Err: ErrInvalidSignature,
			detail: fmt.Sprintf("want %d hex digits, got %d characters", 2*sha256.Size, len(signature))}
	}
	out, sig := (*[sha256.Size]byte)(dst), signature[:2*sha256.Size] // (no bounds checks below)
	var bad byte
	for i := range out {
		hi, lo := hexValues[sig[2*i]], hexValues[sig[2*i+1]]
		bad |= hi | lo
		out[i] = hi<<4 | lo
	}
	if bad > 0x0f {
		return &SignatureError{Reason: SignatureMalformed, Err: ErrInvalidSignature, detail: "not hexadecimal"}
	}
	return nil
}

// hexValues is the value of each byte as a hex digit (either case), 0xff
// for a byte that is not one: a table, one load per digit.
const hexValues = "" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\xff\xff\xff\xff\xff\xff" +
	"\xff\x0a\x0b\x0c\x0d\x0e\x0f\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\x0a\x0b\x0c\x0d\x0e\x0f\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff" +
	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"

// isTimestamped reports whether a header value has the timestamped form:
// comma-separated key=value items.
func isTimestamped(v string) bool {
	return strings.HasPrefix(v, "t=") || strings.HasPrefix(v, "v1=") || strings.Contains(v, ",v1=") || strings.Contains(v, ", v1=")
}

// TimestampScheme is the event envelope's signature: a header (default
// "X-Retab-Signature", then "Retab-Signature") of the form
// "t=<unix seconds>,v1=<hex>[,v1=<hex>...]". Every v1 is tried (a sender
// rotating its secret sends one per secret), unknown keys are ignored, and
// t is checked against [WithTimestampTolerance]. formula says what v1 is
// computed over: [FormulaTimestamped] (t + "." + body, the default the
// router uses) or [FormulaBody] (the body alone).
func TimestampScheme(formula Formula, headers ...string) Scheme {
	if formula == "" {
		formula = FormulaTimestamped
	}
	return timestampScheme{formula: formula, headers: canonicalHeaders(headers)}
}

type timestampScheme struct {
	formula Formula
	headers []string
}

func (timestampScheme) Name() string { return "timestamped" }

func (s timestampScheme) Parse(h http.Header) (*Signature, error) {
	v := strings.TrimSpace(signatureFrom(h, s.headers))
	if v == "" || !isTimestamped(v) {
		return nil, nil
	}
	sig, err := ParseTimestampHeader(v)
	if err != nil {
		return nil, err
	}
	sig.Formula = s.formula
	if s.formula == FormulaTimestamped {
		sig.Prefix = strconv.AppendInt(nil, sig.Timestamp.Unix(), 10)
		sig.Prefix = append(sig.Prefix, '.')
	}
	return sig, nil
}

// maxSignatures bounds the v1 values read from one header.
const maxSignatures = 16

// ParseTimestampHeader parses a "t=<unix seconds>,v1=<hex>,..." header
// value: exactly one t (decimal seconds), at least one v1 of 64 hex digits
// (at most 16), other keys ignored, spaces around items allowed. The
// Signature it returns has Timestamp and MACs set (Prefix and Formula are
// the scheme's). Errors are *[SignatureError] wrapping
// [ErrInvalidSignature] with the reason [SignatureMalformed].
func ParseTimestampHeader(v string) (*Signature, error) {
	malformed := func(detail string) error {
		return &SignatureError{Reason: SignatureMalformed, Err: ErrInvalidSignature, detail: detail}
	}
	sig := &Signature{}
	seenT := false
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		key, val, ok := strings.Cut(item, "=")
		if !ok {
			return nil, malformed("want t=<unix seconds>,v1=<hex>; an item has no '='")
		}
		switch key {
		case "t":
			if seenT {
				return nil, malformed("t= appears twice")
			}
			seenT = true
			if val == "" || len(val) > 12 || strings.TrimLeft(val, "0123456789") != "" {
				return nil, malformed("t= is not a number of seconds")
			}
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				return nil, malformed("t= is not a number of seconds")
			}
			sig.Timestamp = time.Unix(n, 0).UTC()
		case "v1":
			if len(sig.MACs) == maxSignatures {
				return nil, malformed(fmt.Sprintf("more than %d v1= signatures", maxSignatures))
			}
			if len(val) != 2*sha256.Size {
				return nil, malformed(fmt.Sprintf("v1= wants %d hex digits, got %d characters", 2*sha256.Size, len(val)))
			}
			b, err := hex.DecodeString(val)
			if err != nil {
				return nil, malformed("v1= is not hexadecimal")
			}
			sig.MACs = append(sig.MACs, b)
		}
	}
	switch {
	case !seenT:
		return nil, malformed("no t= timestamp")
	case len(sig.MACs) == 0:
		return nil, malformed("no v1= signature")
	}
	return sig, nil
}

// SignTimestamped returns the header value of a timestamped signature of
// body at t with secret: "t=<unix seconds>,v1=<hex>", v1 computed with
// formula ([FormulaTimestamped] when empty).
func SignTimestamped(secret string, t time.Time, body []byte, formula Formula) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var prefix []byte
	if formula != FormulaBody {
		prefix = []byte(ts + ".")
	}
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, prefix, body))
}

// matchSignature compares the signature's MACs with the body's MAC under
// each secret (sums, in secret order), in constant time: every pair is
// compared, so the time does not tell which matched.
func matchSignature(sig *Signature, sums [][]byte) (int, error) {
	matched := -1
	for i, sum := range sums {
		for _, got := range sig.MACs {
			if hmac.Equal(sum, got) && matched < 0 {
				matched = i
			}
		}
	}
	if matched < 0 {
		return -1, &SignatureError{Reason: SignatureMismatch, Err: ErrInvalidSignature,
			detail: "no configured secret matches (check that WEBHOOKS_SECRET is the one shown in Retab's dashboard)"}
	}
	return matched, nil
}

// checkTimestamp refuses a signing time further than tolerance from now.
func checkTimestamp(ts, now time.Time, tolerance time.Duration) error {
	switch d := now.Sub(ts); {
	case d > tolerance:
		return &SignatureError{Reason: SignatureExpired, Err: ErrInvalidSignature,
			detail: fmt.Sprintf("expired: signed %s ago, tolerance is %s", d.Truncate(time.Second), tolerance)}
	case -d > tolerance:
		return &SignatureError{Reason: SignatureFuture, Err: ErrInvalidSignature,
			detail: fmt.Sprintf("future: signed %s ahead of this receiver's clock, tolerance is %s", (-d).Truncate(time.Second), tolerance)}
	}
	return nil
}

// SignatureReason says why [Verify] refused a signature.
type SignatureReason string

// The reasons a signature is refused.
const (
	// SignatureMissing: no signature header, or an empty one.
	SignatureMissing SignatureReason = "missing"
	// SignatureMalformed: not of a known form (64 hexadecimal digits, or
	// t=<unix>,v1=<hex>).
	SignatureMalformed SignatureReason = "malformed"
	// SignatureMismatch: well formed, but no configured secret produces
	// it (a wrong or rotated secret, or an altered body).
	SignatureMismatch SignatureReason = "mismatch"
	// SignatureExpired: a timestamped signature older than the tolerance
	// (a replay, or a delivery that waited too long).
	SignatureExpired SignatureReason = "expired"
	// SignatureFuture: a timestamped signature from further in the future
	// than the tolerance (a clock off).
	SignatureFuture SignatureReason = "future"
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
// names are in canonical form (canonicalHeaders).
func signatureFrom(h http.Header, names []string) string {
	for _, n := range names {
		if v := headerValue(h, n); v != "" {
			return v
		}
	}
	return ""
}

// canonicalHeaders returns header names in their canonical form, once at
// construction, so that a request's are looked up without it
// (headerValue); none gives defaultSignatureHeaders.
func canonicalHeaders(names []string) []string {
	if len(names) == 0 {
		return defaultSignatureHeaders
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = http.CanonicalHeaderKey(n)
	}
	return out
}

// headerValue is h.Get(key) for a key in canonical form, without
// canonicalising it again on every request.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Verification is what [VerifyHeaders] found out about a signed delivery.
type Verification struct {
	// Scheme is the scheme that verified it: "hex" or "timestamped".
	Scheme string
	// Formula is what the signature covers: [FormulaBody] or
	// [FormulaTimestamped].
	Formula Formula
	// SecretIndex is the index of the secret that matched.
	SecretIndex int
	// SignedAt is a timestamped signature's t (zero otherwise).
	SignedAt time.Time
	// Environment is the X-Retab-Environment header, if any.
	Environment string
}

// VerifyHeaders verifies body against the signature its headers carry,
// with the built-in schemes, as a router would, except that it tries
// both formulas of a timestamped signature and does not apply a
// tolerance (SignedAt tells the age): tools use it to find out from one
// real delivery what a sender uses. Errors are those of [Verify].
func VerifyHeaders(h http.Header, body []byte, secrets ...string) (Verification, error) {
	var last error = &SignatureError{Reason: SignatureMissing, Err: ErrMissingSignature}
	for _, s := range []Scheme{HexScheme(), TimestampScheme(FormulaTimestamped), TimestampScheme(FormulaBody)} {
		sig, err := s.Parse(h)
		if err != nil {
			return Verification{SecretIndex: -1}, err
		}
		if sig == nil {
			continue
		}
		i, err := verifySignature(sig, body, secrets)
		if err == nil {
			return Verification{Scheme: s.Name(), Formula: sig.Formula, SecretIndex: i, SignedAt: sig.Timestamp,
				Environment: strings.TrimSpace(h.Get(EnvironmentHeader))}, nil
		}
		last = err
	}
	return Verification{SecretIndex: -1}, last
}
