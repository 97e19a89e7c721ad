package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/printable"
	"github.com/retabhook/retabhook/schemas"
)

const listenUsage = `Usage: retabhook listen [flags]

Runs a local receiver that verifies each delivery POSTed to it (any path),
records it in a folder and prints a one-line summary. Point "retabhook send"
at it, or a Retab automation through a tunnel, to see what really arrives;
with -forward it also hands each delivery on to your own receiver.
A delivery is recorded even when its signature does not match (and answered
401), since that is when it is most worth inspecting.
Each line names the delivery's format (completion, end_node, event), the
scheme that verified it (hex: HMAC of the body; timestamped: t=...,v1=...)
and, for a timestamped signature, the formula that matched (t.body or body:
both are tried) and its age: one real delivery tells what Retab sends.

Each delivery is saved as two files in the folder:
  <time>-<n>-<delivery id>.json       the body, byte for byte as received
  <time>-<n>-<delivery id>.meta.json  method, path, headers (signature redacted),
                                      verification result, status answered, summary
Re-send them elsewhere with: retabhook replay URL <folder>

Flags:
  -addr HOST:PORT          the address to listen on (default: 127.0.0.1:8000)
  -dir DIR                 the folder to record into, created if needed
                           (default: retabhook-deliveries)
  -secret S                a webhook secret; repeat it to accept several
                           (default: $WEBHOOKS_SECRET)
  -insecure-skip-verify    record and accept every delivery without checking
                           its signature
  -max-body-bytes N        refuse larger bodies with 413 (default: 67108864, 64 MiB)
  -max-inflight-bytes N    refuse a delivery with 503 while the bodies being read
                           would hold more than N bytes (their declared sizes; the
                           body limit when undeclared) (default: 268435456, 256 MiB)
  -max-recorded-bytes N    stop recording once the bodies recorded since start
                           reach N bytes: later deliveries get 503 (default:
                           1073741824, 1 GiB)
  -forward URL             also POST each verified delivery to URL (your receiver),
                           keeping the path and query it was sent to, as a reverse
                           proxy does (-forward http://127.0.0.1:8000 sends
                           /webhook/invoice?x=1 on to http://127.0.0.1:8000/webhook/invoice?x=1;
                           a path in URL is a prefix), and answer the sender with
                           that receiver's answer; 502 when it cannot be reached
  -forward-secret S        sign forwarded deliveries with S (default: the first
                           -secret; with -insecure-skip-verify and no secret, the
                           signature headers are passed on as they came)
  -timeout D               with -forward, give up on an answer after D (default: 30s)

Everything printed from a delivery (paths, models, keys, file names) has its
control bytes escaped (\x1b, \n), so a delivery cannot drive the terminal or
forge an output line.

Stop it with Ctrl-C.
`

const metaSuffix = ".meta.json"

