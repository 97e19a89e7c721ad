package framework_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// Twin has the same fields as CalendarEvent, so content that fits one
// fits both: an ambiguous route.
type Twin struct {
	Name string `json:"name"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

func openDisk(t *testing.T, dir string, opts ...framework.DiskQuarantineOption) *framework.DiskQuarantine {
	t.Helper()
	q, err := framework.OpenDiskQuarantine(dir, append([]framework.DiskQuarantineOption{framework.DiskLogger(quietLogger())}, opts...)...)
	require.NoError(t, err)
	return q
}

// TestQuarantineKeepsEachRefusal sends one authentic delivery per refusal
// class: the answer keeps its status and gains the entry's id, and the
// entry holds the exact bytes, the signature header and the refusal.
func TestQuarantineKeepsEachRefusal(t *testing.T) {
	seed := fixtures.ContentEnvelope(`{"name":"Party","date":"2023-12-31"}`)
	tests := []struct {
		name    string
		target  string
		body    []byte
		handler func(context.Context, CalendarEvent) error
		twin    bool
		want    *framework.Problem
		kind    string
	}{
		{name: "malformed envelope", body: []byte(`{"completion":`), want: framework.ErrMalformedEnvelope},
		{name: "unrecognized format", body: []byte(`{"user":"a@b.c"}`), want: framework.ErrUnrecognizedFormat},
		{name: "missing completion", body: []byte(`{"completion":null}`), want: framework.ErrMissingCompletion},
		{name: "no content", body: []byte(`{"completion":{"choices":[{"message":{"content":null}}]}}`), want: framework.ErrNoContent},
		{name: "invalid content", body: fixtures.ContentEnvelope("Sorry, I cannot read this."), want: framework.ErrInvalidContent},
		{name: "no route", body: fixtures.ContentEnvelope(`{"title":"x"}`), want: framework.ErrNoRoute},
		{name: "ambiguous route", body: seed, twin: true, want: framework.ErrAmbiguousRoute},
		{name: "unknown kind", target: "/webhook/receipt", body: seed, want: framework.ErrUnknownKind, kind: "receipt"},
		{name: "schema violation", target: "/webhook/invoice", body: fixtures.ContentEnvelope(`{"number":"1"}`), want: framework.ErrSchemaViolation, kind: "invoice"},
		{name: "rule violation", body: fixtures.ContentEnvelope(`{"name":"Party","date":"2023-02-30"}`), want: framework.ErrRuleViolation, kind: "calendar_event"},
		{name: "rejected", body: seed, want: framework.ErrRejected, kind: "calendar_event",
			handler: func(context.Context, CalendarEvent) error { return framework.Reject(errors.New("unknown vendor")) }},
		{name: "handler failed", body: seed, want: framework.ErrHandler, kind: "calendar_event",
			handler: func(context.Context, CalendarEvent) error { return errors.New("database down") }},
		{name: "handler panicked", body: seed, want: framework.ErrPanic, kind: "calendar_event",
			handler: func(context.Context, CalendarEvent) error { panic("boom") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := openDisk(t, t.TempDir())
			r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()), framework.WithQuarantine(q))
			require.NoError(t, err)
			rec := &recorder{}
			framework.Handle(r, rec.invoice)
			if tt.handler != nil {
				framework.Handle(r, tt.handler)
			} else {
				framework.Handle(r, rec.event)
			}
			if tt.twin {
				framework.Handle(r, func(context.Context, Twin) error { return nil })
			}
			mux := http.NewServeMux()
			mux.Handle("/webhook", r)
			mux.Handle("/webhook/{kind}", r)
			target := tt.target
			if target == "" {
				target = "/webhook"
			}
			w := post(t, mux, target, tt.body, secret)
			require.Equal(t, tt.want.Status, w.Code, "body: %s", w.Body)
			doc := problem(t, w)
			assert.Equal(t, tt.want.Type(), doc.Type)
			require.True(t, framework.ValidQuarantineID(doc.QuarantineID), "quarantine_id %q", doc.QuarantineID)

			e, err := q.Get(context.Background(), doc.QuarantineID)
			require.NoError(t, err)
			assert.Equal(t, tt.body, e.Body, "the exact bytes")
			assert.Equal(t, int64(len(tt.body)), e.Size)
			assert.Equal(t, framework.Sign(secret, tt.body), e.Header.Get("X-Retab-Signature"))
			assert.Equal(t, "application/json", e.Header.Get("Content-Type"))
			assert.Equal(t, target, e.Path)
			assert.Equal(t, tt.want.Type(), e.Problem.Type)
			assert.Equal(t, doc, e.Problem, "the refusal as answered")
			assert.Equal(t, tt.kind, e.Kind)
			assert.WithinDuration(t, time.Now(), e.ReceivedAt, time.Minute)
			if tt.want == framework.ErrRejected || tt.want == framework.ErrHandler {
				assert.NotContains(t, w.Body.String(), "unknown vendor")
				assert.NotContains(t, w.Body.String(), "database down")
			}

			list, err := q.List(context.Background())
			require.NoError(t, err)
			require.Len(t, list, 1)
			assert.Nil(t, list[0].Body, "List leaves the bodies out")
			assert.Equal(t, doc.QuarantineID, list[0].ID)
		})
	}
}

// TestQuarantineNeverStoresUnauthenticated: an unsigned, a wrongly signed
// and an unverified (WithInsecureSkipVerify) delivery are never kept.
func TestQuarantineNeverStoresUnauthenticated(t *testing.T) {
	body := fixtures.ContentEnvelope(`{"title":"x"}`) // refused if it got that far
	q := openDisk(t, t.TempDir())
	r, _ := newTestRouter(t, framework.WithQuarantine(q))
	for _, sec := range []string{"", "whsec_wrong"} {
		w := post(t, r, "/webhook", body, sec)
		require.Equal(t, http.StatusUnauthorized, w.Code)
		assert.Empty(t, problem(t, w).QuarantineID)
	}
	w := post(t, r, "/webhook", body, secret)
	insecure, err := framework.NewRouter(framework.WithInsecureSkipVerify(), framework.WithLogger(quietLogger()), framework.WithQuarantine(q))
	require.NoError(t, err)
	framework.Handle(insecure, func(context.Context, Invoice) error { return nil })
	w = post(t, insecure, "/webhook", body, "")
	require.Equal(t, http.StatusUnprocessableEntity, w.Code)
	assert.Empty(t, problem(t, w).QuarantineID)

	list, err := q.List(context.Background())
	require.NoError(t, err)
	require.Len(t, list, 1, "only the signed delivery")
	got, err := q.Get(context.Background(), list[0].ID)
	require.NoError(t, err)
	assert.Equal(t, framework.Sign(secret, body), got.Header.Get("X-Retab-Signature"))
}

// failingStore refuses every Put.
type failingStore struct{ framework.QuarantineStore }

func (failingStore) Put(context.Context, *framework.QuarantineEntry) error {
	return errors.New("disk full")
}

// checkingWriter looks at the store, from another process's point of view
// (a store opened anew on the directory), when the answer's status is
// written.
type checkingWriter struct {
	http.ResponseWriter
	t       *testing.T
	dir     string
	entries int
}

func (c *checkingWriter) WriteHeader(status int) {
	list, err := openDisk(c.t, c.dir).List(context.Background())
	require.NoError(c.t, err)
	c.entries = len(list)
	c.ResponseWriter.WriteHeader(status)
}

// TestQuarantineWrittenBeforeAnswer: the entry is on disk, readable by a
// new process, before the answer's first byte, so a crash right after
// the answer loses nothing answered with an id; when the write fails the
// answer carries no id.
func TestQuarantineWrittenBeforeAnswer(t *testing.T) {
	dir := t.TempDir()
	r, _ := newTestRouter(t, framework.WithQuarantine(openDisk(t, dir)))
	body := fixtures.ContentEnvelope(`{"title":"x"}`)
	req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Retab-Signature", framework.Sign(secret, body))
	rw := httptest.NewRecorder()
	cw := &checkingWriter{ResponseWriter: rw, t: t, dir: dir}
	r.ServeHTTP(cw, req)
	require.Equal(t, http.StatusUnprocessableEntity, rw.Code)
	assert.Equal(t, 1, cw.entries, "stored before the status was written")
	id := problem(t, rw).QuarantineID
	e, err := openDisk(t, dir).Get(context.Background(), id) // a restarted process
	require.NoError(t, err)
	assert.Equal(t, body, e.Body)

	var logs fixtures.SyncBuffer
	failing, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(textLogger(&logs)),
		framework.WithQuarantine(failingStore{}))
	require.NoError(t, err)
	framework.Handle(failing, func(context.Context, Invoice) error { return nil })
	w := post(t, failing, "/webhook", body, secret)
	require.Equal(t, http.StatusUnprocessableEntity, w.Code, "the answer is unchanged")
	doc := problem(t, w)
	assert.Equal(t, framework.ErrSchemaViolation.Type(), doc.Type)
	assert.Empty(t, doc.QuarantineID)
	assert.Contains(t, logs.String(), "could not be quarantined")
}

// Strict refuses dates with slashes (its schema wants YYYY-MM-DD); Fixed,
// the same document with the field as free text, takes them.
type Strict struct {
	Name string `json:"name"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

type Fixed struct {
	Name string `json:"name"`
	Date string `json:"date"`
}

func (Fixed) Kind() string { return "strict" }

// quarantineStrict posts body, whose date Strict refuses, to a router
// quarantining in dir, and returns the router and the entry's id.
func quarantineStrict(t *testing.T, dir string, body []byte) (*framework.Router, string) {
	t.Helper()
	before, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()), framework.WithQuarantine(openDisk(t, dir)))
	require.NoError(t, err)
	framework.Handle(before, func(context.Context, Strict) error { return nil })
	w := post(t, before, "/webhook", body, secret)
	require.Equal(t, http.StatusUnprocessableEntity, w.Code)
	id := problem(t, w).QuarantineID
	require.NotEmpty(t, id)
	return before, id
}

