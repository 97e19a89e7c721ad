package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/envelope"
	"github.com/retabhook/retabhook/schemas"
)

const listenUsage = `Usage: retabhook listen [flags]

Runs a local receiver that verifies each delivery POSTed to it (any path),
records it in a folder and prints a one-line summary. Point "retabhook send"
at it, or a Retab automation through a tunnel, to see what really arrives.
A delivery is recorded even when its signature does not match (and answered
401), since that is when it is most worth inspecting.

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
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErr("listen takes no arguments, got %q", pos)
	}
	if *maxBody <= 0 {
		return usageErr("-max-body-bytes must be positive")
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
	rec := &recorder{dir: *dir, secrets: secrets, maxBody: *maxBody, out: c.stdout, now: time.Now}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	url := "http://" + ln.Addr().String()
	verifying := fmt.Sprintf("verifying with %d secret(s)", len(secrets))
	if *insecure {
		verifying = "NOT verifying signatures"
	}
	rec.printf("listening on %s (any path), recording to %s, %s; Ctrl-C stops\n", url, *dir, verifying)
	rec.printf("try: retabhook send -content FILE %s/webhook\n", url)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return unreachable("serving on %s: %v", url, err)
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
	dir     string
	secrets []string // none: not verifying
	maxBody int64
	now     func() time.Time

	mu  sync.Mutex // guards out, n and file names
	out io.Writer
	n   int
}

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
	Status      int         `json:"status"`
	Problem     string      `json:"problem,omitempty"`
	Summary     summary     `json:"summary"`
}

// summary is what the body says, as far as it can be decoded.
type summary struct {
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
		framework.WriteProblem(w, r, fmt.Errorf("%w: %s", framework.ErrMethodNotAllowed, r.Method))
		rc.printf("%s %d %s %s (not recorded: deliveries are POSTs)\n", received.Local().Format("15:04:05"), http.StatusMethodNotAllowed, r.Method, r.URL.Path)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, rc.maxBody+1))
	if err == nil && int64(len(body)) > rc.maxBody {
		err = fmt.Errorf("%w: limit is %d bytes (-max-body-bytes)", framework.ErrBodyTooLarge, rc.maxBody)
	} else if err != nil {
		err = fmt.Errorf("%w: %w", framework.ErrBodyRead, err)
	}
	if err != nil {
		framework.WriteProblem(w, r, err)
		rc.printf("%s %d POST %s (not recorded: %v)\n", received.Local().Format("15:04:05"), framework.StatusOf(err), r.URL.Path, err)
		return
	}

	sum := sha256.Sum256(body)
	m := meta{
		ReceivedAt: received, RemoteAddr: r.RemoteAddr, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Header: redact(r.Header), BodyBytes: len(body), DeliveryID: "dlv_" + hex.EncodeToString(sum[:16]),
		SecretIndex: -1, Status: http.StatusOK, Summary: summarize(body),
	}
	var verr error
	if len(rc.secrets) > 0 {
		sig := r.Header.Get("X-Retab-Signature")
		if sig == "" {
			sig = r.Header.Get("Retab-Signature")
		}
		m.SecretIndex, verr = framework.Verify(body, sig, rc.secrets...)
		m.Verified = verr == nil
		if verr != nil {
			m.Status, m.Problem = framework.StatusOf(verr), verr.Error()
		}
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	name, err := rc.save(body, &m)
	if err != nil {
		// Not recorded: say so, so the sender tries again.
		framework.WriteProblem(w, r, errors.New("the delivery could not be recorded"))
		fmt.Fprintf(rc.out, "%s 500 POST %s %s NOT RECORDED: %v\n", received.Local().Format("15:04:05"), r.URL.Path, m.DeliveryID, err)
		return
	}
	rc.n++
	if verr != nil {
		framework.WriteProblem(w, r, verr)
	} else {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(struct {
			Status     string `json:"status"`
			DeliveryID string `json:"delivery_id"`
		}{"recorded", m.DeliveryID})
	}
	fmt.Fprintln(rc.out, line(&m, name, verr, len(rc.secrets) > 0))
}

// save writes the body and its meta file under a name no other delivery
// has; the caller holds rc.mu.
func (rc *recorder) save(body []byte, m *meta) (string, error) {
	base := fmt.Sprintf("%s-%04d-%s", m.ReceivedAt.Format("20060102T150405.000000Z"), rc.n+1, m.DeliveryID[:16])
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
	m.BodyFile = name + ".json"
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(rc.dir, name+metaSuffix), append(mb, '\n'), 0o600); err != nil {
		return "", err
	}
	return filepath.Join(rc.dir, m.BodyFile), nil
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
	env, err := envelope.Decode(body)
	if err != nil {
		s.Issue = err.Error()
		return s
	}
	c := env.Completion
	s.CompletionID, s.Model, s.Choices = c.ID, c.Model, len(c.Choices)
	if env.User != nil {
		s.User = *env.User
	}
	if fp := env.FilePayload; fp != nil {
		s.Filename = fp.Filename
		if rest, ok := bytes.CutPrefix(fp.URL, []byte("data:")); ok {
			head, data, _ := bytes.Cut(rest, []byte(","))
			mime, _, _ := bytes.Cut(head, []byte(";"))
			s.FileMIMEType = string(mime)
			s.FileBytes = len(data) / 4 * 3
			s.FileBytes -= bytes.Count(data[max(0, len(data)-2):], []byte("="))
		}
	}
	content, err := c.Content(0)
	if err != nil {
		s.Issue = err.Error()
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
					if _, kept := obj[t]; kept {
						keys = append(keys, t)
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
	fmt.Fprintf(&b, "%s %d POST %s %s %s", m.ReceivedAt.Local().Format("15:04:05"), m.Status, m.Path, size(m.BodyBytes), m.DeliveryID[:16])
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
	if s.Model != "" {
		fmt.Fprintf(&b, " model=%s", s.Model)
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
		fmt.Fprintf(&b, " content={%s%s}", strings.Join(keys, ","), more)
	}
	if s.Annotations > 0 {
		fmt.Fprintf(&b, " annotations=%d", s.Annotations)
	}
	if s.Filename != "" {
		fmt.Fprintf(&b, " file=%s", s.Filename)
		if s.FileMIMEType != "" {
			fmt.Fprintf(&b, "(%s, %s)", s.FileMIMEType, size(s.FileBytes))
		}
	}
	if s.Issue != "" {
		fmt.Fprintf(&b, " issue=%q", s.Issue)
	}
	fmt.Fprintf(&b, " -> %s", saved)
	return b.String()
}
