package framework_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zeebo/xxh3"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestKeyByBodyReusesTheReadDigest checks that the default de-duplication
// key is the XXH3-128 of the raw body, whether it comes from the digest
// the router computed or is computed again, and is never an earlier
// version's key (the body's SHA-256) for the same body.
func TestKeyByBodyReusesTheReadDigest(t *testing.T) {
	r, rec := newTestRouter(t)
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	require.Equal(t, 200, post(t, r, "/webhook", body, secret).Code)
	d := rec.deliveries[0]
	want := "xxh3:" + xxh3Hex(body)
	assert.Equal(t, want, framework.KeyByBody(d, body))
	assert.Equal(t, want, framework.KeyByBody(nil, body))
	assert.Equal(t, want, framework.KeyByBody(&framework.Delivery{}, body))
	assert.Equal(t, "dlv2_"+xxh3Hex(body), d.ID)
	assert.Equal(t, d.ID, framework.DeliveryID(body))
	sum := sha256.Sum256(body)
	assert.NotEqual(t, "sha256:"+hex.EncodeToString(sum[:]), want)
	other := fixtures.ContentEnvelope(`{"name":"x","date":"2023-12-31"}`)
	assert.Equal(t, "xxh3:"+xxh3Hex(other), framework.KeyByBody(d, other), "another body is hashed, not given d's digest")
	same := append([]byte(nil), body...)
	same[len(same)-2] = ' ' // same length, other bytes
	assert.Equal(t, "xxh3:"+xxh3Hex(same), framework.KeyByBody(d, same))
	assert.NotEqual(t, want, framework.KeyByBody(d, same))
}

// xxh3Hex is the body's XXH3-128 in hex, as `xxhsum -H2` prints it.
func xxh3Hex(body []byte) string {
	sum := xxh3.Hash128(body).Bytes()
	return hex.EncodeToString(sum[:])
}
