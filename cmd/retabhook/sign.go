package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/retabhook/retabhook/framework"
)

const signUsage = `Usage: retabhook sign [-secret S] [-timestamp T [-formula F]] [FILE]

Prints the signature Retab sends for a body. By default, the plain scheme of
the completion and End-node webhooks: the lowercase hex of HMAC-SHA256 over
the body's exact bytes, keyed with the secret. With -timestamp, the event
envelope's timestamped header value "t=<unix>,v1=<hex>". The body is read
from FILE, or from standard input when FILE is "-" or absent.

Flags:
  -secret S      the webhook secret (default: $WEBHOOKS_SECRET)
  -timestamp T   sign as an event at T: "now" or Unix seconds (default: the plain scheme)
  -formula F     with -timestamp, what v1 covers: t.body (HMAC of t + "." + body, the
                 receiver's default) or body (HMAC of the body alone) (default: t.body)

Examples:
  printf '%s' '{"hello":"world"}' | retabhook sign -secret whsec_test
  07ea4d7892d3dc4bae220d9930afa38c458a997b2f716a0a6159e17798be1d28
  printf '%s' '{"hello":"world"}' | retabhook sign -secret whsec_test -timestamp 1715000000
  t=1715000000,v1=aa557083e1a13ecc0ee5e5e2f3a9af58953630561371cb4ba37662f7f51d05cc
`

func (c *cli) sign(_ context.Context, args []string) error {
	fs := newFlags("sign")
	secretFlag := fs.String("secret", "", "")
	timestamp := fs.String("timestamp", "", "")
	formulaFlag := fs.String("formula", string(framework.FormulaTimestamped), "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErr("want at most one FILE, got %d arguments", len(pos))
	}
	formula, err := parseFormula(*formulaFlag)
	if err != nil {
		return err
	}
	var at time.Time
	switch *timestamp {
	case "":
	case "now":
		at = time.Now()
	default:
		n, err := strconv.ParseInt(*timestamp, 10, 64)
		if err != nil || n < 0 {
			return usageErr("-timestamp wants \"now\" or Unix seconds, got %q", *timestamp)
		}
		at = time.Unix(n, 0)
	}
	secret, err := c.secret(*secretFlag)
	if err != nil {
		return err
	}
	body, err := c.readInput(first(pos), "the body")
	if err != nil {
		return err
	}
	if at.IsZero() {
		fmt.Fprintln(c.stdout, framework.Sign(secret, body))
	} else {
		fmt.Fprintln(c.stdout, framework.SignTimestamped(secret, at, body, formula))
	}
	return nil
}

// parseFormula reads a -formula flag.
func parseFormula(s string) (framework.Formula, error) {
	switch f := framework.Formula(s); f {
	case framework.FormulaTimestamped, framework.FormulaBody:
		return f, nil
	}
	return "", usageErr("-formula wants %s or %s, got %q", framework.FormulaTimestamped, framework.FormulaBody, s)
}

const verifyUsage = `Usage: retabhook verify -signature SIG [-secret S]... [FILE]

Checks that a body was signed with the secret. The body is read from FILE,
or from standard input when FILE is "-" or absent. Exit status 0 means the
signature matches, and says with which scheme and formula; 1 means it does
not (the reason is printed). An event's "t=...,v1=..." value is checked with
both formulas (t.body and body), and the one that matches is named.

Flags:
  -signature SIG  the X-Retab-Signature (or Retab-Signature) header's value: 64 hex
                  digits, or an event's t=<unix>,v1=<hex>
  -secret S       a webhook secret; repeat it to try several, as during a
                  rotation (default: $WEBHOOKS_SECRET)

Example:
  retabhook verify -signature "$SIG" body.json && echo signed by our secret
`

func (c *cli) verify(_ context.Context, args []string) error {
	fs := newFlags("verify")
	sig := fs.String("signature", "", "")
	var flagged secretsFlag
	fs.Var(&flagged, "secret", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErr("want at most one FILE, got %d arguments", len(pos))
	}
	if *sig == "" {
		return usageErr("-signature is required: pass the value of the delivery's X-Retab-Signature header")
	}
	secrets, err := c.secrets(flagged)
	if err != nil {
		return err
	}
	body, err := c.readInput(first(pos), "the body")
	if err != nil {
		return err
	}
	v, err := framework.VerifyHeaders(http.Header{"X-Retab-Signature": {*sig}}, body, secrets...)
	if err == nil {
		fmt.Fprintf(c.stdout, "ok: the signature matches secret %d of %d (scheme %s, formula %s", v.SecretIndex+1, len(secrets), v.Scheme, v.Formula)
		if !v.SignedAt.IsZero() {
			fmt.Fprintf(c.stdout, ", signed at %s", v.SignedAt.Format(time.RFC3339))
		}
		fmt.Fprintln(c.stdout, ")")
		return nil
	}
	return refused("%s", verifyAdvice(body, *sig, secrets, err))
}

// verifyAdvice explains a failed verification and what to try.
func verifyAdvice(body []byte, sig string, secrets []string, err error) string {
	s := strings.TrimSpace(sig)
	lower := strings.ToLower(s)
	var se *framework.SignatureError
	malformed := errors.As(err, &se) && se.Reason == framework.SignatureMalformed
	switch {
	case strings.HasPrefix(lower, "sha256="):
		return "the signature has a \"sha256=\" prefix, which Retab does not send: pass the hex digits only"
	case malformed && (strings.Contains(lower, "v1=") || strings.HasPrefix(lower, "t=")):
		return "the timestamped signature is malformed (" + err.Error() + "): pass the header's value exactly, t=<unix seconds>,v1=<64 hex digits>"
	case strings.Contains(lower, "v1=") || strings.HasPrefix(lower, "t="):
		return "the timestamped signature matches this body with neither formula (t.body or body) and the given secret(s).\n" +
			"Most often the secret is wrong: use the signing secret of the event's environment (test or production)"
	case strings.Contains(s, ":"):
		return "the signature contains ':'; pass the header's value only, without the header name"
	case malformed:
		return fmt.Sprintf("the signature is not 64 hexadecimal digits (%d characters): pass the X-Retab-Signature header's value exactly", len(s))
	}
	if trimmed := bytes.TrimRight(body, "\r\n"); len(trimmed) < len(body) {
		if _, err := framework.VerifyHeaders(http.Header{"X-Retab-Signature": {sig}}, trimmed, secrets...); err == nil {
			return "the signature matches the body WITHOUT its final newline: the file gained a newline when it was saved; verify or send the exact bytes that were signed"
		}
	}
	return "the signature does not match this body with the given secret(s).\n" +
		"Most often the secret is wrong: use the webhook secret shown in Retab's dashboard (-secret or WEBHOOKS_SECRET);\n" +
		"after a secret was regenerated, only the new one matches. Otherwise the body was changed after it was signed\n" +
		"(reformatted, re-encoded, or not the exact bytes received)"
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
