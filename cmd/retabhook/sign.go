package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/retabhook/retabhook/framework"
)

const signUsage = `Usage: retabhook sign [-secret S] [FILE]

Prints the signature Retab sends for a body: the lowercase hex of
HMAC-SHA256 over the body's exact bytes, keyed with the secret. The body is
read from FILE, or from standard input when FILE is "-" or absent.

Flags:
  -secret S   the webhook secret (default: $WEBHOOKS_SECRET)

Example:
  printf '%s' '{"hello":"world"}' | retabhook sign -secret whsec_test
  07ea4d7892d3dc4bae220d9930afa38c458a997b2f716a0a6159e17798be1d28
`

func (c *cli) sign(_ context.Context, args []string) error {
	fs := newFlags("sign")
	secretFlag := fs.String("secret", "", "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErr("want at most one FILE, got %d arguments", len(pos))
	}
	secret, err := c.secret(*secretFlag)
	if err != nil {
		return err
	}
	body, err := c.readInput(first(pos), "the body")
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, framework.Sign(secret, body))
	return nil
}

const verifyUsage = `Usage: retabhook verify -signature HEX [-secret S]... [FILE]

Checks that a body was signed with the secret. The body is read from FILE,
or from standard input when FILE is "-" or absent. Exit status 0 means the
signature matches; 1 means it does not (the reason is printed).

Flags:
  -signature HEX  the X-Retab-Signature (or Retab-Signature) header's value
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
	i, err := framework.Verify(body, *sig, secrets...)
	if err == nil {
		fmt.Fprintf(c.stdout, "ok: the signature matches secret %d of %d\n", i+1, len(secrets))
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
	case strings.Contains(lower, "v1=") || strings.HasPrefix(lower, "t="):
		return "the signature looks like \"t=...,v1=...\"; Retab's signature is the plain hex of HMAC-SHA256 over the body: pass the 64 hex digits only"
	case strings.Contains(s, ":"):
		return "the signature contains ':'; pass the header's value only, without the header name"
	case malformed:
		return fmt.Sprintf("the signature is not 64 hexadecimal digits (%d characters): pass the X-Retab-Signature header's value exactly", len(s))
	}
	if trimmed := bytes.TrimRight(body, "\r\n"); len(trimmed) < len(body) {
		if _, err := framework.Verify(trimmed, sig, secrets...); err == nil {
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
