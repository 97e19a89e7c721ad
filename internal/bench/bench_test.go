package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

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

// TestDistinctLoad checks that a load with a Secret sends each request as
// a delivery of its own: the template with only the completion id's last
// digits changed, each signed for its own bytes, no two alike.
func TestDistinctLoad(t *testing.T) {
	const secret, n = "s", 40
	template := fixtures.TypicalDelivery()
	at, err := distinctID(template)
	require.NoError(t, err)
	var (
		mu     sync.Mutex
		bodies = map[string]bool{}
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Retab-Signature") != sign(secret, b) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		bodies[string(b)] = true
		mu.Unlock()
	}))
	defer srv.Close()

	res, err := Load{URL: srv.URL, Body: template, Secret: secret, Concurrency: 4, Duration: time.Minute, Requests: n}.Run(context.Background())
	require.NoError(t, err)
	assert.Equal(t, n, res.Requests)
	assert.Zero(t, res.Errors, "every request is signed for its own body")
	require.Len(t, bodies, n, "no two requests alike")
	for b := range bodies {
		require.Len(t, b, len(template))
		assert.Equal(t, string(template[:at]), b[:at])
		assert.Equal(t, string(template[at+idDigits:]), b[at+idDigits:])
	}
	assert.True(t, bytes.Equal(template, fixtures.TypicalDelivery()), "the template is not written")

	_, err = Load{URL: srv.URL, Body: []byte(`{"x":1}`), Secret: secret, Duration: time.Second}.Run(context.Background())
	assert.ErrorContains(t, err, `no "id":" member`)
}
