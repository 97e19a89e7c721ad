package framework

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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

func plainID(body []byte) (id, key string) {
	sum := sha256.Sum256(body)
	return "dlv_" + hex.EncodeToString(sum[:16]), "sha256:" + hex.EncodeToString(sum[:])
}

// TestDigestLeavesALargeDocumentOut: below ElideDocumentMin the ID and
// the de-duplication key are the body's SHA-256 as before; from it the
// document counts by its offset, length and the body's CRC-32C, the
// same whether the CRC was taken while reading or afterwards, and every
// byte of the body still changes the ID.
func TestDigestLeavesALargeDocumentOut(t *testing.T) {
	small := fixtures.LargeDelivery(ElideDocumentMin / 2) // base64: 2/3 of the limit
	id, key := plainID(small)
	d := serveDelivery(t, small, false)
	assert.Equal(t, id, d.ID)
	assert.Equal(t, key, KeyByBody(d, small))
	assert.Equal(t, id, DeliveryID(small))

	large := fixtures.LargeDelivery(ElideDocumentMin)
	id, key = plainID(large)
	d = serveDelivery(t, large, false)
	require.NotEqual(t, id, d.ID, "the document is left out of the digest")
	assert.Equal(t, DeliveryID(large), d.ID)
	assert.Regexp(t, `^dlv_[0-9a-f]{32}$`, d.ID)
	k := KeyByBody(d, large)
	assert.True(t, strings.HasPrefix(k, "sha256-doc:"), k)
	assert.NotEqual(t, key, k)
	assert.Equal(t, k, KeyByBody(nil, large), "a body the router did not decode gets the same key")
	assert.Equal(t, d.ID, serveDelivery(t, large, true).ID, "a chunked body (CRC taken after reading) has the same ID")
	assert.Equal(t, d.ID, serveDelivery(t, bytes.Clone(large), false).ID, "a rerun has the same ID")

	// One byte changed in the document, or a change outside it, changes
	// the ID.
	inDoc := bytes.Clone(large)
	i := bytes.Index(large, []byte("base64,")) + len("base64,") + 1000
	inDoc[i] ^= 3 // still a printable ASCII byte
	outside := bytes.Replace(large, []byte(`"metadata":{`), []byte(`"metadata":{"x":1,`), 1)
	for _, other := range [][]byte{inDoc, outside} {
		require.NotEqual(t, string(large), string(other))
		assert.NotEqual(t, d.ID, serveDelivery(t, other, false).ID)
	}

	// A document that is not a slice of the body (escaped, so decoded into
	// a copy) is hashed with the body: the plain form.
	escaped := bytes.Replace(large, []byte("base64,"), []byte(`base64\u002c`), 1)
	id, _ = plainID(escaped)
	assert.Equal(t, id, serveDelivery(t, escaped, false).ID)
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
