package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

const testSecret = "whsec_server_test"

func testConfig(t *testing.T, args ...string) config {
	t.Helper()
	c, err := loadConfig(args, env("WEBHOOKS_SECRET", testSecret, "ADDR", "127.0.0.1:0", "DATA_DIR", t.TempDir()), io.Discard)
	require.NoError(t, err)
	return c
}

// do sends a request; a body is signed with testSecret.
func do(t *testing.T, h http.Handler, method, path string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	return doSigned(t, h, method, path, body, testSecret)
}

func doSigned(t *testing.T, h http.Handler, method, path string, body []byte, secret string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", framework.Sign(secret, body))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestMetricsEndpoint(t *testing.T) {
	s, err := newServer(testConfig(t), slog.New(slog.DiscardHandler), nil, nil)
	require.NoError(t, err)
	ev := fixtures.ContentEnvelope(fixtures.SeedContent)
	require.Equal(t, 200, do(t, s.webhooks, http.MethodPost, "/webhook", ev).Code)
	require.Equal(t, 401, doSigned(t, s.webhooks, http.MethodPost, "/webhook", ev, "whsec_wrong").Code)

	w := do(t, s.webhooks, http.MethodGet, "/metrics", nil)
	require.Equal(t, 200, w.Code)
	out := w.Body.String()
	assert.Contains(t, out, `retabhook_deliveries_total{kind="calendar_event",outcome="processed",status="200"} 1`)
	assert.Contains(t, out, `retabhook_verification_failures_total{reason="mismatch"} 1`)
	assert.Contains(t, out, `retabhook_verified_total{environment="none",secret_index="0"} 1`)
	assert.Contains(t, out, "go_goroutines ")
	assert.Contains(t, out, "process_")
	assert.NotContains(t, out, testSecret)

	assert.Equal(t, 200, do(t, s.webhooks, http.MethodGet, "/healthz", nil).Code)
	assert.Equal(t, 503, do(t, s.webhooks, http.MethodGet, "/readyz", nil).Code, "not ready before run")
}

func TestMetricsOff(t *testing.T) {
	s, err := newServer(testConfig(t, "--metrics=false"), slog.New(slog.DiscardHandler), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 404, do(t, s.webhooks, http.MethodGet, "/metrics", nil).Code)
	assert.Equal(t, 200, do(t, s.webhooks, http.MethodGet, "/healthz", nil).Code)
}

// TestMetricsOnThePublicPortWarns: with OPS_ADDR unset, the start-up
// log says what /metrics reveals and names the variable that moves it;
// with it set, nothing is said.
func TestMetricsOnThePublicPortWarns(t *testing.T) {
	var log bytes.Buffer
	_, err := newServer(testConfig(t), slog.New(slog.NewTextHandler(&log, nil)), nil, nil)
	require.NoError(t, err)
	assert.Contains(t, log.String(), "level=WARN")
	assert.Contains(t, log.String(), "set OPS_ADDR (--ops-addr)")
	assert.Contains(t, log.String(), "field names")

	log.Reset()
	_, err = newServer(testConfig(t, "--ops-addr", "127.0.0.1:0"), slog.New(slog.NewTextHandler(&log, nil)), nil, nil)
	require.NoError(t, err)
	assert.NotContains(t, log.String(), "OPS_ADDR")
}

// TestServerTimeouts: the example's HTTP servers bound slow clients.
func TestServerTimeouts(t *testing.T) {
	s, err := newServer(testConfig(t), slog.New(slog.DiscardHandler), nil, nil)
	require.NoError(t, err)
	srv := s.httpServer(s.webhooks)
	assert.Equal(t, 10*time.Second, srv.ReadHeaderTimeout)
	assert.Equal(t, 2*time.Minute, srv.ReadTimeout)
	assert.Equal(t, 2*time.Minute, srv.IdleTimeout)
}

func TestOpsListenerKeepsProbesOffTheWebhookPort(t *testing.T) {
	s, err := newServer(testConfig(t, "--ops-addr", "127.0.0.1:0"), slog.New(slog.DiscardHandler), nil, nil)
	require.NoError(t, err)
	for _, p := range []string{"/metrics", "/healthz", "/readyz"} {
		assert.Equal(t, 404, do(t, s.webhooks, http.MethodGet, p, nil).Code, p)
	}
	assert.Equal(t, 200, do(t, s.ops, http.MethodGet, "/metrics", nil).Code)
	assert.Equal(t, 200, do(t, s.ops, http.MethodGet, "/healthz", nil).Code)
	assert.Equal(t, 404, do(t, s.ops, http.MethodPost, "/webhook", fixtures.ContentEnvelope(fixtures.SeedContent)).Code)
}

