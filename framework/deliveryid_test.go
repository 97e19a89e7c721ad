package framework

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// serveDelivery posts body (declaring its length or chunked) and returns
// the delivery the handler saw.
func serveDelivery(t *testing.T, body []byte, chunked bool) *Delivery {
	t.Helper()
	var got *Delivery
	r := benchRouter(t, func(ctx context.Context, inv fixtures.Invoice) error {
		got, _ = DeliveryFrom(ctx)
		return nil
	})
	req := signedPost(body, "X-Retab-Signature", Sign(benchSecret, body), chunked)
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.NotNil(t, got)
	return got
}

// legacyID is the ID and key versions before XXH3 gave a body without a
// document of 256 KiB or more: the forms stores may still hold.
func legacyID(body []byte) (id, key string) {
	sum := sha256.Sum256(body)
	return "dlv_" + hex.EncodeToString(sum[:16]), "sha256:" + hex.EncodeToString(sum[:])
}

// vectorBody is the n first bytes of "retabhook retabhook ...".
func vectorBody(n int) []byte { return []byte(strings.Repeat("retabhook ", n/10+1)[:n]) }

// TestDeliveryIDVectors pins the form: "dlv2_" and the body's XXH3-128
// as the reference implementation prints it (xxhsum 0.8.1: `printf ... |
// xxhsum -H2`), for every length class XXH3 treats apart (0, 1-16,
// 17-128, 129-240, longer: one block, more, many), and the key
// "xxh3:" and the same digits.
func TestDeliveryIDVectors(t *testing.T) {
	for _, v := range []struct {
		n   int
		sum string
	}{
		{0, "99aa06d3014798d86001c324468d497f"},
		{3, "2b47355ca1cb9b21c3b82af55bfb2584"},
		{17, "5b060250963fe0c1a05ebf07cd3ecb21"},
		{129, "bf3a6f0a6e9485bbf893769f5bbdbb14"},
		{241, "1d1f8e7dc1e39ea48d9bd61a395f072b"},
		{1024, "0e948397e00bf231b11200c3c2dacf8f"},
		{1025, "207082a73a71628ec110b153fa1240b0"},
		{5000, "bf1293f65697e8d39dd49acfc0bcb9ad"},
		{70000, "e1528e834928b1fcaef412df9212be76"},
	} {
		body := vectorBody(v.n)
		assert.Equal(t, "dlv2_"+v.sum, DeliveryID(body), "%d bytes", v.n)
		assert.Equal(t, "xxh3:"+v.sum, KeyByBody(nil, body), "%d bytes", v.n)
		assert.Equal(t, "xxh3:"+v.sum, KeyByBody(&Delivery{}, body), "%d bytes", v.n)
		ok, legacy := IsDeliveryID(DeliveryID(body))
		assert.True(t, ok)
		assert.False(t, legacy)
	}
	// "abc": the reference's own example.
	assert.Equal(t, "dlv2_06b05ab6733a618578af5f94892f3950", DeliveryID([]byte("abc")))
}

// TestDeliveryIDForms: today's IDs and keys and an earlier version's
// never overlap, and IsDeliveryID tells them apart.
func TestDeliveryIDForms(t *testing.T) {
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	oldID, oldKey := legacyID(body)
	id, key := DeliveryID(body), KeyByBody(nil, body)
	assert.Regexp(t, `^dlv2_[0-9a-f]{32}$`, id)
	assert.Regexp(t, `^xxh3:[0-9a-f]{32}$`, key)
	assert.NotEqual(t, oldID, id)
	assert.NotEqual(t, oldKey, key)
	assert.False(t, strings.HasPrefix(key, "sha256"), "no key of today starts like an earlier one")
	assert.Equal(t, id[len("dlv2_"):], key[len("xxh3:"):], "the ID and the key are one digest")

	for _, c := range []struct {
		id         string
		ok, legacy bool
	}{
		{id, true, false},
		{oldID, true, true},
		{"dlv_0123456789abcdef0123456789abcdef", true, true},
		{"dlv2_0123456789abcdef0123456789abcdef", true, false},
		{"dlv2_0123456789ABCDEF0123456789abcdef", false, false},
		{"dlv2_0123456789abcdef0123456789abcde", false, false},
		{"dlv_0123456789abcdef0123456789abcdef0", false, false},
		{"dlv_x123456789abcdef0123456789abcdef", false, false},
		{"dlv2_", false, false},
		{"dlv_", false, false},
		{"", false, false},
		{"q_0123456789ab0123456789ab", false, false},
	} {
		ok, legacy := IsDeliveryID(c.id)
		assert.Equal(t, c.ok, ok, c.id)
		assert.Equal(t, c.legacy, legacy, c.id)
	}
}

// TestDeliveryIDEveryByte: changing any one byte of a typical body, in
// any way, changes its ID; so does cutting or extending it.
func TestDeliveryIDEveryByte(t *testing.T) {
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	seen := map[string]int{DeliveryID(body): -1}
	rng := rand.New(rand.NewPCG(16, 1))
	b := bytes.Clone(body)
	for i := range b {
		for _, x := range []byte{1, 0x80, byte(2 + rng.IntN(126))} { // three different changes
			b[i] ^= x
			id := DeliveryID(b)
			prev, dup := seen[id]
			require.False(t, dup, "byte %d ^ %#x: same ID as change %d", i, x, prev)
			seen[id] = i
			b[i] ^= x
		}
	}
	for n := range len(body) {
		_, dup := seen[DeliveryID(body[:n])]
		require.False(t, dup, "cut at %d", n)
	}
	_, dup := seen[DeliveryID(append(bytes.Clone(body), ' '))]
	require.False(t, dup, "extended")
}

