package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/printable"
)

const sendUsage = `Usage: retabhook send -content FILE [flags] URL

Builds the delivery Retab would POST for an extracted object, signs it and
POSTs it to URL, then prints the status and the answer. The content file
holds the extracted object as JSON, e.g. {"name": "Team Meeting!",
"date": "2023-12-31"}. -format chooses the delivery around it:
  completion  the automation webhook (default): a chat.completion with ids,
              model, times, usage, likelihoods and cost, the document as a
              base64 data URI, user and metadata; plain hex signature.
              Each delivery gets a new completion id.
  end_node    the workflow End-node webhook: {"document", "data"}; plain hex
              signature, in Retab-Signature unless -signature-header says otherwise.
  event       the signed event envelope: {"id", "type", "environment",
              "created_at", "data"}, X-Retab-Environment and the timestamped
              signature t=<now>,v1=<hex>. With the default -event-type the data is
              an extraction whose output is the content; with another type
              (workflow.run.completed) the content file is the event's data.
              Each delivery gets a new event id.

With -count N it becomes a small load generator: it sends N deliveries
(each with its own completion id) over -concurrency connections and
reports throughput and latency percentiles.

Flags:
  -content FILE           the extracted object as JSON (required; "-" reads standard input)
  -format F               completion, end_node or event (default: completion)
  -event-type T           with -format event, the event type (default: extraction.completed)
  -environment E          with -format event, test or production (default: test)
  -formula F              with -format event, t.body or body (default: t.body)
  -file DOC               the source document for file_payload (default: a one-page PDF)
  -metadata JSON          the metadata object, as JSON text or @FILE (default: null)
  -user EMAIL             the user (default: null)
  -model NAME             the model (default: ` + retabtest.DefaultModel + `)
  -consensus N            add N consensus choices that agree with choice 0 (default: 0)
  -integers-as-floats     write integers as 3.0, as Retab's strict schemas make models do
  -secret S               the webhook secret (default: $WEBHOOKS_SECRET)
  -signature-header NAME  the header carrying the signature (default: X-Retab-Signature,
                          Retab-Signature for end_node; Retab-Signature for older automations)
  -H "Name: value"        an extra header, as configured on the automation (repeatable)
  -timeout D              give up on an answer after D (default: 30s)
  -count N                send N deliveries (default: 1)
  -concurrency C          with -count, C requests at once (default: 1)

Examples:
  retabhook send -content examples/invoice/testdata/invoice.json http://127.0.0.1:8000/webhook
  retabhook send -content event.json -file invite.pdf -metadata '{"kind":"calendar_event"}' http://127.0.0.1:8000/webhook
  retabhook send -content invoice.json -count 2000 -concurrency 8 http://127.0.0.1:8000/webhook/invoice
  retabhook send -format end_node -content examples/invoice/testdata/invoice.json http://127.0.0.1:8000/webhook
  retabhook send -format event -environment production -content examples/invoice/testdata/invoice.json http://127.0.0.1:8000/webhook
`

type sendOptions struct {
	content, file, metadata, user, model, secret, sigHeader string
	format, eventType, environment, formula                 string
	consensus, count, concurrency                           int
	floats                                                  bool
	timeout                                                 time.Duration
	headers                                                 headersFlag
}

func (c *cli) send(ctx context.Context, args []string) error {
	var o sendOptions
	fs := newFlags("send")
	fs.StringVar(&o.content, "content", "", "")
	fs.StringVar(&o.file, "file", "", "")
	fs.StringVar(&o.metadata, "metadata", "", "")
	fs.StringVar(&o.user, "user", "", "")
	fs.StringVar(&o.model, "model", retabtest.DefaultModel, "")
	fs.IntVar(&o.consensus, "consensus", 0, "")
	fs.BoolVar(&o.floats, "integers-as-floats", false, "")
	fs.StringVar(&o.secret, "secret", "", "")
	fs.StringVar(&o.sigHeader, "signature-header", "", "")
	fs.StringVar(&o.format, "format", "completion", "")
	fs.StringVar(&o.eventType, "event-type", retabtest.ExtractionEventType, "")
	fs.StringVar(&o.environment, "environment", retabtest.DefaultEnvironment, "")
	fs.StringVar(&o.formula, "formula", string(framework.FormulaTimestamped), "")
	fs.Var(&o.headers, "H", "")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "")
	fs.IntVar(&o.count, "count", 1, "")
	fs.IntVar(&o.concurrency, "concurrency", 1, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) != 1:
		return usageErr("want one URL, got %d arguments", len(pos))
	case o.content == "":
		return usageErr("-content is required: a JSON file holding the extracted object")
	case o.count < 1 || o.concurrency < 1 || o.consensus < 0:
		return usageErr("-count and -concurrency must be at least 1, -consensus at least 0")
	case o.timeout <= 0:
		return usageErr("-timeout must be positive")
	}
	o.format = strings.ReplaceAll(o.format, "-", "_")
	switch o.format {
	case "completion", "event":
	case "end_node":
		if o.sigHeader == "" {
			o.sigHeader = retabtest.LegacySignatureHeader
		}
	default:
		return usageErr("-format wants completion, end_node or event, got %q", o.format)
	}
	if o.sigHeader == "" {
		o.sigHeader = retabtest.SignatureHeader
	}
	if _, err := parseFormula(o.formula); err != nil {
		return err
	}
	target := pos[0]
	if err := checkURL(target); err != nil {
		return err
	}
	secret, err := c.secret(o.secret)
	if err != nil {
		return err
	}
	build, err := c.builder(o, secret)
	if err != nil {
		return err
	}
	client := newClient(o.timeout, min(o.concurrency, o.count))
	if o.count == 1 {
		d, err := build(0)
		if err != nil {
			return inputErr("%v", err)
		}
		how := o.sigHeader
		switch o.format {
		case "event":
			how = fmt.Sprintf("%s, event %s, environment %s, formula %s", o.sigHeader, o.eventType, o.environment, o.formula)
		case "end_node":
			how = o.sigHeader + ", End-node webhook"
		}
		fmt.Fprintf(c.stdout, "POST %s (%s, signed in %s)\n", target, size(len(d.Body)), how)
		a := post(ctx, client, target, d.Body, d.Header)
		if a.err != nil {
			return unreachable("%s", transportAdvice(target, o.timeout, a.err))
		}
		printAnswer(c.stdout, a)
		if !a.ok() {
			return refused("%s", statusAdvice(a, len(d.Body), o.sigHeader))
		}
		return nil
	}
	return c.load(ctx, client, target, o, build)
}

