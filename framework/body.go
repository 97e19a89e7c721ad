package framework

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"runtime"
)

const (
	// readChunk is the most the body reader asks for at once: each chunk
	// is hashed right after it is read, while it is still in the CPU's
	// cache, and while the rest of the body is still on the wire.
	readChunk = 256 << 10
	// parallelIDMin is the declared body size from which the delivery ID's
	// SHA-256 runs on a goroutine of its own, beside the HMACs, when the
	// process has more than one CPU.
	parallelIDMin = 1 << 20
)

// bodyHashes digests a body while it is read: its HMAC-SHA256 with each
// secret (the signature check) and its SHA-256 (the delivery ID). The
// router keeps them in a pool: a keyed HMAC is reset, not rebuilt.
type bodyHashes struct {
	macs  []hash.Hash // one per secret, in WithSecrets order
	sums  [][]byte    // their results, after finish
	id    hash.Hash
	idSum [sha256.Size]byte

	par  chan []byte // chunks for the ID goroutine; nil when it is not running
	done chan struct{}
}

func newBodyHashes(secrets []string) *bodyHashes {
	h := &bodyHashes{id: sha256.New(), macs: make([]hash.Hash, len(secrets)), sums: make([][]byte, len(secrets))}
	for i, s := range secrets {
		h.macs[i] = hmac.New(sha256.New, []byte(s))
		h.sums[i] = make([]byte, 0, sha256.Size)
	}
	return h
}

// reset prepares h for a body: the HMACs (when withMACs) are reset and fed
// prefix, the signature scheme's bytes before the body.
func (h *bodyHashes) reset(withMACs bool, prefix []byte) {
	h.id.Reset()
	if !withMACs {
		h.macs = h.macs[:0]
		return
	}
	h.macs = h.macs[:cap(h.macs)]
	for _, m := range h.macs {
		m.Reset()
		m.Write(prefix)
	}
}

// parallel hashes the ID on its own goroutine until finish.
func (h *bodyHashes) parallel() {
	h.par, h.done = make(chan []byte, 64), make(chan struct{})
	go func() {
		defer close(h.done)
		for chunk := range h.par {
			h.id.Write(chunk)
		}
	}()
}

func (h *bodyHashes) write(chunk []byte) {
	if h.par != nil {
		h.par <- chunk
	} else {
		h.id.Write(chunk)
	}
	for _, m := range h.macs {
		m.Write(chunk)
	}
}

// finish computes the sums; it must be called once after the last write,
// also on failure, to stop the ID goroutine.
func (h *bodyHashes) finish() {
	if h.par != nil {
		close(h.par)
		<-h.done
		h.par, h.done = nil, nil
	}
	h.id.Sum(h.idSum[:0])
	for i, m := range h.macs {
		h.sums[i] = m.Sum(h.sums[i][:0])
	}
}

// deliveryID is Delivery.ID for a body's SHA-256.
// DeliveryID returns the ID the router gives the delivery of body
// (Delivery.ID): "dlv_" and the first 32 hex digits of the body's
// SHA-256. Tools that record raw bodies use it to name them as the
// receiver's logs do.
func DeliveryID(body []byte) string {
	sum := sha256.Sum256(body)
	return deliveryID(&sum)
}

func deliveryID(sum *[sha256.Size]byte) string {
	var b [4 + 32]byte
	copy(b[:], "dlv_")
	hex.Encode(b[4:], sum[:16])
	return string(b[:])
}

// firstAlloc is the body buffer's first size when the body declares more.
const firstAlloc = 64 << 10

// growTo is the body buffer's next capacity after c bytes: firstAlloc,
// then 4x, not past the declared size (when declared >= 0) while c is
// below it. A body longer than declared (a request built by hand) keeps
// growing 4x; the body limit still applies.
func growTo(c, declared int) int {
	n := max(firstAlloc, 4*c)
	if declared > c {
		n = min(n, declared)
	}
	return n
}

// readBody reads the body, at most WithMaxBodyBytes, into a buffer that
// grows with the bytes received up to the declared size, feeding h (when not nil)
// chunk by chunk.
func (r *Router) readBody(req *http.Request, h *bodyHashes) (body []byte, err error) {
	limit := r.cfg.maxBody
	if req.ContentLength > limit {
		return nil, fmt.Errorf("%w: %d bytes declared, limit is %d", ErrBodyTooLarge, req.ContentLength, limit)
	}
	if h != nil {
		if req.ContentLength >= parallelIDMin && runtime.GOMAXPROCS(0) > 1 {
			h.parallel()
		}
		defer h.finish()
	}
	if req.Body == nil {
		return nil, nil
	}
	// The buffer grows with the bytes that arrive, never past the
	// declared size (+1, room to read the EOF without growing): a sender
	// that declares 64 MiB and stalls holds at most firstAlloc, not 64 MiB,
	// before anything is verified. Growing 4x at a time costs a large body
	// a few copies of its first quarter. Under WithMaxInFlightBytes the
	// declared size is already reserved, and bounded, so it is allocated
	// at once.
	declared := -1
	if req.ContentLength >= 0 {
		declared = int(req.ContentLength) + 1
	}
	first := growTo(0, declared)
	if r.budget != nil && declared >= 0 {
		first = declared
	}
	buf := make([]byte, 0, first)
	for {
		if len(buf) == cap(buf) {
			next := make([]byte, len(buf), growTo(cap(buf), declared))
			copy(next, buf)
			buf = next
		}
		end := min(cap(buf), len(buf)+readChunk, int(limit+1))
		n, err := req.Body.Read(buf[len(buf):end])
		if n > 0 {
			if h != nil {
				h.write(buf[len(buf) : len(buf)+n : len(buf)+n])
			}
			buf = buf[:len(buf)+n]
		}
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("%w: limit is %d bytes", ErrBodyTooLarge, limit)
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBodyRead, err)
		}
	}
}