// digestInChunks digests body as the router does while reading a large
// body: chunk by chunk, of the sizes given by cuts.
func digestInChunks(body []byte, cuts []int) bodyDigest {
	h := newBodyHashes(nil)
	h.reset(false, nil)
	h.large = true
	at := 0
	for _, c := range cuts {
		c = min(c, len(body)-at)
		h.read(body, at, at+c)
		at += c
	}
	h.read(body, at, len(body))
	h.finish()
	return h.digest
}

// FuzzDeliveryID: the digest taken chunk by chunk while reading is the
// one-call digest of the same bytes, and flipping any bit of the body
// changes it.
func FuzzDeliveryID(f *testing.F) {
	f.Add(fixtures.ContentEnvelope(fixtures.SeedContent), uint16(3), uint16(1000), uint8(1), uint16(40))
	f.Add(vectorBody(2000), uint16(1025), uint16(1), uint8(0x80), uint16(1999))
	f.Add([]byte{}, uint16(0), uint16(0), uint8(1), uint16(0))
	f.Fuzz(func(t *testing.T, body []byte, c1, c2 uint16, flip uint8, at uint16) {
		want := digestBody(body)
		got := digestInChunks(body, []int{int(c1), int(c2), int(c1) + int(c2)})
		require.Equal(t, want, got, "chunked %d, %d", c1, c2)
		if len(body) == 0 || flip == 0 {
			return
		}
		b := bytes.Clone(body)
		b[int(at)%len(b)] ^= flip
		require.NotEqual(t, want, digestBody(b), "byte %d ^ %#x", int(at)%len(b), flip)
	})
}

// TestLargeDeliveryID: a large body's ID is the XXH3-128 of every byte,
// whether it was digested while being read (declared length) or after
// (chunked), and whether it was ServeHTTP's or DeliveryID's; a byte
// changed in the document or outside it changes the ID.
func TestLargeDeliveryID(t *testing.T) {
	large := fixtures.LargeDelivery(largeBodyMin)
	d := serveDelivery(t, large, false)
	assert.Equal(t, DeliveryID(large), d.ID)
	oldID, oldKey := legacyID(large)
	assert.NotEqual(t, oldID, d.ID)
	k := KeyByBody(d, large)
	assert.Equal(t, "xxh3:"+d.ID[len("dlv2_"):], k)
	assert.NotEqual(t, oldKey, k)
	assert.Equal(t, k, KeyByBody(nil, large), "a body the router did not decode gets the same key")
	assert.Equal(t, d.ID, serveDelivery(t, large, true).ID, "a chunked body (digested after reading) has the same ID")
	assert.Equal(t, d.ID, serveDelivery(t, bytes.Clone(large), false).ID, "a rerun has the same ID")

	inDoc := bytes.Clone(large)
	i := bytes.Index(large, []byte("base64,")) + len("base64,") + 1000
	inDoc[i] ^= 3 // still a printable ASCII byte
	outside := bytes.Replace(large, []byte(`"metadata":{`), []byte(`"metadata":{"x":1,`), 1)
	escaped := bytes.Replace(large, []byte("base64,"), []byte(`base64\u002c`), 1)
	for _, other := range [][]byte{inDoc, outside, escaped} {
		require.NotEqual(t, string(large), string(other))
		od := serveDelivery(t, other, false)
		assert.NotEqual(t, d.ID, od.ID)
		assert.Equal(t, DeliveryID(other), od.ID)
	}
}

// TestLargeBodyBadByteIsRefused: a raw control byte, a quote or a
// backslash anywhere in a large document is found although the plain
// runs noted while reading let the scans jump over the rest.
func TestLargeBodyBadByteIsRefused(t *testing.T) {
	body := fixtures.LargeDelivery(2 << 20)
	start := bytes.Index(body, []byte("base64,")) + len("base64,")
	end := start + bytes.IndexByte(body[start:], '"')
	r := benchRouter(t, nil)
	for _, at := range []int{start + 10, start + 300<<10, start + 1<<20 + 7, end - 1} {
		for _, c := range []byte{0x01, '"', '\\', 0xff} {
			bad := bytes.Clone(body)
			bad[at] = c
			for _, chunked := range []bool{false, true} {
				w := httptest.NewRecorder()
				r.ServeHTTP(w, signedPost(bad, "X-Retab-Signature", Sign(benchSecret, bad), chunked))
				if c == 0xff {
					// Invalid UTF-8 is encoding/json's to replace: accepted,
					// the document then is no slice of the body.
					assert.Equal(t, http.StatusOK, w.Code, "%#x at %d", c, at-start)
					continue
				}
				assert.Equal(t, http.StatusBadRequest, w.Code, "%#x at %d: %s", c, at-start, w.Body)
			}
		}
	}
}