// TestReplayAfterFix: a type refuses content; after the fix, a new router
// over the same store replays the entry and the handler gets the value;
// the entry is gone. A replay refused again keeps the entry with the new
// reason.
func TestReplayAfterFix(t *testing.T) {
	dir := t.TempDir()
	body := fixtures.ContentEnvelope(`{"name":"Party","date":"15/03/2024"}`)
	before, id := quarantineStrict(t, dir, body)

	// Replaying on the unfixed router: refused again, still there.
	res, err := before.Replay(context.Background(), id)
	require.NoError(t, err)
	require.ErrorIs(t, res.Err, framework.ErrSchemaViolation) // the datetime rule is a pattern in the schema
	e, err := before.Quarantine().Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, framework.ErrSchemaViolation.Type(), e.Problem.Type)

	after, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()), framework.WithQuarantine(openDisk(t, dir)))
	require.NoError(t, err)
	var mu sync.Mutex
	var got []Fixed
	framework.Handle(after, func(_ context.Context, v Fixed) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, v)
		return nil
	})
	res, err = after.Replay(context.Background(), id)
	require.NoError(t, err)
	require.NoError(t, res.Err)
	assert.Equal(t, []Fixed{{Name: "Party", Date: "15/03/2024"}}, got)
	assert.Equal(t, "strict", res.Delivery.Kind)
	_, err = after.Quarantine().Get(context.Background(), id)
	require.ErrorIs(t, err, framework.ErrNotQuarantined)

	_, err = after.Replay(context.Background(), id)
	require.ErrorIs(t, err, framework.ErrNotQuarantined, "a replayed entry is gone")
}

