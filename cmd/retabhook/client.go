package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/printable"
)

// answer is the outcome of one POST.
type answer struct {
	status  int
	header  http.Header
	body    []byte
	elapsed time.Duration
	err     error // the request could not be completed
}

func newClient(timeout time.Duration, conns int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conns
	tr.MaxConnsPerHost = conns
	return &http.Client{Timeout: timeout, Transport: tr}
}

// checkURL accepts http and https URLs only.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr("%q is not an http:// or https:// URL (for example http://127.0.0.1:8000/webhook)", raw)
	}
	return nil
}

// post sends body with header to url and reads the whole answer.
func post(ctx context.Context, client *http.Client, url string, body []byte, header http.Header) answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err, elapsed: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_, _ = io.Copy(io.Discard, resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b, elapsed: time.Since(start), err: err}
}

func (a answer) ok() bool { return a.err == nil && a.status >= 200 && a.status < 300 }

// printAnswer writes the status line and the body.
func printAnswer(w io.Writer, a answer) {
	fmt.Fprintf(w, "%d %s in %s\n", a.status, http.StatusText(a.status), round(a.elapsed))
	if len(a.body) > 0 {
		// The answer is the receiver's: its control bytes are escaped.
		io.WriteString(w, printable.EscapeLines(string(a.body)))
		if !bytes.HasSuffix(a.body, []byte("\n")) {
			fmt.Fprintln(w)
		}
	}
}

// transportAdvice explains a request that got no answer.
func transportAdvice(url string, timeout time.Duration, err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("could not connect to %s: connection refused.\n"+
			"Is the receiver running and listening on that host and port? (start the example with: go run ./examples/invoice)", url)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("could not resolve the host of %s: %v; check the URL", url, dnsErr)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no answer from %s within %s: the receiver is slow or stuck (raise -timeout; Retab's own test waits 30s, and receivers should answer 2xx before slow work)", url, timeout)
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return fmt.Sprintf("POST %s failed: %v", url, err)
}

// statusAdvice explains a non-2xx answer and says what to check.
func statusAdvice(a answer, bodySize int, sigHeader string) string {
	var p framework.ProblemDocument
	mt, _, _ := mime.ParseMediaType(a.header.Get("Content-Type"))
	isProblem := mt == "application/problem+json" && json.Unmarshal(a.body, &p) == nil
	var b strings.Builder
	switch {
	case a.status == http.StatusUnauthorized && p.Type == framework.ErrMissingSignature.Type():
		fmt.Fprintf(&b, "the receiver found no signature (401). It reads X-Retab-Signature, then Retab-Signature; this delivery was signed in %s.", sigHeader)
	case a.status == http.StatusUnauthorized || a.status == http.StatusForbidden:
		fmt.Fprintf(&b, "the receiver refused the signature (%d).\n"+
			"Most often the secret differs: sign with the receiver's secret (-secret or WEBHOOKS_SECRET; the example receiver\n"+
			"prints the one it generated when WEBHOOKS_SECRET is unset). After a secret was regenerated in Retab's dashboard,\n"+
			"the receiver needs the new one.", a.status)
	case a.status == http.StatusNotFound:
		b.WriteString("nothing is served at this URL (404): check the path (the example receiver serves /webhook and /webhook/{kind}).")
	case a.status == http.StatusMethodNotAllowed:
		b.WriteString("the URL does not accept POST (405): check the path.")
	case a.status == http.StatusRequestEntityTooLarge:
		fmt.Fprintf(&b, "the delivery (%d bytes) is over the receiver's body limit (413): send a smaller -file, or raise the receiver's limit (framework.WithMaxBodyBytes).", bodySize)
	case a.status == http.StatusUnsupportedMediaType:
		b.WriteString("the receiver refused the media type (415); deliveries are sent as application/json.")
	case a.status == http.StatusUnprocessableEntity && p.Type == framework.ErrNoRoute.Type():
		b.WriteString("no registered type matches the content (422): check the content file against your Go type, or name the kind in the URL (/webhook/{kind}).")
	case a.status == http.StatusUnprocessableEntity && p.Type == framework.ErrUnknownKind.Type():
		b.WriteString("the kind in the URL is not registered (422): check the path's last segment against the receiver's kinds.")
	case a.status == http.StatusUnprocessableEntity:
		b.WriteString("the receiver refused the content (422): fix the content file (or the Go type).")
	case a.status >= 500:
		fmt.Fprintf(&b, "the receiver failed (%d): its logs have the cause.", a.status)
	default:
		fmt.Fprintf(&b, "the receiver answered %d %s.", a.status, http.StatusText(a.status))
	}
	if isProblem {
		if p.Detail != "" && len(p.Violations) == 0 {
			fmt.Fprintf(&b, "\n  the receiver says: %s", printable.Escape(p.Detail))
		}
		for _, v := range p.Violations {
			ptr := v.Pointer
			if ptr == "" {
				ptr = "/"
			}
			fmt.Fprintf(&b, "\n  at %s: %s", printable.Escape(ptr), printable.Escape(v.Message))
		}
		if p.ViolationsOmitted > 0 {
			fmt.Fprintf(&b, "\n  and %d more violation(s)", p.ViolationsOmitted)
		}
		if len(p.Violations) > 0 && len(p.Candidates) > 0 {
			q := make([]string, len(p.Candidates))
			for i, k := range p.Candidates {
				q[i] = printable.Quote(k, printable.MaxEcho)
			}
			fmt.Fprintf(&b, "\n  the content matches the registered kind %s: was it sent to the wrong /webhook/{kind}?", strings.Join(q, ", "))
		}
	}
	return b.String()
}

// round shortens a duration for display.
func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// size formats a byte count.
func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
