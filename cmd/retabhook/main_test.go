package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/fixtures"
)

const secret = "whsec_cli_test"

type Invoice struct {
	Number   string     `json:"number" validate:"required"`
	Currency string     `json:"currency" validate:"iso4217"`
	Lines    []LineItem `json:"line_items" validate:"min=1,dive"`
	Total    float64    `json:"total" validate:"gte=0"`
}

type LineItem struct {
	Description string  `json:"description"`
	Quantity    int     `json:"quantity" validate:"gt=0"`
	Amount      float64 `json:"amount"`
}

type CalendarEvent struct {
	Name string `json:"name" validate:"required"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

const invoiceJSON = `{"number": "INV-1", "currency": "EUR", "line_items": [{"description": "Paper", "quantity": 3, "amount": 36.5}], "total": 36.5}`

// receiver is a router on a loopback server, recording what its handlers
// receive.
type receiver struct {
	url      string
	invoices *retabtest.Recorder[Invoice]
	events   *retabtest.Recorder[CalendarEvent]
}

func newReceiver(t *testing.T, secrets ...string) *receiver {
	t.Helper()
	if len(secrets) == 0 {
		secrets = []string{secret}
	}
	r, err := framework.NewRouter(framework.WithSecrets(secrets...), framework.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	rc := &receiver{invoices: retabtest.Record[Invoice](nil), events: retabtest.Record[CalendarEvent](nil)}
	framework.Handle(r, rc.invoices.Handle)
	framework.Handle(r, rc.events.Handle)
	mux := http.NewServeMux()
	mux.Handle("POST /webhook", r)
	mux.Handle("POST /webhook/{kind}", r)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	rc.url = srv.URL
	return rc
}

// closedURL returns a loopback URL nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "http://" + addr + "/webhook"
}

type result struct {
	code           int
	stdout, stderr string
}

// cmd runs the CLI in-process with the given environment and stdin.
func cmd(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return result{code, out.String(), errb.String()}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

var withSecret = map[string]string{"WEBHOOKS_SECRET": secret}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{nil, exitUsage, "", "Commands:"},
		{[]string{"help"}, exitOK, "Exit status:", ""},
		{[]string{"--help"}, exitOK, "Commands:", ""},
		{[]string{"help", "send"}, exitOK, "-concurrency C", ""},
		{[]string{"help", "nope"}, exitUsage, "", `unknown command "nope"`},
		{[]string{"nope"}, exitUsage, "", `unknown command "nope"`},
		{[]string{"send", "-h"}, exitOK, "Usage: retabhook send", ""},
		{[]string{"listen", "-help"}, exitOK, "Usage: retabhook listen", ""},
		{[]string{"version"}, exitOK, "retabhook ", ""},
		{[]string{"sign", "-bogus"}, exitUsage, "", "flag provided but not defined: -bogus"},
		{[]string{"send", "-count", "x", "-content", "a.json", "http://127.0.0.1:1/"}, exitUsage, "", `invalid value "x" for flag -count`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := cmd(t, nil, "", tc.args...)
			require.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			require.Contains(t, r.stdout, tc.out)
			require.Contains(t, r.stderr, tc.err)
		})
	}
}

func TestSign(t *testing.T) {
	r := cmd(t, nil, fixtures.BodyVector, "sign", "-secret", fixtures.SecretVector)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, fixtures.SignatureVector+"\n", r.stdout)

	body := writeFile(t, "body.json", fixtures.BodyVector)
	r = cmd(t, map[string]string{"WEBHOOKS_SECRET": fixtures.SecretVector}, "", "sign", body)
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, fixtures.SignatureVector+"\n", r.stdout)

	r = cmd(t, map[string]string{"WEBHOOKS_SECRET": fixtures.SecretVector}, fixtures.BodyVector, "sign", "-")
	require.Equal(t, fixtures.SignatureVector+"\n", r.stdout)

	r = cmd(t, nil, fixtures.BodyVector, "sign")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "no secret: pass -secret or set WEBHOOKS_SECRET")

	r = cmd(t, withSecret, "", "sign", filepath.Join(t.TempDir(), "missing.json"))
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "reading the body")

	r = cmd(t, withSecret, "", "sign", "a", "b")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "want at most one FILE")
}

func TestVerify(t *testing.T) {
	body := writeFile(t, "body.json", fixtures.BodyVector)
	withNewline := writeFile(t, "saved.json", fixtures.BodyVector+"\n")
	for _, tc := range []struct {
		name  string
		env   map[string]string
		args  []string
		code  int
		out   string
		err   string
		stdin string
	}{
		{"matches", nil, []string{"-signature", fixtures.SignatureVector, "-secret", fixtures.SecretVector, body}, exitOK, "ok: the signature matches secret 1 of 1", "", ""},
		{"matches the second secret", nil, []string{"-secret", "whsec_old", "-secret", fixtures.SecretVector, "-signature", fixtures.SignatureVector, body}, exitOK, "matches secret 2 of 2", "", ""},
		{"upper case and stdin", map[string]string{"WEBHOOKS_SECRET": fixtures.SecretVector}, []string{"-signature", strings.ToUpper(fixtures.SignatureVector)}, exitOK, "ok:", "", fixtures.BodyVector},
		{"wrong secret", nil, []string{"-signature", fixtures.SignatureVector, "-secret", "whsec_wrong", body}, exitRefused, "", "Most often the secret is wrong", ""},
		{"saved with a newline", nil, []string{"-signature", fixtures.SignatureVector, "-secret", fixtures.SecretVector, withNewline}, exitRefused, "", "WITHOUT its final newline", ""},
		{"sha256 prefix", nil, []string{"-signature", "sha256=" + fixtures.SignatureVector, "-secret", fixtures.SecretVector, body}, exitRefused, "", `"sha256=" prefix`, ""},
		{"header name included", nil, []string{"-signature", "X-Retab-Signature: " + fixtures.SignatureVector, "-secret", fixtures.SecretVector, body}, exitRefused, "", "without the header name", ""},
		{"timestamped, body-only formula", nil, []string{"-signature", "t=1715000000,v1=" + fixtures.SignatureVector, "-secret", fixtures.SecretVector, body}, exitOK, "(scheme timestamped, formula body, signed at 2024-05-06T12:53:20Z)", "", ""},
		{"timestamped, t.body formula", nil, []string{"-signature", "t=1715000000,v1=aa557083e1a13ecc0ee5e5e2f3a9af58953630561371cb4ba37662f7f51d05cc", "-secret", fixtures.SecretVector, body}, exitOK, "(scheme timestamped, formula t.body,", "", ""},
		{"timestamped, wrong secret", nil, []string{"-signature", "t=1715000000,v1=" + fixtures.SignatureVector, "-secret", "whsec_wrong", body}, exitRefused, "", "neither formula", ""},
		{"timestamped, malformed", nil, []string{"-signature", "t=soon,v1=" + fixtures.SignatureVector, "-secret", fixtures.SecretVector, body}, exitRefused, "", "timestamped signature is malformed", ""},
		{"truncated", nil, []string{"-signature", fixtures.SignatureVector[:40], "-secret", fixtures.SecretVector, body}, exitRefused, "", "not 64 hexadecimal digits (40 characters)", ""},
		{"no signature flag", nil, []string{"-secret", fixtures.SecretVector, body}, exitUsage, "", "-signature is required", ""},
		{"no secret", nil, []string{"-signature", fixtures.SignatureVector, body}, exitUsage, "", "no secret", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := cmd(t, tc.env, tc.stdin, append([]string{"verify"}, tc.args...)...)
			require.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			require.Contains(t, r.stdout, tc.out)
			require.Contains(t, r.stderr, tc.err)
			require.NotContains(t, r.stderr, fixtures.SecretVector)
		})
	}
}

func TestSend(t *testing.T) {
	rc := newReceiver(t)
	content := writeFile(t, "invoice.json", invoiceJSON)
	pdf := retabtest.PDF("INV-1")
	doc := filepath.Join(filepath.Dir(content), "inv-1.pdf")
	require.NoError(t, os.WriteFile(doc, pdf, 0o644))
	meta := writeFile(t, "meta.json", `{"tenant": "acme"}`)

	r := cmd(t, withSecret, "", "send", "-content", content, "-file", doc, "-metadata", "@"+meta,
		"-user", "ops@example.com", "-integers-as-floats", "-consensus", "2", rc.url+"/webhook")
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	require.Regexp(t, `^POST http://127\.0\.0\.1:\d+/webhook \(\d+\.\d KiB, signed in X-Retab-Signature\)\n200 OK in \S+\n\{"status":"processed","kind":"invoice","delivery_id":"dlv2_[0-9a-f]{32}"\}\n$`, r.stdout)
	require.Empty(t, r.stderr)

	c, ok := rc.invoices.Last()
	require.True(t, ok)
	require.Equal(t, Invoice{Number: "INV-1", Currency: "EUR", Lines: []LineItem{{"Paper", 3, 36.5}}, Total: 36.5}, c.Value)
	d := c.Delivery
	require.Equal(t, "inv-1.pdf", d.File.Filename)
	require.Equal(t, "application/pdf", d.File.MIMEType)
	data, err := d.File.Data()
	require.NoError(t, err)
	require.Equal(t, pdf, data)
	require.Equal(t, map[string]any{"tenant": "acme"}, d.Metadata)
	require.Equal(t, "ops@example.com", d.User)
	require.Len(t, d.Choices, 3)
	require.Contains(t, string(d.Content), `"quantity": 3.0`)
	require.WithinDuration(t, time.Now(), d.Created, time.Minute)

	// Flags after the URL, inline metadata, the legacy header, stdin.
	r = cmd(t, withSecret, `{"name": "Team Meeting!", "date": "2023-12-31"}`, "send", rc.url+"/webhook/calendar_event",
		"-content", "-", "-metadata", `{"kind":"calendar_event"}`, "-signature-header", "Retab-Signature", "-H", "X-Automation: demo")
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	ev, ok := rc.events.Last()
	require.True(t, ok)
	require.Equal(t, CalendarEvent{"Team Meeting!", "2023-12-31"}, ev.Value)

	// Each send is a new delivery.
	r2 := cmd(t, withSecret, "", "send", "-content", content, rc.url+"/webhook")
	r3 := cmd(t, withSecret, "", "send", "-content", content, rc.url+"/webhook")
	require.Equal(t, exitOK, r2.code)
	require.NotEqual(t, deliveryID(t, r2.stdout), deliveryID(t, r3.stdout))
}