// builder reads the inputs once and returns a function that builds the
// i-th delivery.
func (c *cli) builder(o sendOptions, secret string) (func(i int) (*retabtest.Delivery, error), error) {
	content, err := c.readInput(o.content, "the content file")
	if err != nil {
		return nil, err
	}
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf")) // a BOM some editors write
	if err := checkContent(o.content, content); err != nil {
		return nil, err
	}
	opts := []retabtest.Option{
		retabtest.WithSecret(secret),
		retabtest.WithSignatureHeader(o.sigHeader),
		retabtest.WithModel(o.model),
		retabtest.WithCreated(time.Now()),
		retabtest.WithEnvironment(o.environment),
		retabtest.WithFormula(framework.Formula(o.formula)),
	}
	if o.file != "" {
		doc, err := c.readInput(o.file, "the document")
		if err != nil {
			return nil, err
		}
		name := filepath.Base(o.file)
		// Encoded once: with -count every delivery shares it.
		opts = append(opts, retabtest.WithFileURL(name, retabtest.DataURI(retabtest.MIMEType(name, doc), doc)))
	}
	if o.metadata != "" {
		m, err := c.readMetadata(o.metadata)
		if err != nil {
			return nil, err
		}
		opts = append(opts, retabtest.WithMetadata(m))
	}
	if o.user != "" {
		opts = append(opts, retabtest.WithUser(o.user))
	}
	if o.consensus > 0 {
		opts = append(opts, retabtest.WithConsensus(o.consensus))
	}
	if o.floats {
		opts = append(opts, retabtest.WithIntegersAsFloats())
	}
	run := randomID(20)
	raw := json.RawMessage(content)
	return func(i int) (*retabtest.Delivery, error) {
		var d *retabtest.Delivery
		var err error
		switch {
		case o.format == "end_node":
			d, err = retabtest.NewEndNodeDelivery(raw, opts...)
		case o.format == "event" && o.eventType == retabtest.ExtractionEventType:
			d, err = retabtest.NewExtractionEvent(raw, append(opts, retabtest.WithEventID(fmt.Sprintf("evt_%s%06d", run, i)))...)
		case o.format == "event":
			d, err = retabtest.NewEvent(o.eventType, raw, append(opts, retabtest.WithEventID(fmt.Sprintf("evt_%s%06d", run, i)))...)
		default:
			id := fmt.Sprintf("chatcmpl-%s%09d", run, i)
			d, err = retabtest.NewDelivery(raw, append(opts, retabtest.WithCompletionID(id))...)
		}
		if err != nil {
			return nil, err
		}
		for _, h := range o.headers {
			d.Header.Add(h[0], h[1])
		}
		return d, nil
	}, nil
}

