package framework

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
)

// ElideDocumentMin is the size from which the document a body carries in
// file_payload.url (or an End-node body's document.url) counts in the
// body's digest (Delivery.ID, [KeyByBody]) by its length and the body's
// CRC-32C rather than by its bytes: the body is already authenticated by
// its HMAC, and hashing a large document a second time with SHA-256 would
// double the cost of receiving it. Below it the digest is the SHA-256 of
// the body, as it always was (CHANGELOG.md).
const ElideDocumentMin = 256 << 10

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// bodyDigest is what Delivery.ID and KeyByBody are made of.
type bodyDigest struct {
	sum [sha256.Size]byte
	// elided: a document of ElideDocumentMin or more was counted by its
	// length and the body's CRC-32C; sum is not the body's SHA-256.
	elided bool
}

// digestBody digests body, whose document (file URL) is doc: the slice of
// body at offset at, or anything else (then the body has none). crc is the body's CRC-32C when it was computed while the
// body was read (nil to compute it here, if needed).
//
// With a document of ElideDocumentMin bytes or more in body, what is
// hashed is the body with the document's bytes replaced by a NUL, its
// offset, its length, the body's length and CRC-32C, and a NUL: no valid
// JSON body holds a raw NUL, so no body's plain digest equals another's
// elided one, and two bodies share a digest only if they differ in
// nothing but the document and the CRC-32C of both is the same.
func digestBody(body, doc []byte, at int, crc *uint32) bodyDigest {
	if len(doc) < ElideDocumentMin || !sliceOf(body, doc, at) {
		return bodyDigest{sum: sha256.Sum256(body)}
	}
	c := uint32(0)
	if crc != nil {
		c = *crc
	} else {
		c = crc32.Checksum(body, castagnoli)
	}
	var mark [1 + 8 + 8 + 8 + 4 + 1]byte
	binary.LittleEndian.PutUint64(mark[1:], uint64(at))
	binary.LittleEndian.PutUint64(mark[9:], uint64(len(doc)))
	binary.LittleEndian.PutUint64(mark[17:], uint64(len(body)))
	binary.LittleEndian.PutUint32(mark[25:], c)
	h := sha256.New()
	h.Write(body[:at])
	h.Write(mark[:])
	h.Write(body[at+len(doc):])
	var d bodyDigest
	h.Sum(d.sum[:0])
	d.elided = true
	return d
}

// sliceOf reports whether part is the slice of body's bytes at offset at
// (not an equal copy, nor a slice of other bytes).
func sliceOf(body, part []byte, at int) bool {
	return len(part) > 0 && at >= 0 && at+len(part) <= len(body) && &body[at] == &part[0]
}

// id is Delivery.ID: "dlv_" and the first 32 hex digits of the digest.
func (d *bodyDigest) id() string {
	var b [4 + 32]byte
	copy(b[:], "dlv_")
	hex.Encode(b[4:], d.sum[:16])
	return string(b[:])
}

// key is KeyByBody's key: "sha256:" and the hex digest, or, for an elided
// digest, "sha256-doc:" and the hex digest, so that a key stored before
// the document was left out (all were "sha256:" and the body's SHA-256)
// is never taken for a key of the other form.
func (d *bodyDigest) key() string {
	prefix := "sha256:"
	if d.elided {
		prefix = "sha256-doc:"
	}
	var b [len("sha256-doc:") + 2*len(d.sum)]byte
	n := copy(b[:], prefix)
	n += hex.Encode(b[n:], d.sum[:])
	return string(b[:n])
}

// digestOf digests a body the router did not decode: its document is
// found with the default formats (a body none of them decodes has none).
func digestOf(body []byte) bodyDigest {
	var f File
	if len(body) >= ElideDocumentMin {
		if d, _ := Decode(body); d != nil {
			f = d.File
		}
	}
	return digestBody(body, f.url, f.at, nil)
}

// DeliveryID returns the ID the router gives the delivery of body
// (Delivery.ID): "dlv_" and the first 32 hex digits of the body's digest
// (its SHA-256, unless it carries a document of [ElideDocumentMin] bytes
// or more; see [Delivery]). The body is decoded with [DefaultFormats] to
// find its document. Tools that record raw bodies use it to name them as
// the receiver's logs do.
func DeliveryID(body []byte) string {
	d := digestOf(body)
	return d.id()
}