func deliveryID(t *testing.T, out string) string {
	t.Helper()
	m := regexp.MustCompile(`"delivery_id":"(dlv2_[0-9a-f]+)"`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	return m[1]
}

func TestSendFailures(t *testing.T) {
	rc := newReceiver(t)
	content := writeFile(t, "invoice.json", invoiceJSON)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-release:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) }) // runs first

	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		code    int
		err     []string
		noCalls bool
	}{
		{"wrong secret", map[string]string{"WEBHOOKS_SECRET": "whsec_wrong"}, []string{"-content", content, rc.url + "/webhook"},
			exitRefused, []string{"refused the signature (401)", "Most often the secret differs", "the receiver says: retabhook: invalid signature"}, true},
		{"signature in the wrong header", withSecret, []string{"-signature-header", "X-Sig", "-content", content, rc.url + "/webhook"},
			exitRefused, []string{"found no signature (401)", "signed in X-Sig"}, true},
		{"unreachable", withSecret, []string{"-content", content, closedURL(t)},
			exitUnreachable, []string{"connection refused", "Is the receiver running"}, true},
		{"slow receiver", withSecret, []string{"-timeout", "200ms", "-content", content, slow.URL},
			exitUnreachable, []string{"no answer from", "within 200ms"}, true},
		{"bad JSON file", withSecret, []string{"-content", writeFile(t, "bad.json", "{\n  \"number\": \"INV-1\",\n  \"total\": ,\n}"), rc.url + "/webhook"},
			exitUsage, []string{"bad.json is not valid JSON", "line 3, column 12", "must hold the extracted object"}, true},
		{"empty file", withSecret, []string{"-content", writeFile(t, "empty.json", " \n"), rc.url + "/webhook"},
			exitUsage, []string{"empty.json is empty"}, true},
		{"array content", withSecret, []string{"-content", writeFile(t, "list.json", `[1]`), rc.url + "/webhook"},
			exitUsage, []string{"holds a JSON array"}, true},
		{"whole body", withSecret, []string{"-content", writeFile(t, "body.json", string(fixtures.ContentEnvelope(invoiceJSON))), rc.url + "/webhook"},
			exitUsage, []string{"looks like a whole delivery body", "retabhook replay"}, true},
		{"missing content file", withSecret, []string{"-content", filepath.Join(t.TempDir(), "nope.json"), rc.url + "/webhook"},
			exitUsage, []string{"reading the content file", "no such file"}, true},
		{"missing document", withSecret, []string{"-content", content, "-file", filepath.Join(t.TempDir(), "nope.pdf"), rc.url + "/webhook"},
			exitUsage, []string{"reading the document"}, true},
		{"bad metadata", withSecret, []string{"-content", content, "-metadata", "[1]", rc.url + "/webhook"},
			exitUsage, []string{"-metadata must be a JSON object"}, true},
		{"no content flag", withSecret, []string{rc.url + "/webhook"}, exitUsage, []string{"-content is required", "Usage: retabhook send"}, true},
		{"no URL", withSecret, []string{"-content", content}, exitUsage, []string{"want one URL, got 0"}, true},
		{"not a URL", withSecret, []string{"-content", content, "127.0.0.1:8000/webhook"}, exitUsage, []string{"is not an http:// or https:// URL"}, true},
		{"no secret", nil, []string{"-content", content, rc.url + "/webhook"}, exitUsage, []string{"no secret"}, true},
		{"bad count", withSecret, []string{"-count", "0", "-content", content, rc.url + "/webhook"}, exitUsage, []string{"-count and -concurrency must be at least 1"}, true},
		{"unknown path", withSecret, []string{"-content", content, rc.url + "/hooks"}, exitRefused, []string{"nothing is served at this URL (404)"}, true},
		{"unknown kind", withSecret, []string{"-content", content, rc.url + "/webhook/receipt"}, exitRefused, []string{"the kind in the URL is not registered (422)",
			`the receiver says: retabhook: unknown kind: "receipt"; registered kinds: "invoice", "calendar_event"; the content matches "invoice"`}, true},
		{"wrong kind", withSecret, []string{"-content", content, rc.url + "/webhook/calendar_event"}, exitRefused, []string{"refused the content (422)",
			`the content matches the registered kind "invoice": was it sent to the wrong /webhook/{kind}?`}, true},
		{"invalid content", withSecret, []string{"-content", writeFile(t, "invalid.json", `{"number": "", "currency": "EURO", "line_items": [{"description": "Paper", "quantity": 0, "amount": 1}], "total": 1}`), rc.url + "/webhook/invoice"},
			exitRefused, []string{"refused the content (422)", "at /number: must not be empty", "at /currency: must be an ISO 4217 currency code", "at /line_items/0/quantity: must be greater than 0"}, true},
		{"no matching type", withSecret, []string{"-content", writeFile(t, "other.json", `{"sku": "A-1"}`), rc.url + "/webhook"},
			exitRefused, []string{"no registered type matches the content (422)"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc.invoices.Reset()
			r := cmd(t, tc.env, "", append([]string{"send"}, tc.args...)...)
			require.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			for _, e := range tc.err {
				require.Contains(t, r.stderr, e)
			}
			require.NotContains(t, r.stderr+r.stdout, secret)
			if tc.noCalls {
				require.Empty(t, rc.invoices.Calls())
			}
		})
	}
}