// TestQuarantineLegacyDeliveryID: an entry an earlier version wrote, with
// a delivery_id of the legacy form ("dlv_" and the start of the body's
// SHA-256), is still listed and read with that ID, which IsDeliveryID
// recognises, and replays; the replayed delivery has today's ID.
func TestQuarantineLegacyDeliveryID(t *testing.T) {
	dir := t.TempDir()
	body := fixtures.ContentEnvelope(`{"name":"Party","date":"15/03/2024"}`)
	_, id := quarantineStrict(t, dir, body)

	// The record as the earlier version wrote it: the same fields, the
	// delivery_id of its form.
	sum := sha256.Sum256(body)
	legacy := "dlv_" + hex.EncodeToString(sum[:16])
	rec := filepath.Join(dir, id+".json")
	data, err := os.ReadFile(rec)
	require.NoError(t, err)
	current := `"delivery_id":"` + framework.DeliveryID(body) + `"`
	require.Contains(t, string(data), current)
	require.NoError(t, os.WriteFile(rec, []byte(strings.Replace(string(data), current, `"delivery_id":"`+legacy+`"`, 1)), 0o600))

	q := openDisk(t, dir)
	e, err := q.Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, legacy, e.DeliveryID)
	assert.Equal(t, body, e.Body)
	ok, isLegacy := framework.IsDeliveryID(e.DeliveryID)
	assert.True(t, ok)
	assert.True(t, isLegacy)
	list, err := q.List(context.Background())
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, legacy, list[0].DeliveryID)

	after, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()), framework.WithQuarantine(q))
	require.NoError(t, err)
	framework.Handle(after, func(context.Context, Fixed) error { return nil })
	res, err := after.Replay(context.Background(), id)
	require.NoError(t, err)
	require.NoError(t, res.Err)
	assert.Equal(t, framework.DeliveryID(body), res.Delivery.ID)
}

