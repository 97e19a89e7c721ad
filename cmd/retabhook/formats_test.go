package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSendEveryFormat sends the same content in each format to a router
// that recognises them all; each reaches the typed handler.
func TestSendEveryFormat(t *testing.T) {
	rc := newReceiver(t)
	content := writeFile(t, "invoice.json", invoiceJSON)
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"-format", "completion"}, "signed in X-Retab-Signature)"},
		{[]string{"-format", "end_node"}, "signed in Retab-Signature, End-node webhook)"},
		{[]string{"-format", "end-node", "-signature-header", "X-Retab-Signature"}, "signed in X-Retab-Signature, End-node webhook)"},
		{[]string{"-format", "event"}, "event extraction.completed, environment test, formula t.body)"},
		{[]string{"-format", "event", "-environment", "production"}, "environment production"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			before := len(rc.invoices.Calls())
			r := cmd(t, withSecret, "", append(append([]string{"send"}, tc.args...), "-content", content, rc.url+"/webhook/invoice")...)
			require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			require.Contains(t, r.stdout, tc.says)
			require.Len(t, rc.invoices.Calls(), before+1)
			c, _ := rc.invoices.Last()
			require.Equal(t, "INV-1", c.Value.Number)
		})
	}
	// The body-only formula is refused by a default receiver: 401.
	r := cmd(t, withSecret, "", "send", "-format", "event", "-formula", "body", "-content", content, rc.url+"/webhook/invoice")
	require.Equal(t, exitRefused, r.code, r.stdout)
	require.Contains(t, r.stdout, "401")
	r = cmd(t, withSecret, "", "send", "-format", "xml", "-content", content, rc.url+"/webhook")
	require.Equal(t, exitUsage, r.code)
	require.Contains(t, r.stderr, "-format wants completion, end_node or event")
}

func TestSignTimestamped(t *testing.T) {
	r := cmd(t, nil, `{"hello":"world"}`, "sign", "-secret", "whsec_test", "-timestamp", "1715000000")
	require.Equal(t, exitOK, r.code, r.stderr)
	require.Equal(t, "t=1715000000,v1=aa557083e1a13ecc0ee5e5e2f3a9af58953630561371cb4ba37662f7f51d05cc\n", r.stdout)
	r = cmd(t, nil, `{"hello":"world"}`, "sign", "-secret", "whsec_test", "-timestamp", "1715000000", "-formula", "body")
	require.Equal(t, "t=1715000000,v1=07ea4d7892d3dc4bae220d9930afa38c458a997b2f716a0a6159e17798be1d28\n", r.stdout)
	r = cmd(t, nil, `{}`, "sign", "-secret", "s", "-timestamp", "now")
	require.Equal(t, exitOK, r.code)
	require.Regexp(t, `^t=\d{10},v1=[0-9a-f]{64}\n$`, r.stdout)
	r = cmd(t, nil, `{}`, "sign", "-secret", "s", "-timestamp", "yesterday")
	require.Equal(t, exitUsage, r.code)
	r = cmd(t, nil, `{}`, "sign", "-secret", "s", "-timestamp", "now", "-formula", "sha512")
	require.Equal(t, exitUsage, r.code)
}

// TestListenAndReplayEvents: listen names the format, scheme and formula
// of each delivery, and replay re-signs an event in its own scheme, with a
// fresh timestamp, so a receiver accepts it.
func TestListenAndReplayEvents(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deliveries")
	url, out, stop := startListen(t, dir, "-secret", secret)
	content := writeFile(t, "invoice.json", invoiceJSON)
	for _, args := range [][]string{
		{"-format", "event", "-environment", "production"},
		{"-format", "event", "-formula", "body"},
		{"-format", "end_node"},
	} {
		r := cmd(t, withSecret, "", append(append([]string{"send"}, args...), "-content", content, url+"/webhook")...)
		require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	}
	require.Equal(t, exitOK, stop())
	o := out.String()
	require.Regexp(t, `200 POST /webhook .* verified\(secret 1\) format=event scheme=timestamped formula=t\.body signed=\d+s ago event=extraction\.completed\(evt_\w+, production\) model=\S+ content=\{number,currency,line_items,total\} file=document\.pdf\(application/pdf, no bytes in events\)`, o)
	require.Regexp(t, `verified\(secret 1\) format=event scheme=timestamped formula=body `, o)
	require.Regexp(t, `verified\(secret 1\) format=end_node scheme=hex content=\{number,currency,line_items,total\} file=document\.pdf\(application/pdf, 602 B\)`, o)

	rc := newReceiver(t)
	r := cmd(t, withSecret, "", "replay", rc.url+"/webhook/invoice", dir)
	// The body-only event is re-signed with the formula listen recorded
	// (body), which the receiver's default refuses; the others pass.
	require.Equal(t, exitRefused, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	require.Equal(t, 2, strings.Count(r.stdout, "200 OK"), r.stdout)
	require.Equal(t, 1, strings.Count(r.stdout, "401 Unauthorized"), r.stdout)
	require.Len(t, rc.invoices.Calls(), 2)

	// -formula applies to events listen did not record.
	bodies, err := bodyFiles([]string{dir})
	require.NoError(t, err)
	for _, b := range bodies {
		require.NoError(t, os.Remove(strings.TrimSuffix(b, ".json")+metaSuffix))
	}
	r = cmd(t, withSecret, "", "replay", rc.url+"/webhook/invoice", dir)
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	require.Len(t, rc.invoices.Calls(), 5)
}