func TestSendLoad(t *testing.T) {
	rc := newReceiver(t)
	content := writeFile(t, "invoice.json", invoiceJSON)
	r := cmd(t, withSecret, "", "send", "-content", content, "-count", "60", "-concurrency", "4", rc.url+"/webhook/invoice")
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	require.Contains(t, r.stdout, "sending 60 deliveries to "+rc.url+"/webhook/invoice over 4 connection(s)\n")
	require.Regexp(t, `sent 60 in \S+: 60 answered, 0 failed \(no answer\); \d+\.\d answered/s\n`, r.stdout)
	require.Contains(t, r.stdout, "status   200 x60\n")
	require.Regexp(t, `latency  p50 \S+  p90 \S+  p99 \S+  max \S+\n`, r.stdout)

	calls := rc.invoices.Calls()
	require.Len(t, calls, 60)
	ids := map[string]bool{}
	for _, c := range calls {
		ids[c.Delivery.CompletionID] = true
	}
	require.Len(t, ids, 60, "each delivery has its own completion id")

	r = cmd(t, map[string]string{"WEBHOOKS_SECRET": "whsec_wrong"}, "", "send", "-content", content, "-count", "5", "-concurrency", "2", rc.url+"/webhook")
	require.Equal(t, exitRefused, r.code)
	require.Contains(t, r.stdout, "status   401 x5\n")
	require.Contains(t, r.stderr, "5 of 5 deliveries were not accepted")
	require.Contains(t, r.stderr, "Most often the secret differs")

	r = cmd(t, withSecret, "", "send", "-content", content, "-count", "5", "-concurrency", "2", closedURL(t))
	require.Equal(t, exitUnreachable, r.code)
	require.Contains(t, r.stdout, "failed   ")
	require.Contains(t, r.stdout, "connection refused x5")
	require.Contains(t, r.stderr, "no delivery got an answer")
	require.Regexp(t, `sent 5 in \S+: 0 answered, 5 failed \(no answer\); 0\.0 answered/s\n`, r.stdout)
}

