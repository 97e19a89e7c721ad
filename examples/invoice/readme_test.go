package main

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
)

// TestReadmeQuickStart keeps the README's quick start true: the body it
// signs and sends reaches the CalendarEvent handler with the default
// routing, and the same body tampered is refused.
func TestReadmeQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^BODY='([^']+)'$`).FindSubmatch(readme)
	require.NotNil(t, m, "README has no BODY='...' line")
	body := m[1]

	const secret = "whsec_readme"
	r, err := newRouter(slog.New(slog.DiscardHandler), secret)
	require.NoError(t, err)
	h := newMux(r)

	send := func(body []byte, sig string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", sig)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	w := send(body, framework.Sign(secret, body))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"kind":"calendar_event"`)

	tampered := bytes.Replace(body, []byte("Team Meeting!"), []byte("Team Meeting?"), 1)
	w = send(tampered, framework.Sign(secret, body))
	require.Equal(t, http.StatusUnauthorized, w.Code)
}
