package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Load describes a closed-loop HTTP load: Concurrency workers each send
// the same signed POST, wait for the answer, and send again, until
// Duration has passed or Requests answers have come back.
type Load struct {
	URL         string
	Body        []byte
	Signature   string // X-Retab-Signature
	Concurrency int
	Duration    time.Duration
	Requests    int // 0: no limit
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
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if l.Requests > 0 && sent >= l.Requests {
			return false
		}
		sent++
		return true
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range l.Concurrency {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil && take() {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.URL, bytes.NewReader(l.Body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Retab-Signature", l.Signature)
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