// A receiver that answers some deliveries and drops the others: the
// summary counts them apart, and the rate is of answered deliveries.
func TestSendLoadCountsAnswersAndFailuresApart(t *testing.T) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		n++
		answer := n <= 2
		mu.Unlock()
		if answer {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"status":"processed"}`)
			return
		}
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			_ = conn.Close() // no answer
		}
	}))
	t.Cleanup(srv.Close)
	content := writeFile(t, "invoice.json", invoiceJSON)
	r := cmd(t, withSecret, "", "send", "-content", content, "-count", "6", "-concurrency", "1", srv.URL+"/webhook")
	require.Equal(t, exitUnreachable, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	require.Regexp(t, `sent 6 in \S+: 2 answered, 4 failed \(no answer\); \d+\.\d answered/s\n`, r.stdout)
	require.Contains(t, r.stdout, "status   200 x2\n")
	require.Contains(t, r.stderr, "4 of 6 deliveries got no answer")
}

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	require.Equal(t, 50*time.Millisecond, percentile(ds, 50))
	require.Equal(t, 90*time.Millisecond, percentile(ds, 90))
	require.Equal(t, 99*time.Millisecond, percentile(ds, 99))
	require.Equal(t, 1*time.Millisecond, percentile(ds[:1], 99))
	require.Equal(t, 2*time.Millisecond, percentile(ds[:3], 50))
	require.Zero(t, percentile(nil, 50))
}

func TestReplay(t *testing.T) {
	rc := newReceiver(t)
	// A body captured from a delivery signed with another secret.
	d, err := retabtest.NewDelivery(json.RawMessage(invoiceJSON), retabtest.WithSecret("whsec_production"))
	require.NoError(t, err)
	captured := writeFile(t, "captured.json", string(d.Body))

	r := cmd(t, withSecret, "", "replay", rc.url+"/webhook", captured)
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	require.Contains(t, r.stdout, "200 OK")
	c, ok := rc.invoices.Last()
	require.True(t, ok)
	require.Equal(t, "INV-1", c.Value.Number)
	require.Equal(t, d.Body, mustBody(t, captured))

	r = cmd(t, map[string]string{"WEBHOOKS_SECRET": "whsec_production"}, "", "replay", rc.url+"/webhook", captured)
	require.Equal(t, exitRefused, r.code)
	require.Contains(t, r.stdout, "401 Unauthorized")
	require.Contains(t, r.stderr, "Most often the secret differs")

	r = cmd(t, withSecret, "", "replay", "-signature-header", "Retab-Signature", rc.url+"/webhook", captured)
	require.Equal(t, exitOK, r.code, r.stderr)

	r = cmd(t, withSecret, "", "replay", closedURL(t), captured)
	require.Equal(t, exitUnreachable, r.code)
	require.Contains(t, r.stderr, "connection refused")

	r = cmd(t, withSecret, "", "replay", rc.url+"/webhook", t.TempDir())
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "holds no recorded delivery")

	r = cmd(t, withSecret, "", "replay", rc.url+"/webhook", writeFile(t, "empty.json", ""))
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "is empty")

	r = cmd(t, withSecret, "", "replay", rc.url+"/webhook")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "want a URL and at least one FILE")
}

func mustBody(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	return b
}

// startListen runs "listen" in-process and returns its URL, its output and
// a function that stops it and returns its exit status.
func startListen(t *testing.T, dir string, args ...string) (string, *fixtures.SyncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb fixtures.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"listen", "-addr", "127.0.0.1:0", "-dir", dir}, args...), strings.NewReader(""), &out, &errb, func(string) string { return "" })
	}()
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			stop := func() int {
				cancel()
				select {
				case code := <-done:
					return code
				case <-time.After(10 * time.Second):
					t.Fatal("listen did not stop")
					return -1
				}
			}
			t.Cleanup(func() { cancel() })
			return m[1], &out, stop
		}
		select {
		case code := <-done:
			t.Fatalf("listen exited with %d: %s%s", code, out.String(), errb.String())
		default:
		}
		require.True(t, time.Now().Before(deadline), "listen did not start: %s", errb.String())
		time.Sleep(10 * time.Millisecond)
	}
}

func TestListen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deliveries")
	url, out, stop := startListen(t, dir, "-secret", "whsec_old", "-secret", secret)
	content := writeFile(t, "invoice.json", invoiceJSON)
	doc := writeFile(t, "scan.png", "\x89PNG\r\n\x1a\n0123")

	r := cmd(t, withSecret, "", "send", "-content", content, "-file", doc, url+"/webhook/invoice")
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	require.Contains(t, r.stdout, `{"status":"recorded","delivery_id":"dlv2_`)

	r = cmd(t, map[string]string{"WEBHOOKS_SECRET": "whsec_wrong"}, "", "send", "-content", content, url+"/webhook")
	require.Equal(t, exitRefused, r.code)
	require.Contains(t, r.stderr, "Most often the secret differs")

	resp, err := http.Get(url + "/webhook")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	require.Equal(t, exitOK, stop())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 6, out.String())
	require.Regexp(t, `^\d\d:\d\d:\d\d 200 POST /webhook/invoice \d+\.\d KiB dlv2_[0-9a-f]{12} verified\(secret 2\) format=completion scheme=hex model=gpt-4\.1-2025-04-14 content=\{number,currency,line_items,total\} file=scan\.png\(image/png, 12 B\) -> .*\.json$`, lines[2])
	require.Regexp(t, `^\d\d:\d\d:\d\d 401 POST /webhook .* REFUSED \(signature matches no secret: is the sender's secret one of -secret/WEBHOOKS_SECRET\?\)`, lines[3])
	require.Regexp(t, `^\d\d:\d\d:\d\d 405 GET /webhook \(not recorded`, lines[4])
	require.Equal(t, "stopped: 2 delivery(ies) recorded in "+dir, lines[5])

	bodies, err := bodyFiles([]string{dir})
	require.NoError(t, err)
	require.Len(t, bodies, 2)
	var metas []meta
	for _, b := range bodies {
		var m meta
		raw, err := os.ReadFile(strings.TrimSuffix(b, ".json") + metaSuffix)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, &m))
		require.Equal(t, filepath.Base(b), m.BodyFile)
		require.Equal(t, len(mustBody(t, b)), m.BodyBytes)
		require.Equal(t, []string{"[redacted]"}, m.Header["X-Retab-Signature"])
		require.NotContains(t, string(raw), secret)
		metas = append(metas, m)
	}
	require.True(t, metas[0].Verified)
	require.Equal(t, 1, metas[0].SecretIndex)
	require.Equal(t, 200, metas[0].Status)
	require.Equal(t, "/webhook/invoice", metas[0].Path)
	require.Equal(t, "scan.png", metas[0].Summary.Filename)
	require.False(t, metas[1].Verified)
	require.Equal(t, 401, metas[1].Status)
	require.Contains(t, metas[1].Problem, "no configured secret matches")

	// The delivery id is the one the router gives the same body.
	rc := newReceiver(t)
	res := retabtest.Serve(routerOf(t), retabtest.Signed(secret, mustBody(t, bodies[0])), "/webhook")
	require.Equal(t, metas[0].DeliveryID, res.Ack.DeliveryID)

	// Recorded deliveries replay to another receiver, both accepted there.
	r = cmd(t, withSecret, "", "replay", rc.url+"/webhook", dir)
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	require.Len(t, rc.invoices.Calls(), 2)
}

