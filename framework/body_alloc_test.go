package framework_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// vanishing sends some bytes, then fails as a connection that dropped.
type vanishing struct{ r io.Reader }

func (v *vanishing) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// TestDeclaredLengthIsNotAllocatedUpFront checks that the memory a request
// takes before its signature is checked follows the bytes it really sent,
// not the length it declared: a sender declaring 60 MiB that sends 1 KiB
// and vanishes costs kilobytes, not 60 MiB.
func TestDeclaredLengthIsNotAllocatedUpFront(t *testing.T) {
	r, _ := newTestRouter(t)
	const declared = 60 << 20
	send := func() int {
		req := httptest.NewRequest(http.MethodPost, "/webhook", &vanishing{r: bytes.NewReader(bytes.Repeat([]byte("{"), 1024))})
		req.ContentLength = declared
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", framework.Sign(secret, []byte("whatever")))
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Code
	}
	require.Equal(t, http.StatusBadRequest, send()) // warm the pools
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	require.Equal(t, http.StatusBadRequest, send())
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated for a request that sent 1 KiB")

	// A real body of the declared size still arrives whole.
	body := fixtures.ContentEnvelope(`{"name":"` + string(bytes.Repeat([]byte("x"), 3<<20)) + `","date":"2023-12-31"}`)
	w := post(t, r, "/webhook", body, secret)
	require.Equal(t, 200, w.Code, w.Body.String()[:min(200, w.Body.Len())])
}
