package framework

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestAnswerAgreesWithEncodingJSON checks the answer of a delivery
// processed, written by appendOK, byte for byte against json.Encoder's
// encoding of okBody (what it was before): kinds and ids holding every
// kind of character encoding/json escapes (quotes, backslashes, controls,
// HTML characters, non-ASCII, invalid UTF-8, U+2028), and random bytes.
func TestAnswerAgreesWithEncodingJSON(t *testing.T) {
	strs := []string{"", "invoice", "dlv_0123456789abcdef0123456789abcdef", `a"b`, `a\b`, "a\nb", "\x00", "\x1f", "\x7f",
		"<script>", "a&b", "x>y", "é", "日本", "\xff", "a\xc3", "\u2028", "\u2029", "processed", "review", "duplicate"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		strs = append(strs, string(b))
	}
	for i, kind := range strs {
		for _, review := range []bool{false, true} {
			a := okBody{Status: strs[(i+3)%len(strs)], Kind: kind, DeliveryID: strs[(i*7+1)%len(strs)], Review: review}
			var want bytes.Buffer
			require.NoError(t, json.NewEncoder(&want).Encode(a))
			require.Equal(t, want.String(), string(appendOK(nil, a)), "%+v", a)
		}
	}
}

// TestAnswerProcessed checks the whole answer of a delivery processed,
// duplicate or accepted: status, Content-Type and body (HTML characters
// of the kind escaped, as encoding/json does), one router writing them
// all from its pooled buffers, longer and shorter in turn.
func TestAnswerProcessed(t *testing.T) {
	r := new(Router)
	for _, c := range []struct {
		out  Outcome
		code int
		body string
	}{
		{Outcome{}, http.StatusOK, `{"status":"processed","kind":"k\u003c1\u003e","delivery_id":"dlv_1"}` + "\n"},
		{Outcome{Duplicate: true}, http.StatusOK, `{"status":"duplicate","kind":"k\u003c1\u003e","delivery_id":"dlv_1"}` + "\n"},
		{Outcome{Accepted: true}, http.StatusAccepted, `{"status":"accepted","kind":"k\u003c1\u003e","delivery_id":"dlv_1"}` + "\n"},
		{Outcome{}, http.StatusOK, `{"status":"processed","kind":"k\u003c1\u003e","delivery_id":"dlv_1"}` + "\n"},
	} {
		w := httptest.NewRecorder()
		out := c.out
		r.writeAnswer(w, &Delivery{Kind: "k<1>", ID: "dlv_1"}, &out)
		require.Equal(t, c.code, w.Code)
		require.Equal(t, c.code, out.Status)
		require.Equal(t, "application/json", w.Header().Get("Content-Type"))
		require.Equal(t, c.body, w.Body.String())
	}
	w := httptest.NewRecorder()
	out := Outcome{Accepted: true}
	r.writeAnswer(w, &Delivery{Kind: "k", ID: "dlv_2", Review: &ReviewReason{}}, &out)
	require.Equal(t, `{"status":"accepted","kind":"k","delivery_id":"dlv_2","review":true}`+"\n", w.Body.String())
	w, out = httptest.NewRecorder(), Outcome{Duplicate: true}
	r.writeAnswer(w, &Delivery{Kind: "k", ID: "d"}, &out)
	require.Equal(t, `{"status":"duplicate","kind":"k","delivery_id":"d"}`+"\n", w.Body.String())
}

type deadlineWriter struct {
	http.ResponseWriter
	set []time.Time
}

func (w *deadlineWriter) SetReadDeadline(d time.Time) error {
	w.set = append(w.set, d)
	return nil
}

type unwrapper struct{ http.ResponseWriter }

func (u unwrapper) Unwrap() http.ResponseWriter { return u.ResponseWriter }

