package framework_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// sizedEnvelope returns a valid delivery of exactly size bytes: the seed
// envelope with spaces after its opening brace.
func sizedEnvelope(t *testing.T, size int) []byte {
	t.Helper()
	base := fixtures.ContentEnvelope(fixtures.SeedContent)
	require.GreaterOrEqual(t, size, len(base))
	b := make([]byte, 0, size)
	b = append(b, '{')
	b = append(b, bytes.Repeat([]byte(" "), size-len(base))...)
	b = append(b, base[1:]...)
	require.Len(t, b, size)
	return b
}

// TestBodyLimitBoundary: exactly WithMaxBodyBytes(n) bytes are accepted
// and n+1 refused with 413, both with a declared Content-Length and
// chunked, sent over a loopback connection so that the server, not the
// test, decides how the body is framed. A limit off by one, or by a factor
// of two, fails here.
func TestBodyLimitBoundary(t *testing.T) {
	const limit = 4096
	for _, variant := range []struct {
		name string
		opts []framework.Option
	}{
		{"WithMaxBodyBytes", nil},
		{"with WithMaxInFlightBytes", []framework.Option{framework.WithMaxInFlightBytes(limit)}},
	} {
		t.Run(variant.name, func(t *testing.T) {
			r, rec := newTestRouter(t, append([]framework.Option{framework.WithMaxBodyBytes(limit)}, variant.opts...)...)
			type framing struct {
				length  int64
				chunked bool
			}
			seen := make(chan framing, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				seen <- framing{req.ContentLength, len(req.TransferEncoding) > 0 && req.TransferEncoding[0] == "chunked"}
				r.ServeHTTP(w, req)
			}))
			t.Cleanup(srv.Close)

			for _, tt := range []struct {
				size    int
				chunked bool
				want    int
			}{
				{limit, false, http.StatusOK},
				{limit + 1, false, http.StatusRequestEntityTooLarge},
				{limit, true, http.StatusOK},
				{limit + 1, true, http.StatusRequestEntityTooLarge},
			} {
				name := "declared length"
				if tt.chunked {
					name = "chunked"
				}
				t.Run(fmt.Sprintf("%s %d bytes", name, tt.size), func(t *testing.T) {
					body := sizedEnvelope(t, tt.size)
					var src io.Reader = bytes.NewReader(body)
					if tt.chunked {
						src = io.MultiReader(src) // hides the length from the client
					}
					req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhook", src)
					require.NoError(t, err)
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-Retab-Signature", framework.Sign(secret, body))
					resp, err := srv.Client().Do(req)
					require.NoError(t, err)
					defer resp.Body.Close()
					got := <-seen
					if tt.chunked {
						require.True(t, got.chunked, "the request was not sent chunked")
						require.Equal(t, int64(-1), got.length)
					} else {
						require.False(t, got.chunked)
						require.Equal(t, int64(tt.size), got.length)
					}
					msg, _ := io.ReadAll(resp.Body)
					require.Equal(t, tt.want, resp.StatusCode, "%d bytes: %s", tt.size, msg)
					if tt.want == http.StatusRequestEntityTooLarge {
						assert.Contains(t, string(msg), framework.ErrBodyTooLarge.Type())
					}
				})
			}
			assert.Len(t, rec.events, 2, "both bodies of exactly the limit reach the handler")
		})
	}
}
