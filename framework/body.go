package framework

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

const (
	// readChunk is the most the body reader asks for at once: each chunk
	// is hashed right after it is read, while it is still in the CPU's
	// cache, and while the rest of the body is still on the wire.
	readChunk = 256 << 10
	// parallelMACMin is the declared body size from which the HMACs run
	// on a goroutine of their own, while the request's goroutine reads
	// (and checksums) the next chunks, when the process has more than
	// one CPU.
	parallelMACMin = 1 << 20
	// minPlainRun is the shortest read whose plain run is noted: a body
	// trickled in small reads has its strings scanned after it is read,
	// rather than a run noted per read (at most body/minPlainRun runs).
	minPlainRun = 4 << 10
	// largeBodyMin is the declared body size from which the body's
	// digest (Delivery.ID) is computed while it is read, chunk by chunk
	// with the HMACs (or a little behind them, see macLead), and its
	// plain runs are noted; a
	// smaller body is digested in one call once read, while it is still
	// in the CPU's cache.
	largeBodyMin = 256 << 10
	// macLead is how far ahead of the HMAC goroutine the reader reads
	// before it takes the digest and the plain runs of what it read
	// (bodyHashes.read).
	macLead = 4 << 20
)

// bodyHashes digests a body while it is read: its HMAC-SHA256 with each
// secret (the signature check) and, for a body of largeBodyMin or more,
// its digest (XXH3-128, Delivery.ID) and its plain runs (which the
// decoding's string scans jump over: a document's base64 is checked
// while it is still in the CPU's cache, not read again). The router
// keeps them in a pool: a keyed HMAC is reset, not rebuilt.
type bodyHashes struct {
	macs []hash.Hash // one per secret, in WithSecrets order
	sums [][]byte    // their results, after finish

	large  bool // digest and plain runs
	xxh    xxh3.Hasher128
	digest bodyDigest // after finish, when large
	runs   jsonscan.PlainRuns

	digested int // bytes of the body the digest and the plain runs have taken

	par    chan []byte // chunks for the HMAC goroutine; nil when it is not running
	done   chan struct{}
	hashed atomic.Int64 // bytes the HMAC goroutine has hashed

	// ct is the request's content (Router.decode), which lives as long
	// as the request, as the hashes do: emptied when the room is put back
	// (secretSet.put), so a pooled room holds none of its bytes.
	ct content
}

func newBodyHashes(secrets []string) *bodyHashes {
	h := &bodyHashes{macs: make([]hash.Hash, len(secrets)), sums: make([][]byte, len(secrets))}
	for i, s := range secrets {
		h.macs[i] = hmac.New(sha256.New, []byte(s))
		h.sums[i] = make([]byte, 0, sha256.Size)
	}
	return h
}

