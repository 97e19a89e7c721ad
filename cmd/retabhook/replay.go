package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/printable"
)

const replayUsage = `Usage: retabhook replay [flags] URL FILE|DIR...

Re-sends captured bodies to URL, each exactly as captured but signed afresh
with the secret: a body saved by a receiver on failure, or the deliveries
that "retabhook listen" recorded (give its folder to replay them all, oldest
first). Prints the status and the answer for each. Each body keeps its
format: a completion or End-node webhook gets the plain hex signature, an
event the timestamped one with a fresh t (the formula listen recorded for
it, else -formula) and an X-Retab-Environment header naming the event's
environment.

Flags:
  -secret S               the secret to sign with: the one of the receiver at URL
                          (default: $WEBHOOKS_SECRET)
  -signature-header NAME  the header carrying the signature (default: X-Retab-Signature)
  -formula F              for events listen did not record the formula of: t.body or
                          body (default: t.body)
  -H "Name: value"        an extra header (repeatable)
  -timeout D              give up on an answer after D (default: 30s)

Example:
  retabhook replay -secret "$STAGING_SECRET" https://staging.example.com/webhook ./retabhook-deliveries
`

func (c *cli) replay(ctx context.Context, args []string) error {
	fs := newFlags("replay")
	secretFlag := fs.String("secret", "", "")
	sigHeader := fs.String("signature-header", retabtest.SignatureHeader, "")
	var headers headersFlag
	fs.Var(&headers, "H", "")
	timeout := fs.Duration("timeout", 30*time.Second, "")
	formulaFlag := fs.String("formula", string(framework.FormulaTimestamped), "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	formula, err := parseFormula(*formulaFlag)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usageErr("want a URL and at least one FILE or DIR, got %d arguments", len(pos))
	}
	target := pos[0]
	if err := checkURL(target); err != nil {
		return err
	}
	secret, err := c.secret(*secretFlag)
	if err != nil {
		return err
	}
	files, err := bodyFiles(pos[1:])
	if err != nil {
		return err
	}
	client := newClient(*timeout, 1)
	worst := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			return inputErr("reading %s: %v", f, err)
		}
		if len(body) == 0 {
			return inputErr("%s is empty: nothing to replay", f)
		}
		d := resign(secret, body, recordedFormula(f, formula))
		if *sigHeader != retabtest.SignatureHeader {
			d.Header.Set(*sigHeader, d.Header.Get(retabtest.SignatureHeader))
			d.Header.Del(retabtest.SignatureHeader)
		}
		for _, h := range headers {
			d.Header.Add(h[0], h[1])
		}
		fmt.Fprintf(c.stdout, "POST %s  %s (%s)\n", printable.Escape(target), printable.Escape(f), size(len(body)))
		a := post(ctx, client, target, d.Body, d.Header)
		if a.err != nil {
			return unreachable("%s", transportAdvice(target, *timeout, a.err))
		}
		printAnswer(c.stdout, a)
		if !a.ok() {
			fmt.Fprintf(c.stderr, "retabhook replay: %s: %s\n", printable.Escape(f), printable.EscapeLines(statusAdvice(a, len(body), *sigHeader)))
			worst = exitRefused
		}
	}
	if worst != 0 {
		return silent(worst)
	}
	return nil
}

// resign signs a captured body as its format is signed: an event with the
// timestamped scheme at the present time, in its environment; anything
// else with the plain hex scheme.
func resign(secret string, body []byte, formula framework.Formula) *retabtest.Delivery {
	d := retabtest.Signed(secret, body)
	if dl, _ := framework.Decode(body); dl != nil && dl.Event != nil {
		d.Header.Set(retabtest.SignatureHeader, framework.SignTimestamped(secret, time.Now(), body, formula))
		if dl.Event.Environment != "" {
			d.Header.Set(framework.EnvironmentHeader, dl.Event.Environment)
		}
	}
	return d
}

// recordedFormula is the formula listen recorded for a body file (in its
// meta file), else def.
func recordedFormula(bodyFile string, def framework.Formula) framework.Formula {
	b, err := os.ReadFile(strings.TrimSuffix(bodyFile, ".json") + metaSuffix)
	if err != nil {
		return def
	}
	var m struct {
		Formula framework.Formula `json:"formula"`
	}
	if json.Unmarshal(b, &m) != nil || m.Formula == "" {
		return def
	}
	return m.Formula
}

// bodyFiles expands directories into the bodies "listen" recorded there
// (*.json without *.meta.json), in name order, which is arrival order.
func bodyFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, inputErr("%v", err)
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, inputErr("%v", err)
		}
		matches = slices.DeleteFunc(matches, func(m string) bool { return strings.HasSuffix(m, metaSuffix) })
		if len(matches) == 0 {
			return nil, inputErr("%s holds no recorded delivery (*.json)", a)
		}
		slices.Sort(matches)
		out = append(out, matches...)
	}
	return out, nil
}
