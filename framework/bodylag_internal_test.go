package framework

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// jagged reads b in reads of random sizes, as a connection delivers a
// body.
type jagged struct {
	b   []byte
	rng *rand.Rand
}

func (j *jagged) Read(p []byte) (int, error) {
	if len(j.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, j.b[:min(len(j.b), 1+j.rng.IntN(300<<10))])
	j.b = j.b[n:]
	return n, nil
}

// stringBody is a JSON string token of n bytes: base64-like text with an
// escaped quote about every 50 KB, at places that depend on seed, so that
// the plain runs noted while reading are cut there.
func stringBody(n int, seed uint64) []byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := bytes.Repeat([]byte(alphabet), n/len(alphabet)+2)[seed%64:][:n]
	b[0], b[n-1] = '"', '"'
	rng := rand.New(rand.NewPCG(seed, 7))
	for range n / 50000 {
		at := 1 + 2*rng.IntN((n-3)/2) // odd: escapes never overlap
		b[at], b[at+1] = '\\', '"'
	}
	return b
}

const lagSecret = "lag-secret"

// readWithHashes reads body through r.readBody as a request that declares
// its length, with one secret's HMAC, and returns what was read and the
// hashes.
func readWithHashes(t *testing.T, r *Router, body []byte, seed uint64) ([]byte, *bodyHashes) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhook", &jagged{b: body, rng: rand.New(rand.NewPCG(seed, 1))})
	req.ContentLength = int64(len(body))
	h := newBodyHashes([]string{lagSecret})
	h.reset(true, nil)
	clock := r.newBodyClock(httptest.NewRecorder(), time.Now())
	got, err := r.readBody(req, h, &clock, nil, nil)
	require.NoError(t, err)
	return got, h
}

func lagMAC(body []byte) []byte {
	m := hmac.New(sha256.New, []byte(lagSecret))
	m.Write(body)
	return m.Sum(nil)
}

// TestLargeBodyDigestFollowsTheHMACs reads large bodies in reads of
// random sizes, around the sizes where the reader changes its way (the
// digest taken while reading from largeBodyMin, the HMACs on their own
// goroutine from parallelMACMin, the digest following behind them by
// macLead), on more than one CPU: the HMAC and the digest are those of
// the whole body, and the plain runs are where the body's bytes are (a
// string scan that jumps over them answers as one that reads every byte,
// also with a control byte put anywhere in the body).
func TestLargeBodyDigestFollowsTheHMACs(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	r := hostileRouter(t, nil, nil, WithMaxBodyBytes(32<<20))
	sizes := []int{largeBodyMin, parallelMACMin - 1, parallelMACMin, parallelMACMin + 1,
		macLead - 1, macLead + 1, macLead + parallelMACMin + 12345, 2*macLead + 3*readChunk + 7}
	for i, size := range sizes {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			body := stringBody(size, uint64(i))
			got, h := readWithHashes(t, r, body, uint64(i))
			require.True(t, bytes.Equal(body, got), "the body read is the body sent")
			require.Equal(t, lagMAC(body), h.sums[0], "HMAC")
			require.Equal(t, digestBody(body), h.digestOf(got), "digest")
			end, flags, ok := jsonscan.String(got, 0)
			e2, f2, ok2 := jsonscan.StringRuns(got, 0, h.plainRuns())
			require.Equal(t, []any{end, flags, ok}, []any{e2, f2, ok2})
			require.True(t, ok)

			bad := bytes.Clone(body)
			at := 1 + rand.New(rand.NewPCG(uint64(size), 3)).IntN(len(bad)-2)
			bad[at] = 0x01
			got, h = readWithHashes(t, r, bad, uint64(i)+100)
			_, _, ok = jsonscan.StringRuns(got, 0, h.plainRuns())
			require.False(t, ok, "a control byte at %d of %d is seen", at, len(bad))
			require.Equal(t, digestBody(bad), h.digestOf(got), "digest")
		})
	}
}

// TestLargeBodiesAtOnce reads different large bodies at once, again and
// again, through one router and its pooled hashes (with -race, CI's run,
// the HMAC goroutine's progress and the digest behind it are checked for
// races).
func TestLargeBodiesAtOnce(t *testing.T) {
	r := hostileRouter(t, nil, nil, WithMaxBodyBytes(32<<20))
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for k := range 2 {
				seed := uint64(10*g + k)
				body := stringBody(macLead+int(seed)*300_001, seed)
				got, h := readWithHashes(t, r, body, seed)
				if !bytes.Equal(body, got) || !bytes.Equal(lagMAC(body), h.sums[0]) || h.digestOf(got) != digestBody(body) {
					t.Errorf("body %d of goroutine %d: not what was sent", k, g)
				}
			}
		})
	}
	wg.Wait()
}