// checkContent refuses a content file that is not a JSON object, saying
// where and what to do.
func checkContent(name string, b []byte) error {
	if name == "" || name == "-" {
		name = "standard input"
	}
	var v any
	err := json.Unmarshal(b, &v)
	var se *json.SyntaxError
	switch {
	case len(bytes.TrimSpace(b)) == 0:
		return inputErr("%s is empty: it must hold the extracted object as JSON, e.g. {\"name\": \"Team Meeting!\", \"date\": \"2023-12-31\"}", name)
	case errors.As(err, &se):
		line, col := position(b, se.Offset)
		return inputErr("%s is not valid JSON: %v (line %d, column %d).\nThe content file must hold the extracted object, e.g. {\"name\": \"Team Meeting!\", \"date\": \"2023-12-31\"}", name, se, line, col)
	case err != nil:
		return inputErr("%s is not valid JSON: %v", name, err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return inputErr("%s holds a JSON %s; the extracted object Retab sends is a JSON object", name, jsonKind(v))
	}
	if _, ok := obj["completion"]; ok {
		return inputErr("%s looks like a whole delivery body (it has \"completion\"); send it as captured with: retabhook replay URL %s", name, name)
	}
	return nil
}

func position(b []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for _, c := range b[:min(int(offset), len(b))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, max(1, col-1)
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	}
	return "null"
}

// readMetadata parses -metadata: JSON text or @FILE.
func (c *cli) readMetadata(arg string) (map[string]any, error) {
	raw, what := []byte(arg), "-metadata"
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		b, err := c.readInput(name, "the metadata file")
		if err != nil {
			return nil, err
		}
		raw, what = b, name
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, inputErr("%s must be a JSON object, e.g. {\"kind\": \"invoice\"}", what)
	}
	return m, nil
}

func randomID(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// loadStats is what the load generator measured.
type loadStats struct {
	mu        sync.Mutex
	latencies []time.Duration
	statuses  map[int]int
	errors    map[string]int
	firstBad  *answer
	badSize   int
}

func (s *loadStats) add(a answer, bodySize int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.err != nil {
		s.errors[errorClass(a.err)]++
		return
	}
	s.latencies = append(s.latencies, a.elapsed)
	s.statuses[a.status]++
	if !a.ok() && s.firstBad == nil {
		s.firstBad, s.badSize = &a, bodySize
	}
}

func errorClass(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// load sends o.count deliveries over o.concurrency workers.
func (c *cli) load(ctx context.Context, client *http.Client, target string, o sendOptions, build func(int) (*retabtest.Delivery, error)) error {
	// One build up front catches input errors before any request.
	if _, err := build(0); err != nil {
		return inputErr("%v", err)
	}
	workers := min(o.concurrency, o.count)
	fmt.Fprintf(c.stdout, "sending %d deliveries to %s over %d connection(s)\n", o.count, target, workers)
	stats := &loadStats{statuses: map[int]int{}, errors: map[string]int{}}
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := range next {
				d, err := build(i)
				if err != nil {
					stats.add(answer{err: err}, 0)
					continue
				}
				stats.add(post(ctx, client, target, d.Body, d.Header), len(d.Body))
			}
		})
	}
feed:
	for i := range o.count {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)
	return c.report(stats, o, target, elapsed)
}

func (c *cli) report(s *loadStats, o sendOptions, target string, elapsed time.Duration) error {
	answered := len(s.latencies)
	failed := 0
	for _, n := range s.errors {
		failed += n
	}
	// Answers and failures apart: a rate that counted deliveries nobody
	// answered would hide a receiver that is down.
	fmt.Fprintf(c.stdout, "sent %d in %s: %d answered, %d failed (no answer); %.1f answered/s\n",
		answered+failed, round(elapsed), answered, failed, float64(answered)/elapsed.Seconds())
	codes := make([]int, 0, len(s.statuses))
	for code := range s.statuses {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	parts := make([]string, 0, len(codes))
	for _, code := range codes {
		parts = append(parts, fmt.Sprintf("%d x%d", code, s.statuses[code]))
	}
	if len(parts) > 0 {
		fmt.Fprintf(c.stdout, "status   %s\n", strings.Join(parts, ", "))
	}
	if answered > 0 {
		slices.Sort(s.latencies)
		fmt.Fprintf(c.stdout, "latency  p50 %s  p90 %s  p99 %s  max %s\n",
			round(percentile(s.latencies, 50)), round(percentile(s.latencies, 90)),
			round(percentile(s.latencies, 99)), round(s.latencies[answered-1]))
	}
	if failed > 0 {
		kinds := make([]string, 0, len(s.errors))
		for k, n := range s.errors {
			kinds = append(kinds, fmt.Sprintf("%s x%d", printable.EscapeCut(k, 200), n))
		}
		sort.Strings(kinds)
		fmt.Fprintf(c.stdout, "failed   %s\n", strings.Join(kinds, ", "))
	}
	switch {
	case answered == 0 && failed > 0:
		return unreachable("no delivery got an answer from %s; is the receiver running? (start the example with: go run ./examples/invoice)", target)
	case s.firstBad != nil:
		return refused("%d of %d deliveries were not accepted; the first: %s", answered-s.statuses2xx(), o.count, statusAdvice(*s.firstBad, s.badSize, o.sigHeader))
	case failed > 0:
		return unreachable("%d of %d deliveries got no answer", failed, o.count)
	}
	return nil
}

func (s *loadStats) statuses2xx() int {
	n := 0
	for code, k := range s.statuses {
		if code >= 200 && code < 300 {
			n += k
		}
	}
	return n
}

// percentile returns the nearest-rank p-th percentile of sorted values.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}