// reset prepares h for a body: the HMACs (when withMACs) are reset and fed
// prefix, the signature scheme's bytes before the body.
func (h *bodyHashes) reset(withMACs bool, prefix []byte) {
	h.large, h.digested = false, 0
	h.xxh.Reset()
	h.runs.Reset()
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

// parallel runs the HMACs on their own goroutine until finish.
func (h *bodyHashes) parallel() {
	if len(h.macs) == 0 {
		return
	}
	h.hashed.Store(0)
	h.par, h.done = make(chan []byte, 1024), make(chan struct{}) // 1024 reads: at least macLead ahead for reads of 4 KiB or more
	go func() {
		defer close(h.done)
		for chunk := range h.par {
			for _, m := range h.macs {
				m.Write(chunk)
			}
			h.hashed.Add(int64(len(chunk)))
		}
	}()
}

// read takes buf[start:end], bytes just read into buf (whose length may
// not cover them yet). The HMACs get them at once. The digest and the
// plain runs, which only the decoding needs, are taken in the same call
// when the HMACs run here; when they run on their own goroutine, they
// follow behind while the HMACs have less than macLead bytes ahead of
// them: the reader then reads first, so that the HMACs have bytes to
// hash when it stops to grow the buffer (an allocation of several MiB,
// zeroed, and a copy), and catches up later (catchUp).
func (h *bodyHashes) read(buf []byte, start, end int) {
	buf = buf[:end:end]
	if h.par != nil {
		h.par <- buf[start:]
	} else {
		for _, m := range h.macs {
			m.Write(buf[start:])
		}
	}
	if !h.large {
		return
	}
	if h.par == nil {
		h.digestTo(buf, end)
	} else if end-int(h.hashed.Load()) >= macLead {
		h.digestTo(buf, min(end, h.digested+readChunk))
	}
}

// catchUp takes the digest and the plain runs of the whole body, once
// it is read (read may have left them behind).
func (h *bodyHashes) catchUp(body []byte) {
	if h.large {
		h.digestTo(body, len(body))
	}
}

// digestTo takes the digest and the plain runs of buf[h.digested:end].
func (h *bodyHashes) digestTo(buf []byte, end int) {
	for h.digested < end {
		next := min(end, h.digested+readChunk)
		b := buf[h.digested:next]
		_, _ = h.xxh.Write(b)
		if len(b) >= minPlainRun {
			h.runs.Note(b, h.digested)
		}
		h.digested = next
	}
}

// finish computes the sums; it must be called once after the last read,
// and after catchUp when the body was read whole, also on failure, to
// stop the HMAC goroutine.
func (h *bodyHashes) finish() {
	if h.par != nil {
		close(h.par)
		<-h.done
		h.par, h.done = nil, nil
	}
	for i, m := range h.macs {
		h.sums[i] = m.Sum(h.sums[i][:0])
	}
	if h.large {
		h.digest = h.xxh.Sum128().Bytes()
	}
}

// digestOf is the digest of body, the body h was fed (h may be nil: the
// body was not read by the router): the one computed while reading, or
// computed now.
func (h *bodyHashes) digestOf(body []byte) bodyDigest {
	if h == nil || !h.large {
		return digestBody(body)
	}
	return h.digest
}

// plainRuns are the body's plain runs noted while reading (nil: none).
func (h *bodyHashes) plainRuns() *jsonscan.PlainRuns {
	if h == nil || !h.large {
		return nil
	}
	return &h.runs
}

// firstAlloc is the body buffer's first size when the body declares more,
// and the most a request holds while it waits for room under
// WithMaxInFlightBytes (see reserve).
const firstAlloc = 64 << 10

// growTo is the body buffer's next capacity after c bytes: firstAlloc,
// then 4x (straight to most once that is at least half of it), never
// past the declared size (when declared >= 0) while c is below it, and
// never past most (the body limit + 1, room to see the byte
// that makes a body too large). A body longer than declared (a request
// built by hand) keeps growing 4x up to most.
func growTo(c, declared, most int) int {
	n := max(firstAlloc, 4*c)
	if n >= most/2 {
		// One step to the limit rather than two (a buffer just short of
		// it, then the limit): at most 5/3 of the limit is ever
		// allocated for a body that reaches it.
		n = most
	}
	if declared > c {
		n = min(n, declared)
	}
	return min(n, most)
}

// DefaultBodyTimeout and DefaultMinBodyRate are [WithBodyDeadline]'s
// defaults: a body must arrive within 10 s plus the time its bytes take at
// 1 MiB/s (74 s for a 64 MiB body).
const (
	DefaultBodyTimeout       = 10 * time.Second
	DefaultMinBodyRate int64 = 1 << 20
)

// WithBodyDeadline bounds how long a body may take: each read must end
// before timeout plus the time the bytes received so far take at minRate
// bytes per second, counted from when the router takes the request (from
// the end of its wait for room under WithMaxInFlightBytes, if it waited).
// A body that declares at most 64 KiB has one deadline for all its reads,
// the one its last read would have: timeout plus the time its declared
// length takes at minRate. A sender slower than
// that (one that declares a size and stalls, or trickles) is answered 408
// [ErrBodyTimeout], its connection is closed and its share of
// WithMaxInFlightBytes released. The deadline is the connection's read
// deadline (http.ResponseController.SetReadDeadline): the net/http
// server's ResponseWriter supports it; behind a ResponseWriter that does
// not, bodies are read without one. timeout 0 turns it off. Default:
// [DefaultBodyTimeout] (10 s) and [DefaultMinBodyRate] (1 MiB/s).
func WithBodyDeadline(timeout time.Duration, minRate int64) Option {
	return func(c *config) error {
		if timeout < 0 || (timeout > 0 && minRate <= 0) {
			return fmt.Errorf("retabhook: WithBodyDeadline(%s, %d): the timeout must not be negative and the rate must be positive", timeout, minRate)
		}
		c.bodyTimeout, c.minBodyRate = timeout, minRate
		return nil
	}
}

// ErrBodyTimeout is answered when a body does not arrive within
// [WithBodyDeadline].
var ErrBodyTimeout = &Problem{"body-timeout", "Body too slow", http.StatusRequestTimeout}

// bodyClock sets the connection's read deadline as a body arrives.
type bodyClock struct {
	rc      readDeadliner // nil: the ResponseWriter has no deadlines
	start   time.Time
	timeout time.Duration // 0: no deadline
	rate    int64
	set     bool // a deadline is set
	// counted is the bytes the deadline set counts (-1: none, or one
	// that is not a body's: now); whole is the declared length of a body
	// that gets one deadline for all its reads (see oneDeadlineMax), -1
	// otherwise.
	counted, whole int
}

// oneDeadlineMax is the largest declared body whose reads share one
// deadline, the one its last read would get (timeout plus the time its
// declared length takes at the minimum rate), rather than one per read:
// its buffer is allocated whole at its first read (firstAlloc), so what a
// slow sender holds does not depend on its pace, and the time it may take
// in all is the same. A typical delivery is read with one deadline set
// and one removed, not one per read.
const oneDeadlineMax = firstAlloc

// newBodyClock returns the clock by value: the request's lives on its
// stack. start is when the router took the request (its first read
// follows at once): the clock counts from there.
func (r *Router) newBodyClock(w http.ResponseWriter, start time.Time) bodyClock {
	return bodyClock{rc: deadlinerOf(w), start: start, timeout: r.cfg.bodyTimeout, rate: r.cfg.minBodyRate, counted: -1, whole: -1}
}

// readDeadliner is what http.ResponseController.SetReadDeadline calls:
// the net/http server's ResponseWriter implements it.
type readDeadliner interface {
	SetReadDeadline(time.Time) error
}

// deadlinerOf finds w's SetReadDeadline as http.ResponseController does
// (w's own, or that of the ResponseWriter it unwraps to), once per
// request rather than at every read, without the controller's allocation
// and the error it formats for a ResponseWriter without one (nil).
func deadlinerOf(w http.ResponseWriter) readDeadliner {
	for {
		switch t := w.(type) {
		case readDeadliner:
			return t
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}

// begin starts the clock again, after a wait for room: the body's first
// bytes are due within timeout.
func (c *bodyClock) begin() {
	c.start = time.Now()
	c.counted = -1
	c.at(0)
}

// declare makes every read of a body declared as n bytes share one
// deadline when n is at most oneDeadlineMax.
func (c *bodyClock) declare(n int64) {
	if n >= 0 && n <= oneDeadlineMax {
		c.whole = int(n)
	}
}

// at sets the deadline of the read that follows received bytes (for a
// body with one deadline, its declared length); a deadline already set
// for as many bytes stays.
func (c *bodyClock) at(received int) {
	if c.rc == nil || c.timeout == 0 {
		return
	}
	received = max(received, c.whole)
	if c.set && c.counted == received {
		return
	}
	if c.start.IsZero() {
		c.start = time.Now()
	}
	d := c.start.Add(c.timeout + time.Duration(float64(received)/float64(c.rate)*float64(time.Second)))
	if c.rc.SetReadDeadline(d) != nil {
		c.rc = nil // not supported: read without a deadline
		return
	}
	c.set, c.counted = true, received
}

// now makes a pending read return at once; false when it cannot.
func (c *bodyClock) now() bool {
	if c.rc == nil || c.rc.SetReadDeadline(time.Now()) != nil {
		return false
	}
	c.set, c.counted = true, -1
	return true
}

// end removes the deadline once the body is read.
func (c *bodyClock) end() {
	if c.set {
		_ = c.rc.SetReadDeadline(time.Time{})
		c.set, c.counted = false, -1
	}
}

// readBody reads the body, at most WithMaxBodyBytes, into a buffer that
// grows with the bytes received up to the declared size, feeding h (when not nil)
// chunk by chunk. pre holds what was read while the request waited for
// room (reserve), preErr the error that read ended with.
func (r *Router) readBody(req *http.Request, h *bodyHashes, clock *bodyClock, pre []byte, preErr error) (body []byte, err error) {
	limit := r.cfg.maxBody
	if h != nil {
		h.large = req.ContentLength >= largeBodyMin
		if req.ContentLength >= parallelMACMin && runtime.GOMAXPROCS(0) > 1 {
			h.parallel()
		}
		defer h.finish()
	}
	if req.Body == nil {
		return nil, nil
	}
	// The buffer grows with the bytes that arrive, never past the
	// declared size +1 (room to read the EOF without growing) nor past
	// the limit +1: a sender that declares 64 MiB and stalls holds at
	// most firstAlloc, not 64 MiB, before anything is verified, and a
	// body past the limit never costs more than the limit. Growing 4x at
	// a time costs a large body a few copies of its first quarter. Under
	// WithMaxInFlightBytes the size is already reserved (the limit when
	// none is declared), and bounded, so it is allocated at once: N
	// largest bodies hold N times the limit, never more.
	declared := -1
	if req.ContentLength >= 0 {
		declared = int(req.ContentLength) + 1
	}
	most := int(limit + 1)
	first := growTo(0, declared, most)
	if r.budget != nil {
		first = most
		if declared >= 0 {
			first = min(declared, most)
		}
	}
	first = max(first, len(pre))
	buf := make([]byte, 0, first)
	buf = append(buf, pre...)
	clock.declare(req.ContentLength)
	if h != nil && len(pre) > 0 {
		h.read(buf, 0, len(pre))
	}
	err = preErr
	for err == nil {
		if len(buf) == cap(buf) {
			// Not append(buf, make(...)...), which zeroes only the new
			// part: built with -race (instrumented) it allocates the
			// make as well, twice the bound TestChunkedOverLimitAllocation
			// holds.
			next := make([]byte, len(buf), growTo(cap(buf), declared, most))
			copy(next, buf)
			buf = next
		}
		clock.at(len(buf))
		end := min(cap(buf), len(buf)+readChunk)
		var n int
		n, err = req.Body.Read(buf[len(buf):end])
		if n > 0 {
			if h != nil {
				h.read(buf, len(buf), len(buf)+n)
			}
			buf = buf[:len(buf)+n]
		}
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("%w: limit is %d bytes", ErrBodyTooLarge, limit)
		}
	}
	switch {
	case err == io.EOF:
		clock.end()
		if h != nil {
			h.catchUp(buf)
		}
		return buf, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, fmt.Errorf("%w: %d bytes received in %s, slower than WithBodyDeadline allows", ErrBodyTimeout, len(buf), time.Since(clock.start).Round(time.Millisecond))
	default:
		return nil, fmt.Errorf("%w: %w", ErrBodyRead, err)
	}
}
