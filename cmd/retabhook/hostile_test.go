package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// controls are the bytes no output line may carry raw.
func assertNoControls(t *testing.T, out string) {
	t.Helper()
	for _, c := range out {
		if c == '\n' {
			continue
		}
		assert.False(t, c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0), "raw control %U in %q", c, out)
	}
}

// hostileDelivery is an unsigned delivery whose model forges a line and
// whose path, file name and content keys hold ESC, BEL and NUL.
func hostileDelivery(t *testing.T) []byte {
	t.Helper()
	c, err := json.Marshal(map[string]any{
		"id": "chatcmpl-x", "object": "chat.completion", "created": 1,
		"model":   "gpt\nFORGED 200 POST /webhook 1 KiB dlv_0000 verified(secret 1)",
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": `{"a\u001b[2J":1,"b\u0007":2}`}}},
	})
	require.NoError(t, err)
	body, err := json.Marshal(map[string]any{"completion": json.RawMessage(c),
		"file_payload": map[string]string{"filename": "x\x1b]0;pwned\x07.pdf", "url": "data:text/plain\x00;base64,aGk="}})
	require.NoError(t, err)
	return body
}

// TestListenEscapesWhatItPrints is finding 6: listen prints one line per
// delivery, whatever the delivery holds, with no raw control byte.
func TestListenEscapesWhatItPrints(t *testing.T) {
	var out bytes.Buffer
	rc := &recorder{dir: t.TempDir(), secrets: []string{secret}, maxBody: 1 << 20, maxInFlight: 1 << 20, maxRecorded: 1 << 20,
		out: &out, now: time.Now}
	req := httptest.NewRequest(http.MethodPost, "/web%1Bhook%0AFORGED", bytes.NewReader(hostileDelivery(t)))
	req.Header.Set("Content-Type", "application/json")
	rc.ServeHTTP(httptest.NewRecorder(), req)
	req = httptest.NewRequest("GET", "/x%07y", nil)
	rc.ServeHTTP(httptest.NewRecorder(), req)

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, lines, 2, out.String())
	assertNoControls(t, out.String())
	assert.Contains(t, lines[0], `model=gpt\nFORGED 200`)
	assert.Contains(t, lines[0], `/web\x1bhook\nFORGED`)
	assert.Contains(t, lines[0], `file=x\x1b]0;pwned\x07.pdf(text/plain\x00`)
	assert.Contains(t, lines[0], `content={a\x1b[2J,b\x07}`)
	assert.Contains(t, lines[1], `/x\x07y`)
}

// TestListenBounds is finding 6: listen refuses with 503, and a line
// saying why, once the bodies being read or those recorded reach their
// bounds.
func TestListenBounds(t *testing.T) {
	var out bytes.Buffer
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	rc := &recorder{dir: t.TempDir(), secrets: []string{secret}, maxBody: 1 << 20, maxInFlight: 1 << 20,
		maxRecorded: int64(len(body)) + 10, out: &out, now: time.Now}
	send := func() int {
		req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", framework.Sign(secret, body))
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		return w.Code
	}
	assert.Equal(t, http.StatusOK, send())
	assert.Equal(t, http.StatusServiceUnavailable, send(), "-max-recorded-bytes reached")
	assert.Contains(t, out.String(), "not recorded: -max-recorded-bytes")

	rc.maxRecorded = 1 << 30
	require.True(t, rc.reserve(1<<20-int64(len(body))+1), "hold nearly all of -max-inflight-bytes")
	assert.Equal(t, http.StatusServiceUnavailable, send())
	assert.Contains(t, out.String(), "already hold -max-inflight-bytes")
	rc.release(1<<20 - int64(len(body)) + 1)
	assert.Equal(t, http.StatusOK, send())
	assert.Equal(t, 2, rc.n)
}

// TestAdviceEscapesTheReceiversWords is finding 6: what a receiver says
// (detail, violations, body) reaches the terminal escaped.
func TestAdviceEscapesTheReceiversWords(t *testing.T) {
	doc := framework.ProblemDocument{Type: framework.ErrSchemaViolation.Type(), Status: 422, Detail: "d\x1b[31m",
		ViolationsOmitted: 7}
	doc.Violations = []schemas.Violation{{Pointer: "/a\nFORGED", Keyword: "type", Message: "bad\x07"}}
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	a := answer{status: 422, header: http.Header{"Content-Type": {"application/problem+json"}}, body: b}
	advice := statusAdvice(a, 10, "X-Retab-Signature")
	assertNoControls(t, strings.ReplaceAll(advice, "\n  ", " "))
	assert.Contains(t, advice, `at /a\nFORGED: bad\x07`)
	assert.Contains(t, advice, "and 7 more violation(s)")

	var out bytes.Buffer
	printAnswer(&out, answer{status: 200, body: []byte("ok\x1b[2J\x00\n")})
	assertNoControls(t, out.String())
	assert.Contains(t, out.String(), `ok\x1b[2J\x00`)
}

// TestErrorsReachTheTerminalEscaped: the CLI's last word (an unknown
// command, a refused argument, a file name in an error) is escaped too.
func TestErrorsReachTheTerminalEscaped(t *testing.T) {
	r := cmd(t, nil, "", "\x1b[2Jsend")
	assert.Equal(t, exitUsage, r.code)
	assertNoControls(t, r.stderr)
	assert.Contains(t, r.stderr, `unknown command "\x1b[2Jsend"`)

	r = cmd(t, withSecret, "", "send", "-content", "/nonexistent/\x1b]0;x\x07.json", "http://127.0.0.1:1/webhook")
	assert.NotEqual(t, exitOK, r.code)
	assertNoControls(t, r.stderr)
	assert.Contains(t, r.stderr, `\x1b]0;x\x07`)
}