// slowServer returns a server whose webhook handler also has /slow, which
// blocks until release is closed.
func slowServer(t *testing.T, args ...string) (s *server, entered chan struct{}, release chan struct{}) {
	t.Helper()
	s, err := newServer(testConfig(t, args...), slog.New(slog.DiscardHandler), nil, nil)
	require.NoError(t, err)
	entered, release = make(chan struct{}, 1), make(chan struct{})
	inner := s.webhooks
	s.webhooks = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
			_, _ = io.WriteString(w, "done")
			return
		}
		inner.ServeHTTP(w, r)
	})
	return s, entered, release
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestGracefulShutdown: on shutdown /readyz turns 503 at once, a request
// in flight finishes, and run returns nil.
func TestGracefulShutdown(t *testing.T) {
	s, entered, release := slowServer(t, "--ops-addr", "127.0.0.1:0", "--shutdown-timeout", "10s")
	web, ops, err := s.listen()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, web, ops) }()

	opsURL, webURL := "http://"+ops.Addr().String(), "http://"+web.Addr().String()
	require.Eventually(t, func() bool { c, _ := get(t, opsURL+"/readyz"); return c == 200 }, 5*time.Second, 10*time.Millisecond)

	var slow struct {
		code int
		body string
	}
	var wg sync.WaitGroup
	wg.Go(func() { slow.code, slow.body = get(t, webURL+"/slow") })
	<-entered

	cancel()
	require.Eventually(t, func() bool {
		c, body := get(t, opsURL+"/readyz")
		return c == 503 && strings.Contains(body, "stopping")
	}, 5*time.Second, 10*time.Millisecond, "readyz turns 503 while requests drain")
	// Readiness turns 503 just before the webhook listener closes, so the
	// listener is given a moment to follow.
	assert.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", web.Addr().String(), time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "the webhook listener no longer accepts connections")

	close(release)
	wg.Wait()
	assert.Equal(t, 200, slow.code)
	assert.Equal(t, "done", slow.body)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
}

// TestShutdownTimeout: a request still running after the timeout is cut
// and run reports it.
func TestShutdownTimeout(t *testing.T) {
	s, entered, release := slowServer(t, "--shutdown-timeout", "200ms")
	defer close(release)
	web, ops, err := s.listen()
	require.NoError(t, err)
	require.Nil(t, ops)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, web, ops) }()
	go func() {
		resp, err := http.Get("http://" + web.Addr().String() + "/slow")
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), "200ms")
		assert.Less(t, time.Since(start), 5*time.Second)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
}

// TestSIGTERM runs the receiver as a real process, sends it a delivery,
// then SIGTERM, and checks that it exits 0 after a graceful shutdown.
func TestSIGTERM(t *testing.T) {
	if os.Getenv("INVOICE_RUN_MAIN") == "1" {
		os.Args = []string{"invoice"}
		main()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIGTERM$")
	cmd.Env = append(os.Environ(), "INVOICE_RUN_MAIN=1", "ADDR=127.0.0.1:0", "LOG_FORMAT=json",
		"WEBHOOKS_SECRET=whsec_a,"+testSecret, "SHUTDOWN_TIMEOUT=5s")
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := make(chan map[string]any, 64)
	var logs bytes.Buffer
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Write(append(sc.Bytes(), '\n'))
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				lines <- m
			}
		}
	}()
	next := func(msg string) map[string]any {
		t.Helper()
		timeout := time.After(20 * time.Second)
		for {
			select {
			case m, ok := <-lines:
				require.True(t, ok, "process ended before logging %q", msg)
				if m["msg"] == msg {
					return m
				}
			case <-timeout:
				t.Fatalf("no %q log line", msg)
			}
		}
	}
	addr := next("listening")["addr"].(string)
	url := "http://" + addr

	code, _ := get(t, url+"/readyz")
	require.Equal(t, 200, code)
	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	req, _ := http.NewRequest(http.MethodPost, url+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", framework.Sign(testSecret, body))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	line := next("retabhook delivery")
	assert.Equal(t, float64(1), line["secret_index"], "the second secret of the rotation matched")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	next("shutting down")
	next("stopped")
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		require.NoError(t, err, "exit status; logs:\n%s", logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("the process did not exit after SIGTERM")
	}
	assert.NotContains(t, logs.String(), testSecret)
}