// TestReplayKeepsTheRoute: an entry refused for an unknown kind named in
// the path replays to that kind once it is registered.
func TestReplayKeepsTheRoute(t *testing.T) {
	dir := t.TempDir()
	body := fixtures.ContentEnvelope(`{"name":"Party","date":"2023-12-31"}`)
	r, _ := newTestRouter(t, framework.WithQuarantine(openDisk(t, dir)))
	mux := http.NewServeMux()
	mux.Handle("/webhook/{kind}", r)
	w := post(t, mux, "/webhook/twin", body, secret)
	require.Equal(t, http.StatusUnprocessableEntity, w.Code)
	id := problem(t, w).QuarantineID

	r2, rec := newTestRouter(t, framework.WithQuarantine(openDisk(t, dir)))
	var twins []Twin
	framework.Handle(r2, func(_ context.Context, v Twin) error { twins = append(twins, v); return nil })
	res, err := r2.Replay(context.Background(), id)
	require.NoError(t, err)
	require.NoError(t, res.Err)
	assert.Equal(t, []Twin{{Name: "Party", Date: "2023-12-31"}}, twins, "to the kind the path named, not the calendar event that matches too")
	assert.Empty(t, rec.events)
}

// dropCounter is a QuarantineObserver.
type dropCounter struct {
	mu      sync.Mutex
	reasons []string
	ids     []string
}

func (d *dropCounter) QuarantineDropped(_ context.Context, e framework.QuarantineEntry, reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reasons = append(d.reasons, reason)
	d.ids = append(d.ids, e.ID)
}

func putEntry(t *testing.T, q framework.QuarantineStore, at time.Time, size int) string {
	t.Helper()
	e := &framework.QuarantineEntry{ID: framework.NewQuarantineID(at), ReceivedAt: at, Body: bytes.Repeat([]byte("x"), size), Size: int64(size)}
	require.NoError(t, q.Put(context.Background(), e))
	return e.ID
}

// TestDiskQuarantineBounds: past the size limit the oldest entries go
// first, past the age limit the old ones go, and each drop is logged and
// observed.
func TestDiskQuarantineBounds(t *testing.T) {
	var logs fixtures.SyncBuffer
	obs := &dropCounter{}
	q, err := framework.OpenDiskQuarantine(t.TempDir(), framework.DiskMaxBytes(3500), framework.DiskMaxAge(24*time.Hour),
		framework.DiskObserver(obs), framework.DiskLogger(textLogger(&logs)))
	require.NoError(t, err)
	now := time.Now()
	var ids []string
	for i := range 5 {
		ids = append(ids, putEntry(t, q, now.Add(time.Duration(i-10)*time.Second), 1000))
	}
	list, err := q.List(context.Background())
	require.NoError(t, err)
	var kept []string
	for _, e := range list {
		kept = append(kept, e.ID)
	}
	assert.Equal(t, ids[2:], kept, "each entry is 1000 bytes and its record: three fit, the two oldest went")
	assert.Equal(t, []string{"size", "size"}, obs.reasons)
	assert.Equal(t, ids[:2], obs.ids)
	assert.Equal(t, 2, strings.Count(logs.String(), "dropped the oldest entry"))

	old := putEntry(t, q, now.Add(-48*time.Hour), 10)
	_, err = q.Get(context.Background(), old)
	require.NoError(t, err, "the entry just written is never dropped")
	putEntry(t, q, now, 10)
	_, err = q.Get(context.Background(), old)
	require.ErrorIs(t, err, framework.ErrNotQuarantined)
	assert.Equal(t, "age", obs.reasons[len(obs.reasons)-1])
}