// TestBodyDeadlineThroughWrappers checks that the body's read deadline
// is found as http.ResponseController finds it: on the ResponseWriter
// itself, or on the one a middleware's wrapper unwraps to, and that a
// ResponseWriter without one (httptest's recorder) is read without it.
func TestBodyDeadlineThroughWrappers(t *testing.T) {
	r := hostileRouter(t, nil, nil)
	dw := &deadlineWriter{ResponseWriter: httptest.NewRecorder()}
	for _, w := range []http.ResponseWriter{dw, unwrapper{dw}, unwrapper{unwrapper{dw}}} {
		dw.set = nil
		c := r.newBodyClock(w, time.Now())
		require.NotNil(t, c.rc)
		c.at(0)
		c.end()
		require.Len(t, dw.set, 2)
		require.False(t, dw.set[0].IsZero())
		require.True(t, dw.set[1].IsZero(), "the deadline is removed once the body is read")
	}
	require.Nil(t, r.newBodyClock(httptest.NewRecorder(), time.Time{}).rc)
	require.Nil(t, r.newBodyClock(unwrapper{httptest.NewRecorder()}, time.Time{}).rc)
}

// TestBodyDeadlines checks the read deadlines a body gets, read in small
// pieces: a body that declares at most oneDeadlineMax bytes gets one for
// all its reads, the one its last read would get (start + timeout + its
// length at the rate), removed once it is read; a larger one, and one
// that declares no length, a deadline per read that grows with the bytes
// received.
func TestBodyDeadlines(t *testing.T) {
	const timeout, rate = 10 * time.Second, 1 << 20
	r := hostileRouter(t, nil, nil, WithBodyDeadline(timeout, rate))
	at := func(start time.Time, n int) time.Time {
		return start.Add(timeout + time.Duration(float64(n)/rate*float64(time.Second)))
	}
	for _, c := range []struct {
		size     int
		declared bool
		one      bool
	}{{100, true, true}, {oneDeadlineMax, true, true}, {oneDeadlineMax + 1, true, false}, {100, false, false}} {
		body := bytes.Repeat([]byte("x"), c.size)
		req := httptest.NewRequest(http.MethodPost, "/webhook", iotest.OneByteReader(bytes.NewReader(body)))
		req.ContentLength = -1
		if c.declared {
			req.ContentLength = int64(c.size)
		}
		dw := &deadlineWriter{ResponseWriter: httptest.NewRecorder()}
		start := time.Now()
		clock := r.newBodyClock(dw, start)
		got, err := r.readBody(req, nil, &clock, nil, nil)
		require.NoError(t, err)
		require.Equal(t, body, got)
		require.True(t, dw.set[len(dw.set)-1].IsZero(), "the deadline is removed once the body is read")
		set := dw.set[:len(dw.set)-1]
		if c.one {
			require.Equal(t, []time.Time{at(start, c.size)}, set, "size %d", c.size)
			continue
		}
		require.Greater(t, len(set), 2, "size %d", c.size)
		require.Equal(t, at(start, 0), set[0])
		for i := 1; i < len(set); i++ {
			require.True(t, set[i].After(set[i-1]), "size %d: deadline %d", c.size, i)
		}
		require.False(t, set[len(set)-1].After(at(start, c.size)), "size %d", c.size)
	}
}

// TestDeliveryLogSource checks the source a handler with AddSource gives
// the delivery line: the router's log function, as Logger.LogAttrs gave
// it, on the first line and the next (the program counter kept).
func TestDeliveryLogSource(t *testing.T) {
	var logs bytes.Buffer
	r := hostileRouter(t, nil, nil, WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{AddSource: true}))))
	for range 2 {
		require.Equal(t, http.StatusOK, serveSigned(r, eventBody("a")).Code)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 2)
	for _, line := range lines {
		var rec struct {
			Msg    string
			Time   time.Time
			Source struct{ Function, File string }
		}
		require.NoError(t, json.Unmarshal([]byte(line), &rec))
		require.Equal(t, "retabhook delivery", rec.Msg)
		require.Equal(t, "github.com/retabhook/retabhook/framework.(*Router).log", rec.Source.Function)
		require.True(t, strings.HasSuffix(rec.Source.File, "framework/router.go"), rec.Source.File)
		require.WithinDuration(t, time.Now(), rec.Time, time.Minute)
	}
}

