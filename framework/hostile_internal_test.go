package framework

// Tests of the request intake under hostile traffic (issue 10): what an
// unauthenticated or slow client can make the receiver reserve, read,
// allocate, wait for and echo.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

const hostileSecret = "whsec_hostile"

type hostileEvent struct {
	Name string `json:"name"`
	Date string `json:"date"`
}

// hostileRouter registers one kind, "event"; hold, when not nil, keeps
// the handler of the delivery named "hold" until it is closed.
func hostileRouter(t *testing.T, log io.Writer, hold chan struct{}, opts ...Option) *Router {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	opts = append([]Option{WithSecrets(hostileSecret), WithLogger(slog.New(slog.NewTextHandler(log, nil)))}, opts...)
	r, err := NewRouter(opts...)
	require.NoError(t, err)
	Handle(r, func(_ context.Context, ev hostileEvent) error {
		if ev.Name == "hold" && hold != nil {
			<-hold
		}
		return nil
	}, WithKind("event"))
	return r
}

func eventBody(name string) []byte {
	return fixtures.ContentEnvelope(`{"name":"` + name + `","date":"2024-01-01"}`)
}

// rawRequest opens a connection to srv and writes the request head
// (headers given as "Name: value" lines) and the start of a body.
func rawRequest(t *testing.T, srv *httptest.Server, headers []string, body []byte) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	head := "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + strings.Join(headers, "\r\n") + "\r\n\r\n"
	_, err = conn.Write(append([]byte(head), body...))
	require.NoError(t, err)
	return conn
}