func TestDiskQuarantineRefusesOtherIDs(t *testing.T) {
	q := openDisk(t, t.TempDir())
	for _, id := range []string{"", "../etc/passwd", "q_../../x", "q_0123456789abcdef01234", "Q_0123456789abcdef0123"} {
		_, err := q.Get(context.Background(), id)
		require.ErrorIs(t, err, framework.ErrNotQuarantined, id)
		require.ErrorIs(t, q.Delete(context.Background(), id), framework.ErrNotQuarantined, id)
	}
	require.Error(t, q.Put(context.Background(), &framework.QuarantineEntry{ID: "../x"}))
}

func TestRejectIsAnError(t *testing.T) {
	cause := errors.New("unknown vendor")
	err := framework.Reject(cause)
	require.ErrorIs(t, err, framework.ErrRejected)
	require.ErrorIs(t, err, cause)
	assert.Equal(t, http.StatusUnprocessableEntity, framework.StatusOf(err))
	var re *framework.RejectedError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, cause, re.Err)
}

func textLogger(w *fixtures.SyncBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// TestQuarantineIgnoredEvents: with WithQuarantineIgnoredEvents an event
// nobody handles is kept (still answered 200 ignored, with its id) and
// replays to the handler registered later; without it nothing is kept.
func TestQuarantineIgnoredEvents(t *testing.T) {
	d, err := retabtest.NewEvent("workflow.run.started", json.RawMessage(`{"id":"run_2"}`))
	require.NoError(t, err)
	dir := t.TempDir()
	for _, keep := range []bool{false, true} {
		opts := []framework.Option{framework.WithSecrets(retabtest.Secret), framework.WithLogger(quietLogger()), framework.WithQuarantine(openDisk(t, dir))}
		if keep {
			opts = append(opts, framework.WithQuarantineIgnoredEvents())
		}
		r, err := framework.NewRouter(opts...)
		require.NoError(t, err)
		framework.HandleEvent(r, framework.EventWorkflowRunCompleted, func(context.Context, framework.WorkflowRun) error { return nil })
		res := retabtest.Serve(r, d, "/webhook")
		require.Equal(t, http.StatusOK, res.Status)
		var answer struct {
			Status       string
			QuarantineID string `json:"quarantine_id"`
		}
		require.NoError(t, json.Unmarshal(res.Body, &answer))
		assert.Equal(t, "ignored", answer.Status)
		list, err := r.Quarantine().List(context.Background())
		require.NoError(t, err)
		if !keep {
			assert.Empty(t, answer.QuarantineID)
			assert.Empty(t, list)
			continue
		}
		require.Len(t, list, 1)
		assert.Equal(t, answer.QuarantineID, list[0].ID, "answer: %s", res.Body)
		assert.Equal(t, framework.ErrIgnoredEvent.Type(), list[0].Problem.Type)

		// Still nobody handles it: it stays.
		rr, err := r.Replay(context.Background(), answer.QuarantineID)
		require.NoError(t, err)
		require.ErrorIs(t, rr.Err, framework.ErrIgnoredEvent)

		later, err := framework.NewRouter(framework.WithSecrets(retabtest.Secret), framework.WithLogger(quietLogger()), framework.WithQuarantine(openDisk(t, dir)))
		require.NoError(t, err)
		var runs []framework.WorkflowRun
		framework.HandleEvent(later, "workflow.run.started", func(_ context.Context, run framework.WorkflowRun) error {
			runs = append(runs, run)
			return nil
		})
		rr, err = later.Replay(context.Background(), answer.QuarantineID)
		require.NoError(t, err)
		require.NoError(t, rr.Err)
		require.Len(t, runs, 1)
		assert.Equal(t, "run_2", runs[0].ID)
	}
}

// TestDiskQuarantineConcurrentPuts: concurrent writers within the bound
// all land, and a second store on the directory (another process) sees
// them and its deletes are seen.
func TestDiskQuarantineConcurrentPuts(t *testing.T) {
	dir := t.TempDir()
	q := openDisk(t, dir, framework.DiskMaxBytes(1<<20))
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() { putEntry(t, q, time.Now().Add(time.Duration(i)*time.Millisecond), 100) })
	}
	wg.Wait()
	other := openDisk(t, dir)
	list, err := other.List(context.Background())
	require.NoError(t, err)
	require.Len(t, list, 40)
	for _, e := range list[:20] {
		require.NoError(t, other.Delete(context.Background(), e.ID))
	}
	list, err = q.List(context.Background())
	require.NoError(t, err)
	assert.Len(t, list, 20)
}