// TestMediaTypeShortcut checks that the exact "application/json" taken
// without mime.ParseMediaType gets the verdict the parse gives, as do its
// neighbours that still go through it.
func TestMediaTypeShortcut(t *testing.T) {
	parsed := func(ct string) bool {
		mt, _, err := mime.ParseMediaType(ct)
		return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON", "application/json ",
		" application/json", "application/json;", "application/problem+json", "application/jsonx", "text/json", "application/x-www-form-urlencoded", "application/"} {
		require.Equal(t, parsed(ct), checkMediaType(ct) == nil, "%q", ct)
	}
	require.ErrorIs(t, checkMediaType(""), ErrUnsupportedMediaType)
	require.ErrorIs(t, checkMediaType("text/plain"), ErrUnsupportedMediaType)
}

// closeCounter is a request body that counts its Close calls.
type closeCounter struct {
	io.Reader
	closed int
}

func (c *closeCounter) Close() error { c.closed++; return nil }

// TestBodyClosedOnceRead checks that the router closes a body it read to
// its end (so that net/http does not read on to discard its rest after
// the answer), whatever the answer, and leaves one it refused unread to
// net/http, with "Connection: close".
func TestBodyClosedOnceRead(t *testing.T) {
	r := hostileRouter(t, nil, nil)
	post := func(body []byte, sig string) (*closeCounter, *httptest.ResponseRecorder) {
		cc := &closeCounter{Reader: bytes.NewReader(body)}
		req := httptest.NewRequest(http.MethodPost, "/webhook", cc)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Retab-Signature", sig)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return cc, w
	}
	ok, invalid := eventBody("a"), fixtures.ContentEnvelope(`{"name":""}`)
	for _, c := range []struct {
		body   []byte
		sig    string
		status int
		closed int
	}{
		{ok, Sign(hostileSecret, ok), http.StatusOK, 1},
		{invalid, Sign(hostileSecret, invalid), http.StatusUnprocessableEntity, 1},
		{ok, Sign("whsec_other", ok), http.StatusUnauthorized, 1}, // read, then refused
		{ok, "not-hex", http.StatusUnauthorized, 0},               // refused before the read
	} {
		cc, w := post(c.body, c.sig)
		require.Equal(t, c.status, w.Code, w.Body.String())
		require.Equal(t, c.closed, cc.closed, "status %d", c.status)
		require.Equal(t, c.closed == 0, w.Header().Get("Connection") == "close")
	}
}

// TestHexSignatureRoomReused checks that the room a hex signature is
// parsed into, taken from the pool for a request and put back after it,
// never lets one request's signature stand for another's: right, wrong,
// malformed (the room given back before the body is read) and right
// again, in turn, on one router; and that the public Parse returns a
// signature of its own.
func TestHexSignatureRoomReused(t *testing.T) {
	r := hostileRouter(t, nil, nil)
	ok := eventBody("a")
	good, wrong := Sign(hostileSecret, ok), Sign("whsec_other", ok)
	for range 3 {
		for _, c := range []struct {
			sig    string
			status int
		}{{good, http.StatusOK}, {wrong, http.StatusUnauthorized}, {"zz" + good[2:], http.StatusUnauthorized}, {good[:10], http.StatusUnauthorized}, {good, http.StatusOK}} {
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(ok))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Retab-Signature", c.sig)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			require.Equal(t, c.status, w.Code, "%s: %s", c.sig, w.Body.String())
		}
	}
	h := http.Header{"X-Retab-Signature": {good}}
	s1, err := HexScheme().Parse(h)
	require.NoError(t, err)
	s2, err := HexScheme().Parse(h)
	require.NoError(t, err)
	require.NotSame(t, s1, s2)
	require.Equal(t, s1, s2)
	require.Equal(t, FormulaBody, s1.Formula)
}