func (c *cli) listen(ctx context.Context, args []string) error {
	fs := newFlags("listen")
	addr := fs.String("addr", "127.0.0.1:8000", "")
	dir := fs.String("dir", "retabhook-deliveries", "")
	var flagged secretsFlag
	fs.Var(&flagged, "secret", "")
	insecure := fs.Bool("insecure-skip-verify", false, "")
	maxBody := fs.Int64("max-body-bytes", framework.DefaultMaxBodyBytes, "")
	maxInFlight := fs.Int64("max-inflight-bytes", 256<<20, "")
	maxRecorded := fs.Int64("max-recorded-bytes", 1<<30, "")
	forward := fs.String("forward", "", "")
	forwardSecret := fs.String("forward-secret", "", "")
	timeout := fs.Duration("timeout", 30*time.Second, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("listen takes no arguments, got %q", pos)
	}
	if *maxBody <= 0 || *maxInFlight <= 0 || *maxRecorded <= 0 {
		return usageErr("-max-body-bytes, -max-inflight-bytes and -max-recorded-bytes must be positive")
	}
	var forwardTo *url.URL
	if *forward != "" {
		if err := checkURL(*forward); err != nil {
			return err
		}
		forwardTo, _ = url.Parse(*forward)
	}
	var secrets []string
	if !*insecure {
		if secrets, err = c.secrets(flagged); err != nil {
			return usageErr("%s; or pass -insecure-skip-verify to record without checking", noSecretHelp)
		}
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return inputErr("cannot create the folder to record into: %v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return unreachable("could not listen on %s: %v; is another receiver using that port? Choose another with -addr", *addr, err)
	}
	rec := &recorder{dir: *dir, secrets: secrets, maxBody: *maxBody, maxInFlight: *maxInFlight, maxRecorded: *maxRecorded, out: c.stdout, now: time.Now,
		forward: forwardTo, forwardSecret: *forwardSecret, client: newClient(*timeout, 4)}
	if rec.forwardSecret == "" && len(secrets) > 0 {
		rec.forwardSecret = secrets[0]
	}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
	base := "http://" + ln.Addr().String()
	verifying := fmt.Sprintf("verifying with %d secret(s)", len(secrets))
	if *insecure {
		verifying = "NOT verifying signatures"
	}
	rec.printf("listening on %s (any path), recording to %s, %s; Ctrl-C stops\n", base, *dir, verifying)
	if forwardTo != nil {
		rec.printf("forwarding verified deliveries to %s, keeping their path and query (POST /webhook/invoice goes to %s)\n",
			*forward, forwardURL(forwardTo, &url.URL{Path: "/webhook/invoice"}))
	}
	rec.printf("try: retabhook send -content FILE %s/webhook\n", base)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return unreachable("serving on %s: %v", base, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	rec.mu.Lock()
	n := rec.n
	rec.mu.Unlock()
	rec.printf("stopped: %d delivery(ies) recorded in %s\n", n, *dir)
	return nil
}

// recorder is the listen command's http.Handler.
type recorder struct {
	dir           string
	secrets       []string // none: not verifying
	maxBody       int64
	maxInFlight   int64 // bytes the bodies being read may hold
	maxRecorded   int64 // bytes of bodies recorded before refusing
	now           func() time.Time
	forward       *url.URL // nil: not forwarding
	forwardSecret string
	client        *http.Client

	mu       sync.Mutex // guards out, n, inFlight, recorded and file names
	out      io.Writer
	n        int
	inFlight int64
	recorded int64
}

// reserve takes n bytes of -max-inflight-bytes; false when they are not
// free.
func (rc *recorder) reserve(n int64) bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.inFlight+n > rc.maxInFlight {
		return false
	}
	rc.inFlight += n
	return true
}

func (rc *recorder) release(n int64) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.inFlight -= n
}

// errListenFull is answered when listen's bounds refuse a delivery.
var errListenFull = &framework.Problem{Slug: "listen-full", Title: "Listener full", Status: http.StatusServiceUnavailable}

func (rc *recorder) printf(format string, a ...any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	fmt.Fprintf(rc.out, format, a...)
}

// meta is what the .meta.json file holds.
type meta struct {
	ReceivedAt  time.Time   `json:"received_at"`
	RemoteAddr  string      `json:"remote_addr"`
	Method      string      `json:"method"`
	Path        string      `json:"path"`
	Query       string      `json:"query,omitempty"`
	Header      http.Header `json:"header"`
	BodyFile    string      `json:"body_file"`
	BodyBytes   int         `json:"body_bytes"`
	DeliveryID  string      `json:"delivery_id"`
	Verified    bool        `json:"verified"`
	SecretIndex int         `json:"secret_index"`
	Scheme      string      `json:"scheme,omitempty"`
	Formula     string      `json:"formula,omitempty"`
	SignedAt    *time.Time  `json:"signed_at,omitempty"`
	Status      int         `json:"status"`
	Problem     string      `json:"problem,omitempty"`
	Forward     *forwarded  `json:"forward,omitempty"`
	Summary     summary     `json:"summary"`
}

