package framework

import (
	"encoding/hex"
	"strings"

	"github.com/zeebo/xxh3"
)

// ElideDocumentMin was the size from which a body's document counted in
// the delivery's digest by its length and the body's CRC-32C rather than
// by its bytes, so that a large body was not hashed twice with SHA-256.
//
// Deprecated: the digest is now the XXH3-128 of every byte of the body
// (CHANGELOG.md), as cheap on a large body as the CRC-32C was, so no
// document is left out and the constant has no effect. It will be
// removed in a later release.
const ElideDocumentMin = 256 << 10

// Prefixes of the ID and key forms. DeliveryIDPrefix and BodyKeyPrefix
// are today's (XXH3-128 of the body); LegacyDeliveryIDPrefix is what
// versions before it gave (SHA-256 of the body), which may still be
// stored.
const (
	// DeliveryIDPrefix starts every Delivery.ID: "dlv2_" and 32 lowercase
	// hex digits, the body's XXH3-128 (what `xxhsum -H2` prints).
	DeliveryIDPrefix = "dlv2_"
	// LegacyDeliveryIDPrefix started the IDs of earlier versions: "dlv_"
	// and the first 32 hex digits of the body's SHA-256 (or, for a body
	// with a document of 256 KiB or more, of its document-elided digest).
	LegacyDeliveryIDPrefix = "dlv_"
	// BodyKeyPrefix starts every [KeyByBody] key: "xxh3:" and the same 32
	// hex digits as the ID.
	BodyKeyPrefix = "xxh3:"
)

// bodyDigest is what Delivery.ID and KeyByBody are made of: the body's
// XXH3-128, its 16 bytes in the canonical (big-endian) order.
type bodyDigest [16]byte

// digestBody is the digest of body, in one pass over it. The body was
// authenticated (HMAC or bearer token) before it is asked for, so the
// digest only has to keep accidents apart, not a sender without the
// secret: see docs/operations.md ("Delivery IDs").
func digestBody(body []byte) bodyDigest { return xxh3.Hash128(body).Bytes() }

// id is Delivery.ID: DeliveryIDPrefix and the hex digest.
func (d *bodyDigest) id() string { return d.text(DeliveryIDPrefix) }

// key is KeyByBody's key: BodyKeyPrefix and the hex digest. No key of an
// earlier version ("sha256:" or "sha256-doc:" and 64 hex digits) is ever
// equal to one.
func (d *bodyDigest) key() string { return d.text(BodyKeyPrefix) }

// text is prefix (of len(DeliveryIDPrefix) bytes at most) and the hex
// digest, in one allocation.
func (d *bodyDigest) text(prefix string) string {
	var b [len(DeliveryIDPrefix) + 2*len(d)]byte
	n := copy(b[:], prefix)
	n += hex.Encode(b[n:], d[:])
	return string(b[:n])
}

// DeliveryID returns the ID the router gives the delivery of body
// (Delivery.ID): [DeliveryIDPrefix] and the 32 hex digits of the body's
// XXH3-128. The same body always has the same ID, whatever format or
// router decodes it. Tools that record raw bodies use it to name them
// as the receiver's logs do.
func DeliveryID(body []byte) string {
	d := digestBody(body)
	return d.id()
}

// IsDeliveryID reports whether id has the form of a Delivery.ID: today's
// ([DeliveryIDPrefix], 32 lowercase hex digits) or, legacy reports
// whether it is, an earlier version's ([LegacyDeliveryIDPrefix], 32
// lowercase hex digits), which stores may still hold (quarantine
// entries, dead letters, recordings, logs). The two forms never overlap.
func IsDeliveryID(id string) (ok, legacy bool) {
	if h, found := strings.CutPrefix(id, DeliveryIDPrefix); found {
		return isHex32(h), false
	}
	if h, found := strings.CutPrefix(id, LegacyDeliveryIDPrefix); found && isHex32(h) {
		return true, true
	}
	return false, false
}

func isHex32(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