// answer reads the first response on conn, within a generous bound.
func answer(t *testing.T, conn net.Conn) *http.Response {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(20*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

func sendValid(ctx context.Context, srv *httptest.Server, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/webhook", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", Sign(hostileSecret, body))
	resp, err := srv.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// serveSigned sends body, signed, through h and returns the answer.
func serveSigned(h http.Handler, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", Sign(hostileSecret, body))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestStalledDeclarationsDoNotBlock is finding 1 and 4: four connections
// declare 64 MiB bodies without a signature and send nothing. They are
// answered 401 at once (nothing reserved, no "100 Continue"), and a valid
// delivery sent meanwhile gets 200 within a second.
func TestStalledDeclarationsDoNotBlock(t *testing.T) {
	r := hostileRouter(t, nil, nil, WithMaxInFlightBytes(256<<20))
	srv := httptest.NewServer(r)
	defer srv.Close()

	var conns []net.Conn
	for i := range 4 {
		h := []string{"Content-Length: 67108864"}
		switch i {
		case 1:
			h = append(h, "Expect: 100-continue")
		case 2:
			h = append(h, "X-Retab-Signature: not-a-signature")
		}
		conns = append(conns, rawRequest(t, srv, h, nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	code, err := sendValid(ctx, srv, eventBody("valid"))
	require.NoError(t, err, "a valid delivery must not wait behind unsigned declarations")
	assert.Equal(t, http.StatusOK, code)

	for i, conn := range conns {
		resp := answer(t, conn)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "conn %d: the first answer, not 100 Continue", i)
		assert.True(t, resp.Close, "conn %d: the unread body's connection is closed", i)
	}
	used, waiting := r.budget.state()
	assert.Zero(t, used)
	assert.Zero(t, waiting)
}

// TestUnsignedBodyIsNeverRead checks, in process, that a request without
// a well-formed signature header is refused before a byte of its body is
// read, or anything reserved.
func TestUnsignedBodyIsNeverRead(t *testing.T) {
	r := hostileRouter(t, nil, nil, WithMaxInFlightBytes(1<<20))
	for _, sig := range []string{"", "abc", strings.Repeat("z", 64)} {
		src := &readCounter{r: bytes.NewReader(eventBody("x"))}
		req := httptest.NewRequest(http.MethodPost, "/webhook", src)
		req.Header.Set("Content-Type", "application/json")
		if sig != "" {
			req.Header.Set("X-Retab-Signature", sig)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		assert.Equal(t, http.StatusUnauthorized, w.Code, sig)
		assert.Zero(t, src.n, "%q: not a byte read", sig)
		assert.Equal(t, "close", w.Header().Get("Connection"))
	}
}

type readCounter struct {
	r io.Reader
	n int
}

func (c *readCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// TestSlowBodiesAreCut is findings 1 and 3: senders with well-formed
// signatures that declare a body and stall, or trickle it, are answered
// 408 once WithBodyDeadline passes; their reservations are released, so
// a valid delivery waiting behind them goes through.
func TestSlowBodiesAreCut(t *testing.T) {
	const limit = 1 << 20
	r := hostileRouter(t, nil, nil, WithMaxBodyBytes(limit), WithMaxInFlightBytes(4*limit),
		WithBodyDeadline(300*time.Millisecond, 64<<10), WithBusyTimeout(time.Minute))
	srv := httptest.NewServer(r)
	defer srv.Close()
	sig := "X-Retab-Signature: " + Sign("whsec_other", []byte("x"))

	var conns []net.Conn
	for range 4 {
		conns = append(conns, rawRequest(t, srv, []string{sig, fmt.Sprintf("Content-Length: %d", limit)}, []byte(`{"comp`)))
	}
	require.Eventually(t, func() bool { used, _ := r.budget.state(); return used == 4*limit }, 10*time.Second, time.Millisecond)

	// A trickle: one byte every 20 ms under a valid Content-Length.
	trickle := rawRequest(t, srv, []string{sig, "Content-Length: 100000"}, nil)
	go func() {
		for {
			if _, err := trickle.Write([]byte(" ")); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()

	// The valid delivery waits for the stalled ones' room, then gets it.
	code, err := sendValid(context.Background(), srv, eventBody("valid"))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code)

	for _, conn := range append(conns, trickle) {
		resp := answer(t, conn)
		require.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
		var doc ProblemDocument
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
		assert.Equal(t, ErrBodyTimeout.Type(), doc.Type)
	}
	require.Eventually(t, func() bool { used, _ := r.budget.state(); return used == 0 }, 10*time.Second, time.Millisecond)
}

// TestClientLeavingReleasesBudget is finding 3: a client that goes away
// while its request waits for room is released at once (503 busy in the
// log, nothing reserved, nothing waiting), and one that waits longer than
// WithBusyTimeout is answered 503 busy.
func TestClientLeavingReleasesBudget(t *testing.T) {
	var log fixtures.SyncBuffer
	hold := make(chan struct{})
	held := eventBody("hold")
	r := hostileRouter(t, &log, hold, WithMaxInFlightBytes(int64(len(held))*3/2), WithBusyTimeout(time.Minute))
	srv := httptest.NewServer(r)
	defer srv.Close()
	done := make(chan int, 1)
	go func() { code, _ := sendValid(context.Background(), srv, held); done <- code }()
	require.Eventually(t, func() bool { used, _ := r.budget.state(); return used > 0 }, 10*time.Second, time.Millisecond)

	body := eventBody("later")
	conn := rawRequest(t, srv, []string{"X-Retab-Signature: " + Sign(hostileSecret, body), fmt.Sprintf("Content-Length: %d", len(body))}, body[:10])
	require.Eventually(t, func() bool { _, w := r.budget.state(); return w == 1 }, 10*time.Second, time.Millisecond)
	require.NoError(t, conn.Close())
	require.Eventually(t, func() bool { _, w := r.budget.state(); return w == 0 }, 10*time.Second, time.Millisecond,
		"the waiter whose client left is released while the budget is still held")
	require.Eventually(t, func() bool { return strings.Contains(log.String(), "problem=busy") }, 10*time.Second, time.Millisecond)
	assert.Contains(t, log.String(), "the client went away")

	close(hold)
	assert.Equal(t, http.StatusOK, <-done)
	used, waiting := r.budget.state()
	assert.Zero(t, used)
	assert.Zero(t, waiting)

	// A bounded wait: 503 busy after WithBusyTimeout.
	hold2 := make(chan struct{})
	r2 := hostileRouter(t, nil, hold2, WithMaxInFlightBytes(int64(len(held))*3/2), WithBusyTimeout(50*time.Millisecond))
	srv2 := httptest.NewServer(r2)
	defer srv2.Close()
	go func() { code, _ := sendValid(context.Background(), srv2, held); done <- code }()
	require.Eventually(t, func() bool { used, _ := r2.budget.state(); return used > 0 }, 10*time.Second, time.Millisecond)
	code, err := sendValid(context.Background(), srv2, body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, code)
	close(hold2)
	assert.Equal(t, http.StatusOK, <-done)
}

// TestChunkedOverLimitAllocation is finding 2: a chunked body past the
// limit allocates at most the limit plus one read, under
// WithMaxInFlightBytes (one buffer, allocated once) and at most 5/3 of it
// without (a buffer growing 4x, capped at the limit).
func TestChunkedOverLimitAllocation(t *testing.T) {
	const limit = 4 << 20
	body := bytes.Repeat([]byte(" "), limit+2*readChunk)
	sig := Sign(hostileSecret, body)
	for _, tc := range []struct {
		name string
		opts []Option
		most uint64
	}{
		{"bounded", []Option{WithMaxInFlightBytes(4 * limit)}, limit + readChunk},
		{"unbounded", nil, limit*5/3 + readChunk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hostileRouter(t, nil, nil, append(tc.opts, WithMaxBodyBytes(limit))...)
			rd := bytes.NewReader(body)
			run := func() {
				rd.Reset(body)
				req := httptest.NewRequest(http.MethodPost, "/webhook", io.NopCloser(rd))
				req.ContentLength = -1 // chunked
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Retab-Signature", sig)
				w := httptest.NewRecorder()
				r.ServeHTTP(w, req)
				require.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
			}
			run() // warm the pools
			var before, after runtime.MemStats
			const runs = 5
			runtime.GC()
			runtime.ReadMemStats(&before)
			for range runs {
				run()
			}
			runtime.ReadMemStats(&after)
			perRun := (after.TotalAlloc - before.TotalAlloc) / runs
			t.Logf("%s: %d bytes allocated per %d-byte body over a %d-byte limit", tc.name, perRun, len(body), limit)
			assert.LessOrEqual(t, perRun, tc.most)
		})
	}
	assert.Equal(t, limit+1, growTo(limit, -1, limit+1), "the byte past the limit never grows the buffer 4x")
	assert.Equal(t, limit+1, growTo(limit/4+1, -1, limit+1))
}

// TestManyViolationsAnswerIsBounded is finding 5: a signed invoice with
// 60,000 invalid line items is answered with MaxViolations violations and
// the count of the others, in a bounded answer.
func TestManyViolationsAnswerIsBounded(t *testing.T) {
	var log bytes.Buffer
	r, err := NewRouter(WithSecrets(hostileSecret), WithLogger(slog.New(slog.NewJSONHandler(&log, nil))))
	require.NoError(t, err)
	Handle(r, func(context.Context, fixtures.Invoice) error { return nil })
	content := `{"number":"1","issue_date":"2024-01-01","due_date":null,"supplier":{"name":"S","address":null,"vat_id":null},"currency":"EUR","subtotal":0,"tax":0,"total":0,"line_items":[` +
		strings.Repeat("{},", 59_999) + `{}]}`
	body := fixtures.ContentEnvelope(content)
	w := serveSigned(r, body)
	require.Equal(t, http.StatusUnprocessableEntity, w.Code)
	t.Logf("%d-byte body, %d-byte answer, %d-byte log line", len(body), w.Body.Len(), log.Len())
	assert.Less(t, w.Body.Len(), 32<<10, "the answer is bounded")
	assert.Less(t, log.Len(), 4<<10, "the log line is bounded")
	var doc ProblemDocument
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
	assert.Len(t, doc.Violations, MaxViolations)
	assert.GreaterOrEqual(t, doc.ViolationsOmitted, 60_000-MaxViolations)
	assert.Contains(t, doc.Detail, fmt.Sprintf("%d violation(s)", MaxViolations+doc.ViolationsOmitted))
}

// TestEchoesAreBounded is finding 5: a huge Content-Type, method or kind
// is cut and quoted in the answer and the log.
func TestEchoesAreBounded(t *testing.T) {
	var log bytes.Buffer
	r, err := NewRouter(WithSecrets(hostileSecret), WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	require.NoError(t, err)
	Handle(r, func(context.Context, hostileEvent) error { return nil }, WithKind("event"))
	Handle(r, func(context.Context, fixtures.Invoice) error { return nil })
	mux := http.NewServeMux()
	mux.Handle("/webhook/{kind}", r)
	huge := strings.Repeat("A", 300_000)
	body := eventBody("x")
	for _, tc := range []struct {
		name, method, path, ctype string
		status                    int
	}{
		{"content type", http.MethodPost, "/webhook/event", "application/" + strings.Repeat("x\x1b", 250_000), http.StatusUnsupportedMediaType},
		{"method", huge, "/webhook/event", "application/json", http.StatusMethodNotAllowed},
		{"kind", http.MethodPost, "/webhook/" + huge, "application/json", http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log.Reset()
			req := httptest.NewRequest(http.MethodPost, tc.path, bytes.NewReader(body))
			req.Method = tc.method
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("X-Retab-Signature", Sign(hostileSecret, body))
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			require.Equal(t, tc.status, w.Code)
			assert.Less(t, w.Body.Len(), 1<<10, w.Body.String()[:min(200, w.Body.Len())])
			assert.Less(t, log.Len(), 2<<10)
			assert.Contains(t, w.Body.String(), "bytes)")
			assert.NotContains(t, log.String(), "\x1b")
		})
	}
}

// TestParseLimits is finding 5: content that nests too deep or holds too
// many values is refused 422 before it is parsed into a tree.
func TestParseLimits(t *testing.T) {
	r := hostileRouter(t, nil, nil, WithParseLimits(16, 1000))
	for name, content := range map[string]string{
		"deep":   `{"name":"x","date":"2024-01-01","extra":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`,
		"values": `{"name":"x","date":"2024-01-01","extra":[` + strings.Repeat("{},", 1000) + `{}]}`,
	} {
		w := serveSigned(r, fixtures.ContentEnvelope(content))
		require.Equal(t, http.StatusUnprocessableEntity, w.Code, name)
		var doc ProblemDocument
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc))
		assert.Equal(t, ErrTooComplex.Type(), doc.Type, name)
		assert.Contains(t, doc.Detail, "WithParseLimits", name)
	}
}

// TestProblemDetailsNameNoGoTypes is finding 8.
func TestProblemDetailsNameNoGoTypes(t *testing.T) {
	r := hostileRouter(t, nil, nil)
	var wg sync.WaitGroup
	for _, body := range []string{
		`{"completion":"x"}`,
		`{"completion":{"choices":[{"index":"0","message":{"content":"{}"}}]}}`,
		`{"completion":{"id":"c","choices":[]},"file_payload":{"filename":1}}`,
	} {
		wg.Go(func() {
			w := serveSigned(r, []byte(body))
			assert.Equal(t, http.StatusBadRequest, w.Code, body)
			for _, leak := range []string{"Go ", "struct", "stdEnvelope", "envelope.", "of type"} {
				assert.NotContains(t, w.Body.String(), leak, body)
			}
			assert.Contains(t, w.Body.String(), "must be", body)
		})
	}
	wg.Wait()
}
