package framework_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// withDocument replaces the file payload of a webhook body with a data URI
// of doc, so a test can look for the document's bytes in the logs.
func withDocument(t *testing.T, body []byte, doc []byte) []byte {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	m["file_payload"] = map[string]string{"filename": "invoice.pdf", "url": "data:application/pdf;base64," + base64.StdEncoding.EncodeToString(doc)}
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// logLines decodes JSON log lines.
func logLines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

// TestDeliveryLogLine sends a scripted sequence of deliveries and checks
// the one line the router writes for each: its level, its fields, and that
// no secret, signature or document byte ever reaches the log.
func TestDeliveryLogLine(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := framework.NewRouter(framework.WithSecrets(secret, otherSecret), framework.WithLogger(logger))
	require.NoError(t, err)
	framework.Handle(r, func(ctx context.Context, inv Invoice) error {
		if inv.Number == "FAIL" {
			return errors.New("ledger unavailable")
		}
		return nil
	})

	document := []byte("%PDF-1.7 Invoice INV-1 for ACME Corp, IBAN FR76 3000 6000 0112 3456 7890 189, confidential")
	invoice := func(content string) []byte {
		return withDocument(t, fixtures.ContentEnvelope(content), document)
	}
	good := invoice(validInvoice)
	// A date the pattern lets through and the datetime rule refuses: the
	// other rules are in the schema.
	badRules := invoice(`{"number":"INV-1","date":"2024-02-30","currency":"EUR","line_items":[{"description":"Widget","quantity":1,"amount":1}],"total":1}`)
	badSchema := invoice(`{"number":"INV-2","date":"2024-05-01","currency":"EUR","line_items":"none","total":"12"}`)
	failing := invoice(strings.Replace(validInvoice, "INV-1", "FAIL", 1))

	var signatures []string
	send := func(body []byte, sec string) int {
		if sec != "" {
			signatures = append(signatures, framework.Sign(sec, body))
		}
		return post(t, r, "/webhook", body, sec).Code
	}
	require.Equal(t, 200, send(good, secret))
	require.Equal(t, 200, send(good, otherSecret))
	require.Equal(t, 401, send(good, "whsec_wrong_secret"))
	require.Equal(t, 401, send(good, ""))
	require.Equal(t, 422, send(badRules, secret))
	require.Equal(t, 422, send(badSchema, otherSecret))
	require.Equal(t, 500, send(failing, secret))

	lines := logLines(t, &logs)
	require.Len(t, lines, 7, logs.String())
	for _, l := range lines {
		assert.Equal(t, "retabhook delivery", l["msg"])
		assert.Contains(t, l, "duration")
		assert.Contains(t, l, "body_bytes")
	}

	delivered := func(l map[string]any, wantLevel string, wantStatus float64, wantSecret float64) {
		t.Helper()
		assert.Equal(t, wantLevel, l["level"])
		assert.Equal(t, wantStatus, l["status"])
		assert.Equal(t, "invoice", l["kind"])
		assert.Regexp(t, `^dlv2_[0-9a-f]{32}$`, l["delivery_id"])
		assert.Equal(t, "chatcmpl-test", l["completion_id"])
		assert.Equal(t, "gpt-4.1-2025-04-14", l["model"])
		assert.Equal(t, wantSecret, l["secret_index"])
	}
	delivered(lines[0], "INFO", 200, 0)
	assert.NotContains(t, lines[0], "error")
	delivered(lines[1], "INFO", 200, 1)
	assert.Equal(t, lines[0]["delivery_id"], lines[1]["delivery_id"], "same body, same delivery id")

	for i, wantProblem := range []string{"invalid-signature", "missing-signature"} {
		l := lines[2+i]
		assert.Equal(t, "WARN", l["level"])
		assert.Equal(t, float64(401), l["status"])
		assert.Equal(t, wantProblem, l["problem"])
		assert.NotContains(t, l, "delivery_id", "nothing is decoded before verification")
	}

	delivered(lines[4], "WARN", 422, 0)
	assert.Equal(t, "rule-violation", lines[4]["problem"])
	assert.Equal(t, float64(1), lines[4]["violations"])

	delivered(lines[5], "WARN", 422, 1)
	assert.Equal(t, "schema-violation", lines[5]["problem"])
	assert.Equal(t, float64(2), lines[5]["violations"])

	delivered(lines[6], "ERROR", 500, 0)
	assert.Equal(t, "handler-failed", lines[6]["problem"])
	assert.Contains(t, lines[6]["error"], "ledger unavailable")

	out := logs.String()
	for _, s := range []string{secret, otherSecret, "whsec_wrong_secret"} {
		assert.NotContains(t, out, s, "a secret was logged")
	}
	require.Len(t, signatures, 6)
	for _, sig := range signatures {
		assert.NotContains(t, out, sig, "a signature was logged")
	}
	b64 := base64.StdEncoding.EncodeToString(document)
	assert.NotContains(t, out, b64[:24], "document bytes were logged")
	assert.NotContains(t, out, "IBAN", "document text was logged")
}

// TestLogLevelIsTheUsers checks that the router honours the level of the
// handler it is given: at Warn, successes are not logged.
func TestLogLevelIsTheUsers(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(logger))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, CalendarEvent) error { return nil })
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	require.Equal(t, 200, post(t, r, "/webhook", body, secret).Code)
	assert.Empty(t, logs.String())
	require.Equal(t, 401, post(t, r, "/webhook", body, "whsec_nope").Code)
	lines := logLines(t, &logs)
	require.Len(t, lines, 1)
	assert.Equal(t, "WARN", lines[0]["level"])
}