func routerOf(t *testing.T) http.Handler {
	t.Helper()
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	framework.Handle(r, retabtest.Record[Invoice](nil).Handle)
	return r
}

func TestListenFailures(t *testing.T) {
	dir := t.TempDir()
	url, _, stop := startListen(t, dir, "-insecure-skip-verify")
	defer stop()
	addr := strings.TrimPrefix(url, "http://")

	r := cmd(t, nil, "", "listen", "-addr", addr, "-dir", dir, "-insecure-skip-verify")
	require.Equal(t, exitUnreachable, r.code)
	require.Contains(t, r.stderr, "could not listen on "+addr)
	require.Contains(t, r.stderr, "Choose another with -addr")

	r = cmd(t, nil, "", "listen", "-dir", dir)
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "no secret")
	require.Contains(t, r.stderr, "-insecure-skip-verify")

	r = cmd(t, withSecret, "", "listen", "extra")
	require.Equal(t, exitUsage, r.code)

	file := writeFile(t, "file", "x")
	r = cmd(t, withSecret, "", "listen", "-dir", filepath.Join(file, "sub"))
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "cannot create the folder")
}

// An unverified listener records anything, including bodies that are not
// deliveries, and says what is wrong with them.
func TestListenInsecure(t *testing.T) {
	dir := t.TempDir()
	url, out, stop := startListen(t, dir, "-insecure-skip-verify", "-max-body-bytes", "4096")
	for _, body := range []string{`not json`, string(fixtures.ContentEnvelope("")), strings.Repeat("x", 5000)} {
		resp, err := http.Post(url+"/x", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		want := http.StatusOK
		if len(body) > 4096 {
			want = http.StatusRequestEntityTooLarge
		}
		require.Equal(t, want, resp.StatusCode)
	}
	require.Equal(t, exitOK, stop())
	o := out.String()
	require.Contains(t, o, "NOT verifying signatures")
	require.Contains(t, o, `unverified issue="retabhook: malformed envelope: envelope: malformed JSON`)
	require.Contains(t, o, `issue="retabhook: no extracted content: completion.choices[0].message.content is an empty string"`)
	require.Contains(t, o, "413 POST /x (not recorded")
	require.Contains(t, o, "stopped: 2 delivery(ies)")
}

func TestHeadersFlag(t *testing.T) {
	var h headersFlag
	require.NoError(t, h.Set("X-Automation: demo: 1"))
	require.Equal(t, headersFlag{{"X-Automation", "demo: 1"}}, h)
	require.Error(t, h.Set("novalue"))
	require.Error(t, h.Set("bad name: x"))
	require.Error(t, h.Set(": x"))
}

// listen -forward hands verified deliveries on to a receiver, signed with
// that receiver's secret, at the path they were sent to (so kind routing
// survives the tunnel), and answers with the receiver's answer.
func TestListenForward(t *testing.T) {
	rc := newReceiver(t, "whsec_local_app")
	dir := t.TempDir()
	url, out, stop := startListen(t, dir, "-secret", secret, "-forward", rc.url, "-forward-secret", "whsec_local_app")
	content := writeFile(t, "invoice.json", invoiceJSON)

	r := cmd(t, withSecret, "", "send", "-content", content, url+"/webhook/invoice")
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	require.Contains(t, r.stdout, `{"status":"processed","kind":"invoice"`)
	require.Len(t, rc.invoices.Calls(), 1)

	// The kind in the path reaches the receiver: an invoice sent to
	// /webhook/calendar_event is refused there, with the receiver's problem document.
	r = cmd(t, withSecret, "", "send", "-content", content, url+"/webhook/calendar_event")
	require.Equal(t, exitRefused, r.code)
	require.Contains(t, r.stderr, `the content matches the registered kind "invoice"`)
	require.Len(t, rc.invoices.Calls(), 1)
	require.Empty(t, rc.events.Calls())

	// A delivery that fails verification is not forwarded.
	r = cmd(t, map[string]string{"WEBHOOKS_SECRET": "whsec_wrong"}, "", "send", "-content", content, url+"/webhook")
	require.Equal(t, exitRefused, r.code)
	require.Len(t, rc.invoices.Calls(), 1)

	require.Equal(t, exitOK, stop())
	o := out.String()
	require.Contains(t, o, "forwarding verified deliveries to "+rc.url+", keeping their path and query (POST /webhook/invoice goes to "+rc.url+"/webhook/invoice)\n")
	require.Regexp(t, `200 POST /webhook/invoice .* verified\(secret 1\) .* forwarded=200 -> `, o)
	require.Regexp(t, `422 POST /webhook/calendar_event .* forwarded=422 -> `, o)
	require.Regexp(t, `401 POST /webhook .* REFUSED .* -> `, o)

	bodies, err := bodyFiles([]string{dir})
	require.NoError(t, err)
	require.Len(t, bodies, 3)
	raw, err := os.ReadFile(strings.TrimSuffix(bodies[0], ".json") + metaSuffix)
	require.NoError(t, err)
	var m meta
	require.NoError(t, json.Unmarshal(raw, &m))
	require.Equal(t, &forwarded{URL: rc.url + "/webhook/invoice", Status: 200}, m.Forward)
	require.Equal(t, 200, m.Status)
}

// The forward URL's path is a prefix and its query comes first; the
// sender's path and query are kept byte for byte.
func TestListenForwardKeepsPathAndQuery(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.RequestURI)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	content := writeFile(t, "invoice.json", invoiceJSON)
	for _, tc := range []struct{ forward, sent, want string }{
		{srv.URL, "/webhook/receipt?tenant=acme", "/webhook/receipt?tenant=acme"},
		{srv.URL + "/", "/webhook/receipt", "/webhook/receipt"},
		{srv.URL + "/retab?env=test", "/webhook/receipt?tenant=acme", "/retab/webhook/receipt?env=test&tenant=acme"},
		{srv.URL + "/retab/", "/webhook/a%2Fb", "/retab/webhook/a%2Fb"},
		{srv.URL + "/retab", "/", "/retab/"},
	} {
		t.Run(tc.forward+" "+tc.sent, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			url, _, stop := startListen(t, t.TempDir(), "-secret", secret, "-forward", tc.forward)
			r := cmd(t, withSecret, "", "send", "-content", content, url+tc.sent)
			require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			require.Equal(t, exitOK, stop())
			mu.Lock()
			defer mu.Unlock()
			require.Equal(t, []string{tc.want}, got)
		})
	}
}

func TestListenForwardUnreachable(t *testing.T) {
	target := strings.TrimSuffix(closedURL(t), "/webhook")
	url, out, stop := startListen(t, t.TempDir(), "-insecure-skip-verify", "-forward", target)
	r := cmd(t, withSecret, "", "send", "-content", writeFile(t, "invoice.json", invoiceJSON), url+"/webhook")
	require.Equal(t, exitRefused, r.code)
	require.Contains(t, r.stdout, "502 Bad Gateway")
	require.Contains(t, r.stdout, "urn:retabhook:problem:forward-failed")
	require.Contains(t, r.stderr, "the receiver failed (502)")
	require.Equal(t, exitOK, stop())
	require.Contains(t, out.String(), "502 POST /webhook")
	require.Contains(t, out.String(), "forward FAILED (could not connect to "+target+"/webhook: connection refused.)")

	r = cmd(t, withSecret, "", "listen", "-forward", "localhost:8000")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "is not an http:// or https:// URL")
}
