package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Load describes a closed-loop HTTP load: Concurrency workers each send
// a signed POST, wait for the answer, and send again, until Duration has
// passed or Requests answers have come back.
//
// Without Secret every request is the same Body with Signature. With
// Secret every request is a distinct delivery: Body with the value of its
// first "id" member (the completion's id) ending in the request's number,
// signed with Secret by the sender, so that a receiver that de-duplicates
// processes each one as new rather than answering "duplicate" from the
// second on.
type Load struct {
	URL         string
	Body        []byte
	Signature   string // X-Retab-Signature, when Secret is empty
	Secret      string // sign each distinct request with it (see above)
	Concurrency int
	Duration    time.Duration
	Requests    int // 0: no limit
}

// sign is the X-Retab-Signature of body: the hex HMAC-SHA256 with secret
// (framework.Sign, which this package cannot import: the framework's
// benchmarks import it).
func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// idDigits is how many trailing bytes of the completion id a distinct
// request replaces with its number.
const idDigits = 12

// distinctID is the offset in body of the idDigits bytes that make each
// request distinct: the end of the value of body's first "id" member.
func distinctID(body []byte) (int, error) {
	const key = `"id":"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return 0, fmt.Errorf("bench: the body has no %s member to make distinct", key)
	}
	start := i + len(key)
	end := bytes.IndexByte(body[start:], '"')
	if end < idDigits {
		return 0, fmt.Errorf("bench: the body's id is shorter than %d bytes", idDigits)
	}
	return start + end - idDigits, nil
}

// Result is what a load measured.
type Result struct {
	Requests int           // answers received
	Errors   int           // transport errors and non-2xx answers
	Elapsed  time.Duration // from the first request to the last answer
	P50, P90 time.Duration
	P99, Max time.Duration
}

// PerSecond is the throughput in answers per second.
func (r Result) PerSecond() float64 { return float64(r.Requests) / r.Elapsed.Seconds() }

// String formats the result on one line.
func (r Result) String() string {
	return fmt.Sprintf("%9.0f req/s  p50 %8s  p90 %8s  p99 %8s  max %8s  (%d requests, %d errors)",
		r.PerSecond(), r.P50.Round(time.Microsecond), r.P90.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond), r.Requests, r.Errors)
}

// Run runs the load against a server on loopback (it refuses any other
// address).
func (l Load) Run(ctx context.Context) (Result, error) {
	req, err := http.NewRequest(http.MethodPost, l.URL, nil)
	if err != nil {
		return Result{}, err
	}
	host := req.URL.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return Result{}, fmt.Errorf("bench: %s is not a loopback address", host)
	}
	if l.Concurrency < 1 {
		l.Concurrency = 1
	}
	idAt := -1
	if l.Secret != "" {
		if idAt, err = distinctID(l.Body); err != nil {
			return Result{}, err
		}
	}
	tr := &http.Transport{MaxIdleConnsPerHost: l.Concurrency, MaxConnsPerHost: l.Concurrency, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, l.Duration)
	defer cancel()

	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      int
		sent      int
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if l.Requests > 0 && sent >= l.Requests {
			return 0, false
		}
		sent++
		return sent, true
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range l.Concurrency {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			body, sig := l.Body, l.Signature
			if idAt >= 0 {
				body = bytes.Clone(l.Body)
			}
			for ctx.Err() == nil {
				n, ok := take()
				if !ok {
					break
				}
				if idAt >= 0 {
					// The request's number, zero-padded, in place of the
					// id's last digits; a body is written only by its
					// worker, once the last request sent with it has been
					// answered.
					copy(body[idAt:idAt+idDigits], fmt.Appendf(nil, "%0*d", idDigits, n))
					sig = sign(l.Secret, body)
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.URL, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Retab-Signature", sig)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mine = append(mine, time.Since(t0))
				if resp.StatusCode/100 != 2 {
					bad++
				}
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	res := Result{Requests: len(latencies), Errors: errs, Elapsed: time.Since(start)}
	if len(latencies) == 0 {
		return res, fmt.Errorf("bench: no answer from %s", l.URL)
	}
	slices.Sort(latencies)
	at := func(q float64) time.Duration { return latencies[min(len(latencies)-1, int(q*float64(len(latencies))))] }
	res.P50, res.P90, res.P99, res.Max = at(0.50), at(0.90), at(0.99), latencies[len(latencies)-1]
	return res, nil
}
