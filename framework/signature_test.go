package framework_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

func TestSignKnownAnswer(t *testing.T) {
	// The vector from the reference doc; Python's hmac and openssl agree.
	got := framework.Sign(fixtures.SecretVector, []byte(fixtures.BodyVector))
	assert.Equal(t, fixtures.SignatureVector, got)
}

func TestVerify(t *testing.T) {
	body := []byte(fixtures.BodyVector)
	sig := fixtures.SignatureVector
	tests := []struct {
		name      string
		body      []byte
		signature string
		secrets   []string
		wantIndex int
		wantErr   error
	}{
		{"known answer", body, sig, []string{fixtures.SecretVector}, 0, nil},
		{"upper-case hex", body, strings.ToUpper(sig), []string{fixtures.SecretVector}, 0, nil},
		{"surrounding spaces", body, " " + sig + " ", []string{fixtures.SecretVector}, 0, nil},
		{"second secret matches", body, sig, []string{"whsec_old", fixtures.SecretVector}, 1, nil},
		{"tampered body", []byte(`{"hello":"World"}`), sig, []string{fixtures.SecretVector}, -1, framework.ErrInvalidSignature},
		{"trailing newline added", append([]byte(fixtures.BodyVector), '\n'), sig, []string{fixtures.SecretVector}, -1, framework.ErrInvalidSignature},
		{"wrong secret", body, sig, []string{"whsec_other"}, -1, framework.ErrInvalidSignature},
		{"missing", body, "", []string{fixtures.SecretVector}, -1, framework.ErrMissingSignature},
		{"not hex", body, strings.Repeat("zz", 32), []string{fixtures.SecretVector}, -1, framework.ErrInvalidSignature},
		{"truncated", body, sig[:40], []string{fixtures.SecretVector}, -1, framework.ErrInvalidSignature},
		{"sha256= prefix is not Retab's format", body, "sha256=" + sig, []string{fixtures.SecretVector}, -1, framework.ErrInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, err := framework.Verify(tt.body, tt.signature, tt.secrets...)
			assert.Equal(t, tt.wantIndex, idx)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			for _, s := range tt.secrets {
				assert.NotContains(t, err.Error(), s, "error text must not leak a secret")
			}
			if tt.signature != "" {
				assert.NotContains(t, err.Error(), strings.TrimSpace(tt.signature))
			}
		})
	}
}

func TestVerifyErrorsAreDistinct(t *testing.T) {
	assert.False(t, errors.Is(framework.ErrMissingSignature, framework.ErrInvalidSignature))
}

// offByOneDigit returns sig with the hex digit at i replaced by another
// one, so that the signature differs from the right one in that digit only.
func offByOneDigit(sig string, i int) string {
	b := []byte(sig)
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	return string(b)
}

// TestVerifyOneDigitOff: a signature equal to the right one except in its
// first or its last hex digit is refused, for each secret under rotation;
// a compare of a prefix (or a suffix) only would accept it.
func TestVerifyOneDigitOff(t *testing.T) {
	body := []byte(fixtures.BodyVector)
	secrets := []string{fixtures.SecretVector, "whsec_rotated", "whsec_third"}
	for i, s := range secrets {
		sig := framework.Sign(s, body)
		idx, err := framework.Verify(body, sig, secrets...)
		require.NoError(t, err)
		require.Equal(t, i, idx)
		for _, at := range []int{0, len(sig) - 1} {
			bad := offByOneDigit(sig, at)
			idx, err := framework.Verify(body, bad, secrets...)
			assert.Equal(t, -1, idx, "secret %d, digit %d changed", i, at)
			var se *framework.SignatureError
			require.ErrorAs(t, err, &se, "secret %d, digit %d changed", i, at)
			assert.Equal(t, framework.SignatureMismatch, se.Reason)
			assert.ErrorIs(t, err, framework.ErrInvalidSignature)
		}
	}
}

func TestVerifyHeaders(t *testing.T) {
	body := []byte(`{"hello":"world"}`)
	at := time.Unix(1715000000, 0)
	for _, tt := range []struct {
		name, header string
		scheme       string
		formula      framework.Formula
	}{
		{"hex", "07ea4d7892d3dc4bae220d9930afa38c458a997b2f716a0a6159e17798be1d28", "hex", framework.FormulaBody},
		{"timestamped", "t=1715000000,v1=aa557083e1a13ecc0ee5e5e2f3a9af58953630561371cb4ba37662f7f51d05cc", "timestamped", framework.FormulaTimestamped},
		{"timestamped, body only", "t=1715000000,v1=07ea4d7892d3dc4bae220d9930afa38c458a997b2f716a0a6159e17798be1d28", "timestamped", framework.FormulaBody},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := framework.VerifyHeaders(http.Header{"Retab-Signature": {tt.header}}, body, "whsec_other", "whsec_test")
			require.NoError(t, err)
			assert.Equal(t, tt.scheme, v.Scheme)
			assert.Equal(t, tt.formula, v.Formula)
			assert.Equal(t, 1, v.SecretIndex)
			if tt.scheme == "timestamped" {
				assert.True(t, at.Equal(v.SignedAt))
			}
		})
	}
	_, err := framework.VerifyHeaders(http.Header{"X-Retab-Signature": {"t=1715000000,v1=" + strings.Repeat("0", 64)}}, body, "whsec_test")
	require.ErrorIs(t, err, framework.ErrInvalidSignature)
	_, err = framework.VerifyHeaders(http.Header{}, body, "whsec_test")
	require.ErrorIs(t, err, framework.ErrMissingSignature)
}