// forwarded is the result of -forward.
type forwarded struct {
	URL    string `json:"url"`
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// summary is what the body says, as far as it can be decoded.
type summary struct {
	Format       string   `json:"format,omitempty"`
	EventID      string   `json:"event_id,omitempty"`
	EventType    string   `json:"event_type,omitempty"`
	Environment  string   `json:"environment,omitempty"`
	CompletionID string   `json:"completion_id,omitempty"`
	Model        string   `json:"model,omitempty"`
	Choices      int      `json:"choices"`
	ContentKeys  []string `json:"content_keys,omitempty"`
	Annotations  int      `json:"annotations,omitempty"`
	User         string   `json:"user,omitempty"`
	Filename     string   `json:"filename,omitempty"`
	FileMIMEType string   `json:"file_mime_type,omitempty"`
	FileBytes    int      `json:"file_bytes,omitempty"`
	Issue        string   `json:"issue,omitempty"`
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := rc.now().UTC()
	if r.Method != http.MethodPost {
		framework.WriteProblem(w, r, fmt.Errorf("%w: %s", framework.ErrMethodNotAllowed, printable.Quote(r.Method, printable.MaxEcho)))
		rc.printf("%s %d %s %s (not recorded: deliveries are POSTs)\n", received.Local().Format("15:04:05"), http.StatusMethodNotAllowed,
			printable.EscapeCut(r.Method, printable.MaxEcho), printable.EscapeCut(r.URL.Path, printable.MaxEcho))
		return
	}
	if r.ContentLength > rc.maxBody {
		err := fmt.Errorf("%w: %d bytes declared, limit is %d bytes (-max-body-bytes)", framework.ErrBodyTooLarge, r.ContentLength, rc.maxBody)
		w.Header().Set("Connection", "close")
		framework.WriteProblem(w, r, err)
		rc.printf("%s %d POST %s (not recorded: %v)\n", received.Local().Format("15:04:05"), framework.StatusOf(err), printable.EscapeCut(r.URL.Path, printable.MaxEcho), err)
		return
	}
	hold := r.ContentLength
	if hold < 0 {
		hold = rc.maxBody
	}
	if !rc.reserve(hold) {
		w.Header().Set("Connection", "close")
		framework.WriteProblem(w, r, fmt.Errorf("%w: the bodies being read hold -max-inflight-bytes (%d)", errListenFull, rc.maxInFlight))
		rc.printf("%s 503 POST %s (not recorded: the bodies being read already hold -max-inflight-bytes, %s; raise it, or send fewer at once)\n",
			received.Local().Format("15:04:05"), printable.EscapeCut(r.URL.Path, printable.MaxEcho), size(int(rc.maxInFlight)))
		return
	}
	defer rc.release(hold)
	body, err := io.ReadAll(io.LimitReader(r.Body, rc.maxBody+1))
	if err == nil && int64(len(body)) > rc.maxBody {
		err = fmt.Errorf("%w: limit is %d bytes (-max-body-bytes)", framework.ErrBodyTooLarge, rc.maxBody)
	} else if err != nil {
		err = fmt.Errorf("%w: %w", framework.ErrBodyRead, err)
	}
	if err != nil {
		framework.WriteProblem(w, r, err)
		rc.printf("%s %d POST %s (not recorded: %s)\n", received.Local().Format("15:04:05"), framework.StatusOf(err), printable.EscapeCut(r.URL.Path, printable.MaxEcho), printable.Escape(err.Error()))
		return
	}

	m := meta{
		ReceivedAt: received, RemoteAddr: r.RemoteAddr, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Header: redact(r.Header), BodyBytes: len(body), DeliveryID: framework.DeliveryID(body),
		SecretIndex: -1, Status: http.StatusOK, Summary: summarize(body),
	}
	var verr error
	if len(rc.secrets) > 0 {
		var v framework.Verification
		v, verr = framework.VerifyHeaders(r.Header, body, rc.secrets...)
		m.SecretIndex, m.Verified = v.SecretIndex, verr == nil
		if verr == nil {
			m.Scheme, m.Formula = v.Scheme, string(v.Formula)
			if !v.SignedAt.IsZero() {
				m.SignedAt = &v.SignedAt
			}
		}
		if verr != nil {
			m.Status, m.Problem = framework.StatusOf(verr), verr.Error()
		}
	}

	name, err := rc.saveBody(body, &m)
	if errors.Is(err, errListenFull) {
		framework.WriteProblem(w, r, err)
		rc.printf("%s 503 POST %s %s (not recorded: -max-recorded-bytes, %s, reached; start again with another -dir or a larger limit)\n",
			received.Local().Format("15:04:05"), printable.EscapeCut(r.URL.Path, printable.MaxEcho), shortID(m.DeliveryID), size(int(rc.maxRecorded)))
		return
	}
	if err != nil {
		// Not recorded: say so, so the sender tries again.
		framework.WriteProblem(w, r, errors.New("the delivery could not be recorded"))
		rc.printf("%s 500 POST %s %s NOT RECORDED: %s\n", received.Local().Format("15:04:05"), printable.EscapeCut(r.URL.Path, printable.MaxEcho), m.DeliveryID, printable.Escape(err.Error()))
		return
	}
	var fwd *answer
	if verr == nil && rc.forward != nil {
		fwd = rc.forwardBody(r, body, &m)
	}
	merr := rc.saveMeta(name, &m)
	switch {
	case verr != nil:
		framework.WriteProblem(w, r, verr)
	case fwd != nil && fwd.err != nil:
		framework.WriteProblem(w, r, fmt.Errorf("%w: %s", errForward, m.Forward.Error))
	case fwd != nil:
		// The sender gets the answer of the receiver it was forwarded to.
		if ct := fwd.header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(fwd.status)
		_, _ = w.Write(fwd.body)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(struct {
			Status     string `json:"status"`
			DeliveryID string `json:"delivery_id"`
		}{"recorded", m.DeliveryID})
	}
	l := line(&m, filepath.Join(rc.dir, name+".json"), verr, len(rc.secrets) > 0)
	if merr != nil {
		l += " (meta file not written: " + printable.Escape(merr.Error()) + ")"
	}
	rc.printf("%s\n", l)
}

// forwardURL is where a delivery sent to sent goes with -forward base: the
// sender's path appended to base's path and its query to base's query, as
// a reverse proxy joins them, byte for byte as escaped (so
// /webhook/purchase_order keeps its kind through the tunnel).
func forwardURL(base, sent *url.URL) string {
	u := *base
	p := strings.TrimSuffix(base.EscapedPath(), "/") + sent.EscapedPath()
	if p == "" {
		p = "/"
	}
	if unescaped, err := url.PathUnescape(p); err == nil {
		u.Path, u.RawPath = unescaped, p
	}
	switch {
	case base.RawQuery == "":
		u.RawQuery = sent.RawQuery
	case sent.RawQuery != "":
		u.RawQuery = base.RawQuery + "&" + sent.RawQuery
	}
	return u.String()
}

// errForward is answered when -forward's receiver could not be reached.
var errForward = &framework.Problem{Slug: "forward-failed", Title: "Forwarding failed", Status: http.StatusBadGateway}

// forwardBody POSTs the body to -forward, signed with the forward secret
// (or with the signature headers it came with when there is none), and
// notes the result in m.
func (rc *recorder) forwardBody(r *http.Request, body []byte, m *meta) *answer {
	h := http.Header{"Content-Type": {r.Header.Get("Content-Type")}}
	if env := r.Header.Get(framework.EnvironmentHeader); env != "" {
		h.Set(framework.EnvironmentHeader, env)
	}
	if rc.forwardSecret != "" {
		// Re-signed in the scheme and formula that verified it.
		if m.Scheme == "timestamped" {
			h.Set(retabtest.SignatureHeader, framework.SignTimestamped(rc.forwardSecret, time.Now(), body, framework.Formula(m.Formula)))
		} else {
			h.Set(retabtest.SignatureHeader, framework.Sign(rc.forwardSecret, body))
		}
	} else {
		for _, k := range []string{"X-Retab-Signature", "Retab-Signature"} {
			if v := r.Header.Get(k); v != "" {
				h.Set(k, v)
			}
		}
	}
	to := forwardURL(rc.forward, r.URL)
	a := post(r.Context(), rc.client, to, body, h)
	m.Forward = &forwarded{URL: to, Status: a.status}
	if a.err != nil {
		m.Forward.Error = transportAdvice(to, rc.client.Timeout, a.err)
	}
	m.Status = a.status
	if a.err != nil {
		m.Status = errForward.Status
	}
	return &a
}

// saveBody writes the body under a name no other delivery has and
// returns the name without extension.
func (rc *recorder) saveBody(body []byte, m *meta) (string, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.recorded+int64(len(body)) > rc.maxRecorded {
		return "", fmt.Errorf("%w: -max-recorded-bytes (%d) reached", errListenFull, rc.maxRecorded)
	}
	base := fmt.Sprintf("%s-%04d-%s", m.ReceivedAt.Format("20060102T150405.000000Z"), rc.n+1, shortID(m.DeliveryID))
	name := base
	for i := 2; ; i++ {
		f, err := os.OpenFile(filepath.Join(rc.dir, name+".json"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			name = fmt.Sprintf("%s-%d", base, i)
			continue
		}
		if err != nil {
			return "", err
		}
		_, err = f.Write(body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return "", err
		}
		break
	}
	rc.n++
	rc.recorded += int64(len(body))
	m.BodyFile = name + ".json"
	return name, nil
}

func (rc *recorder) saveMeta(name string, m *meta) error {
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(rc.dir, name+metaSuffix), append(mb, '\n'), 0o600)
}

// redact copies headers with secrets and signatures replaced.
func redact(h http.Header) http.Header {
	out := h.Clone()
	for k := range out {
		switch strings.ToLower(k) {
		case "x-retab-signature", "retab-signature", "uiform-signature", "authorization", "cookie", "proxy-authorization":
			out[k] = []string{"[redacted]"}
		}
	}
	return out
}

// summarize decodes what it can of a body; Issue says what it could not.
func summarize(body []byte) summary {
	var s summary
	d, err := framework.Decode(body)
	if d == nil {
		s.Issue = err.Error()
		return s
	}
	s.Format = d.Format
	s.CompletionID, s.Model, s.Choices, s.User = d.CompletionID, d.Model, len(d.Choices), d.User
	s.Filename, s.FileMIMEType, s.FileBytes = d.File.Filename, d.File.MIMEType, d.File.Size
	if ev := d.Event; ev != nil {
		s.EventID, s.EventType, s.Environment = ev.ID, ev.Type, ev.Environment
	}
	if err != nil {
		s.Issue = err.Error()
		return s
	}
	content := []byte(d.Content)
	if content == nil {
		return s
	}
	inst, err := schemas.ParseInstance(content)
	if err != nil {
		s.Issue = "content is not JSON: " + err.Error()
		return s
	}
	s.Annotations = len(inst.Annotations)
	if obj, ok := inst.Value.(map[string]any); ok {
		// Keys in the order sent.
		var keys []string
		listed := map[string]bool{}
		dec := json.NewDecoder(strings.NewReader(string(content)))
		depth := 0
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch t := tok.(type) {
			case json.Delim:
				if t == '{' || t == '[' {
					depth++
				} else {
					depth--
				}
				continue
			case string:
				if depth == 1 {
					if _, kept := obj[t]; kept && !listed[t] {
						keys, listed[t] = append(keys, t), true
					}
					// Skip the value.
					var skip json.RawMessage
					if dec.Decode(&skip) != nil {
						return s
					}
				}
			}
		}
		s.ContentKeys = keys
	}
	return s
}

