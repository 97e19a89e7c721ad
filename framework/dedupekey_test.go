package framework_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestKeyByBodyReusesTheReadDigest checks that the default de-duplication
// key is the SHA-256 of the raw body, whether it comes from the digest the
// router computed while reading or is computed again.
func TestKeyByBodyReusesTheReadDigest(t *testing.T) {
	r, rec := newTestRouter(t)
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	require.Equal(t, 200, post(t, r, "/webhook", body, secret).Code)
	d := rec.deliveries[0]
	sum := sha256.Sum256(body)
	want := "sha256:" + hex.EncodeToString(sum[:])
	assert.Equal(t, want, framework.KeyByBody(d, body))
	assert.Equal(t, want, framework.KeyByBody(nil, body))
	assert.Equal(t, want, framework.KeyByBody(&framework.Delivery{}, body))
	assert.Equal(t, "dlv_"+hex.EncodeToString(sum[:16]), d.ID)
	assert.Equal(t, d.ID, framework.DeliveryID(body))
	other := fixtures.ContentEnvelope(`{"name":"x","date":"2023-12-31"}`)
	otherSum := sha256.Sum256(other)
	assert.Equal(t, "sha256:"+hex.EncodeToString(otherSum[:]), framework.KeyByBody(d, other), "another body is hashed, not given d's digest")
	same := append([]byte(nil), body...)
	same[len(same)-2] = ' ' // same length, other bytes
	sameSum := sha256.Sum256(same)
	assert.Equal(t, "sha256:"+hex.EncodeToString(sameSum[:]), framework.KeyByBody(d, same))
}
