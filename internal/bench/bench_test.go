package bench

import (
	"bytes"
	"crypto/hmac"
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

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func TestFloorChecksTheSignatureOnly(t *testing.T) {
	f := &Floor{Secret: "s"}
	body := fixtures.TypicalDelivery()
	for _, tc := range []struct {
		name, sig string
		body      []byte
		declared  bool
		want      int
	}{
		{"signed", sign("s", body), body, true, http.StatusOK},
		{"signed, no length", sign("s", body), body, false, http.StatusOK},
		{"other secret", sign("t", body), body, true, http.StatusUnauthorized},
		{"not JSON but signed", sign("s", []byte("x")), []byte("x"), true, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(tc.body))
			if !tc.declared {
				req.ContentLength = -1
			}
			req.Header.Set("X-Retab-Signature", tc.sig)
			w := httptest.NewRecorder()
			f.ServeHTTP(w, req)
			assert.Equal(t, tc.want, w.Code)
		})
	}
}

func TestRatiosAreTakenWithinAGroup(t *testing.T) {
	out := `goos: linux
BenchmarkDelivery/body=large/impl=naive-2   	 2	 600 ns/op	 10.00 MB/s	 300 B/op	 10 allocs/op
BenchmarkDelivery/body=large/impl=pipeline-2	 5	 200 ns/op	 30.00 MB/s	 100 B/op	 20 allocs/op
BenchmarkDelivery/body=large/impl=hmac-2    	 9	 100 ns/op	 60.00 MB/s	 1 B/op	 1 allocs/op
BenchmarkDelivery/body=large/impl=pipeline-2	 5	 400 ns/op	 15.00 MB/s	 100 B/op	 20 allocs/op
BenchmarkDelivery/body=large/impl=pipeline-2	 5	 300 ns/op	 20.00 MB/s	 100 B/op	 20 allocs/op
BenchmarkDelivery/body=large/impl=pipeline  	 5	 900 ns/op
PASS
`
	s, err := ParseBench(strings.NewReader(out))
	require.NoError(t, err)
	assert.Equal(t, []string{"BenchmarkDelivery/body=large-2", "BenchmarkDelivery/body=large"}, s.Groups)
	assert.Equal(t, []string{"naive", "pipeline", "hmac"}, s.Impls["BenchmarkDelivery/body=large-2"])
	m, ok := Median(s.Runs["BenchmarkDelivery/body=large-2"]["pipeline"], "ns/op")
	assert.True(t, ok)
	assert.Equal(t, 300.0, m)
	var b strings.Builder
	require.NoError(t, WriteRatios(&b, s))
	assert.Contains(t, b.String(), "| pipeline | 300 ns | 20 | 100 | 20 | 0.50x | 2.00x | 33% |")
	assert.Contains(t, b.String(), "| pipeline | 900 ns |  |  |  |  |  |  |", "a group without naive or hmac has no ratios")
}