func BenchmarkDiskQuarantinePut(b *testing.B) {
	q, err := framework.OpenDiskQuarantine(b.TempDir(), framework.DiskLogger(quietLogger()))
	require.NoError(b, err)
	body := fixtures.TypicalDelivery()
	for b.Loop() {
		now := time.Now()
		e := &framework.QuarantineEntry{ID: framework.NewQuarantineID(now), ReceivedAt: now, Body: body, Size: int64(len(body))}
		if err := q.Put(context.Background(), e); err != nil {
			b.Fatal(err)
		}
	}
}

// TestQuarantineEveryFormat: an End-node delivery and a signed extraction
// event refused for their content are kept with their exact bytes and the
// headers of their own signature schemes (Retab-Signature; the
// timestamped X-Retab-Signature and X-Retab-Environment), and replay after
// a fix, with no signature check (a timestamped one would have expired).
func TestQuarantineEveryFormat(t *testing.T) {
	bad := map[string]string{"name": "Party", "date": "15/03/2024"}
	endNode, err := retabtest.NewEndNodeDelivery(bad)
	require.NoError(t, err)
	event, err := retabtest.NewExtractionEvent(bad, retabtest.WithEnvironment("production"))
	require.NoError(t, err)
	for name, tt := range map[string]struct {
		d       *retabtest.Delivery
		headers []string
	}{
		"end node":         {endNode, []string{"Retab-Signature"}},
		"extraction event": {event, []string{"X-Retab-Signature", "X-Retab-Environment"}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			opts := []framework.Option{framework.WithSecrets(retabtest.Secret), framework.WithEnvironmentSecrets("production", retabtest.Secret),
				framework.WithLogger(quietLogger()), framework.WithQuarantine(openDisk(t, dir))}
			r, err := framework.NewRouter(opts...)
			require.NoError(t, err)
			framework.Handle(r, func(context.Context, Strict) error { return nil })
			res := retabtest.Serve(r, tt.d, "/webhook")
			require.Equal(t, http.StatusUnprocessableEntity, res.Status, "body: %s", res.Body)
			require.NotNil(t, res.Problem)
			id := res.Problem.QuarantineID
			e, err := r.Quarantine().Get(context.Background(), id)
			require.NoError(t, err)
			assert.Equal(t, tt.d.Body, e.Body)
			for _, h := range tt.headers {
				assert.Equal(t, tt.d.Header.Get(h), e.Header.Get(h), h)
				assert.NotEmpty(t, e.Header.Get(h), h)
			}

			fixed, err := framework.NewRouter(opts...)
			require.NoError(t, err)
			var got []Fixed
			framework.Handle(fixed, func(_ context.Context, v Fixed) error { got = append(got, v); return nil })
			rr, err := fixed.Replay(context.Background(), id)
			require.NoError(t, err)
			require.NoError(t, rr.Err)
			assert.Equal(t, []Fixed{{Name: "Party", Date: "15/03/2024"}}, got)
		})
	}
}
