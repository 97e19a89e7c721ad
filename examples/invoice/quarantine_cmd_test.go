package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// invoke runs "invoice ARGS..." the way main does, and returns the exit
// status and what it wrote.
func invoke(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := commandLine(mustRouter(t), env())
	root.Name, root.Stdout, root.Stderr = "invoice", &out, &errOut
	code = root.Execute(context.Background(), args)
	return code, out.String(), errOut.String()
}

// refuse sends body, which the receiver refuses, and returns the
// quarantine id it answered with.
func refuse(t *testing.T, h http.Handler, path string, body []byte) string {
	t.Helper()
	w := do(t, h, http.MethodPost, path, body)
	require.Equal(t, http.StatusUnprocessableEntity, w.Code, "body: %s", w.Body)
	var doc framework.ProblemDocument
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	require.NotEmpty(t, doc.QuarantineID)
	return doc.QuarantineID
}

// TestQuarantineCommand runs list, show, show --body, replay and discard
// on the data directory of a receiver that keeps running (and keeps
// writing to it), with their exit statuses.
func TestQuarantineCommand(t *testing.T) {
	dir := t.TempDir()
	s, err := newServer(testConfig(t, "--data-dir", dir), slog.New(slog.DiscardHandler), nil, nil)
	require.NoError(t, err)
	// A date the model wrote day first, with terminal escapes in it.
	bad := fixtures.ContentEnvelope(`{"number":"INV-7","issue_date":"\u001b[2J15/03/2024\u009b","due_date":null,"supplier":{"name":"X"},"currency":"EUR","line_items":[{"description":"d","quantity":1,"unit_price":1,"amount":1}],"subtotal":1,"tax":0,"total":1}`)
	id := refuse(t, s.webhooks, "/webhook/invoice", bad)

	code, out, errOut := invoke(t, "quarantine", "list", "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	assert.Regexp(t, `^ID\s+RECEIVED\s+KIND\s+PROBLEM\s+FIRST VIOLATION$`, lines[0])
	assert.True(t, strings.HasPrefix(lines[1], id+" "), lines[1])
	assert.Contains(t, lines[1], "invoice")
	assert.Contains(t, lines[1], "schema-violation")
	assert.Contains(t, lines[1], "/issue_date")
	assert.Contains(t, lines[1], `15/03/2024\x9b`, "control bytes escaped (U+009B, CSI, which the message left raw)")
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\u009b")

	code, out, errOut = invoke(t, "quarantine", "--data-dir", dir, "show", id)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "id:           "+id)
	assert.Contains(t, out, `"type": "urn:retabhook:problem:schema-violation"`)
	assert.Contains(t, out, `"quarantine_id": "`+id+`"`)
	assert.Contains(t, out, "header:       X-Retab-Signature: "+framework.Sign(testSecret, bad))
	assert.NotContains(t, out, "\x1b")
	assert.NotContains(t, out, "\u009b")

	code, out, _ = invoke(t, "quarantine", "show", id, "--body", "--data-dir", dir)
	require.Equal(t, 0, code)
	assert.Equal(t, string(bad), out, "the exact bytes, nothing else")

	code, out, _ = invoke(t, "quarantine", "replay", id, "--data-dir", dir)
	assert.Equal(t, 1, code, "refused again")
	assert.Contains(t, out, id+" refused again: schema-violation: /issue_date")
	code, _, _ = invoke(t, "quarantine", "show", id, "--data-dir", dir)
	assert.Equal(t, 0, code, "a delivery refused again stays")

	// An entry an older version refused, that the current types take.
	good, err := os.ReadFile("testdata/invoice.json")
	require.NoError(t, err)
	q, err := framework.OpenDiskQuarantine(quarantineDir(durableConfig{Dir: dir}))
	require.NoError(t, err)
	body := fixtures.ContentEnvelope(string(good))
	now := time.Now()
	old := &framework.QuarantineEntry{ID: framework.NewQuarantineID(now), ReceivedAt: now, Kind: "invoice",
		Path: "/webhook", Body: body, Size: int64(len(body))}
	require.NoError(t, q.Put(context.Background(), old))
	code, out, errOut = invoke(t, "quarantine", "replay", old.ID, "--data-dir", dir)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "replayed "+old.ID+": processed (invoice, "+framework.DeliveryID(body)+")")
	code, _, _ = invoke(t, "quarantine", "show", old.ID, "--data-dir", dir)
	assert.Equal(t, 1, code, "a replayed entry is gone")

	// The receiver still writes while the command reads.
	id2 := refuse(t, s.webhooks, "/webhook/invoice", fixtures.ContentEnvelope(`{"number":"INV-8"}`))
	code, out, _ = invoke(t, "quarantine", "replay", "--all", "--kind", "calendar_event", "--data-dir", dir)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "replayed 0 entr(ies)")
	code, out, _ = invoke(t, "quarantine", "replay", "--all", "--kind", "invoice", "--data-dir", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "replayed 2 entr(ies): 0 delivered, 2 refused again")

	for _, x := range []string{id, id2} {
		code, out, _ = invoke(t, "quarantine", "discard", x, "--data-dir", dir)
		require.Equal(t, 0, code)
		assert.Equal(t, "discarded "+x+"\n", out)
	}
	code, out, _ = invoke(t, "quarantine", "list", "--data-dir", dir)
	require.Equal(t, 0, code)
	assert.Equal(t, "no quarantined deliveries\n", out)
	entries, err := os.ReadDir(filepath.Join(dir, "quarantine"))
	require.NoError(t, err)
	assert.Empty(t, entries, "discard removes both files")
}

// TestQuarantineCommandExitCodes: 1 for an id that does not exist, 2 for
// a command line that does not parse.
func TestQuarantineCommandExitCodes(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"show", "q_0123456789abcdef0123"},
		{"show", "q_0123456789abcdef0123", "--body"},
		{"show", "../../etc/passwd"},
		{"replay", "q_0123456789abcdef0123"},
		{"discard", "q_0123456789abcdef0123"},
	} {
		code, _, errOut := invoke(t, append(append([]string{"quarantine"}, args...), "--data-dir", dir)...)
		assert.Equal(t, 1, code, "%v", args)
		assert.Contains(t, errOut, "no such quarantined delivery", "%v", args)
	}
	for _, args := range [][]string{{}, {"frobnicate"}, {"show"}, {"replay"}, {"replay", "x", "--all"}, {"list", "x"}, {"list", "--nope"}} {
		code, _, _ := invoke(t, append(append([]string{"quarantine"}, args...), "--data-dir", dir)...)
		assert.Equal(t, 2, code, "%v", args)
	}
}