// line is the one-line summary of a recorded delivery.
func line(m *meta, saved string, verr error, verifying bool) string {
	var b strings.Builder
	// Everything from the delivery is escaped (printable.EscapeCut): it
	// is unauthenticated until verified, and a control byte or a newline
	// would drive the terminal or forge a line.
	esc := func(s string) string { return printable.EscapeCut(s, printable.MaxEcho) }
	fmt.Fprintf(&b, "%s %d POST %s %s %s", m.ReceivedAt.Local().Format("15:04:05"), m.Status, esc(m.Path), size(m.BodyBytes), shortID(m.DeliveryID))
	switch {
	case !verifying:
		b.WriteString(" unverified")
	case verr != nil:
		var se *framework.SignatureError
		reason := "invalid signature"
		if errors.As(verr, &se) {
			switch se.Reason {
			case framework.SignatureMissing:
				reason = "no signature header"
			case framework.SignatureMalformed:
				reason = "malformed signature"
			case framework.SignatureMismatch:
				reason = "signature matches no secret"
			}
		}
		fmt.Fprintf(&b, " REFUSED (%s: is the sender's secret one of -secret/WEBHOOKS_SECRET?)", reason)
	default:
		fmt.Fprintf(&b, " verified(secret %d)", m.SecretIndex+1)
	}
	s := m.Summary
	if s.Format != "" {
		fmt.Fprintf(&b, " format=%s", s.Format)
	}
	if m.Scheme != "" {
		fmt.Fprintf(&b, " scheme=%s", m.Scheme)
		if m.Scheme == "timestamped" {
			fmt.Fprintf(&b, " formula=%s", esc(m.Formula))
			if m.SignedAt != nil {
				fmt.Fprintf(&b, " signed=%s ago", m.ReceivedAt.Sub(*m.SignedAt).Round(time.Second))
			}
		}
	}
	if s.EventType != "" {
		fmt.Fprintf(&b, " event=%s(%s, %s)", esc(s.EventType), esc(s.EventID), esc(s.Environment))
	}
	if s.Model != "" {
		fmt.Fprintf(&b, " model=%s", esc(s.Model))
	}
	if s.Choices > 1 {
		fmt.Fprintf(&b, " choices=%d", s.Choices)
	}
	if len(s.ContentKeys) > 0 {
		keys := s.ContentKeys
		more := ""
		if len(keys) > 4 {
			keys, more = keys[:4], fmt.Sprintf(",+%d", len(s.ContentKeys)-4)
		}
		shown := make([]string, len(keys))
		for i, k := range keys {
			shown[i] = esc(k)
		}
		fmt.Fprintf(&b, " content={%s%s}", strings.Join(shown, ","), more)
	}
	if s.Annotations > 0 {
		fmt.Fprintf(&b, " annotations=%d", s.Annotations)
	}
	if s.Filename != "" {
		fmt.Fprintf(&b, " file=%s", esc(s.Filename))
		switch {
		case s.FileMIMEType != "" && s.Format == "event":
			fmt.Fprintf(&b, "(%s, no bytes in events)", esc(s.FileMIMEType))
		case s.FileMIMEType != "":
			fmt.Fprintf(&b, "(%s, %s)", esc(s.FileMIMEType), size(s.FileBytes))
		}
	}
	if s.Issue != "" {
		fmt.Fprintf(&b, " issue=%s", printable.Quote(s.Issue, 2*printable.MaxEcho))
	}
	if f := m.Forward; f != nil {
		if f.Error != "" {
			reason, _, _ := strings.Cut(f.Error, "\n")
			fmt.Fprintf(&b, " forward FAILED (%s)", printable.Escape(reason))
		} else {
			fmt.Fprintf(&b, " forwarded=%d", f.Status)
		}
	}
	fmt.Fprintf(&b, " -> %s", printable.Escape(saved))
	return b.String()
}

// shortID is the start of a delivery ID that names a recording and a
// line: its prefix ("dlv2_") and 12 hex digits.
func shortID(id string) string { return id[:min(len(id), len(framework.DeliveryIDPrefix)+12)] }
