package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

var (
	buildOnce sync.Once
	binDir    string
	binErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds the command once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			binErr = err
			return
		}
		if binDir, binErr = os.MkdirTemp("", "retabhook-cli-"); binErr != nil {
			return
		}
		out, err := exec.Command(goTool, "build", "-o", filepath.Join(binDir, "retabhook"), ".").CombinedOutput()
		if err != nil {
			binErr = errors.New(string(out))
		}
	})
	require.NoError(t, binErr, "building the command")
	return filepath.Join(binDir, "retabhook")
}

// exe runs the built command as a process.
func exe(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	c := exec.Command(binary(t), args...)
	// The caller's WEBHOOKS_SECRET never leaks in; env sets it when needed
	// (the last of duplicate entries wins).
	c.Env = append(append(os.Environ(), "WEBHOOKS_SECRET="), env...)
	c.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("running %v: %v", args, err)
	}
	return result{c.ProcessState.ExitCode(), out.String(), errb.String()}
}

func TestProcessExitStatuses(t *testing.T) {
	content := writeFile(t, "invoice.json", invoiceJSON)
	body := writeFile(t, "body.json", fixtures.BodyVector)
	for _, tc := range []struct {
		name  string
		env   []string
		stdin string
		args  []string
		code  int
		out   string
		err   string
	}{
		{"sign", nil, fixtures.BodyVector, []string{"sign", "-secret", fixtures.SecretVector}, exitOK, fixtures.SignatureVector + "\n", ""},
		{"verify ok from the environment", []string{"WEBHOOKS_SECRET=" + fixtures.SecretVector}, "", []string{"verify", "-signature", fixtures.SignatureVector, body}, exitOK, "ok: the signature matches secret 1 of 1 (scheme hex, formula body)\n", ""},
		{"verify with the wrong secret", nil, "", []string{"verify", "-signature", fixtures.SignatureVector, "-secret", "whsec_wrong", body}, exitRefused, "", "Most often the secret is wrong"},
		{"send to a closed port", []string{"WEBHOOKS_SECRET=" + secret}, "", []string{"send", "-content", content, closedURL(t)}, exitUnreachable, "", "connection refused"},
		{"send a bad JSON file", []string{"WEBHOOKS_SECRET=" + secret}, "", []string{"send", "-content", writeFile(t, "bad.json", "{"), "http://127.0.0.1:1/webhook"}, exitUsage, "", "is not valid JSON"},
		{"no command", nil, "", nil, exitUsage, "", "Usage:"},
		{"help", nil, "", []string{"help", "verify"}, exitOK, "Usage: retabhook verify", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := exe(t, tc.env, tc.stdin, tc.args...)
			require.Equal(t, tc.code, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			if tc.code == exitOK {
				require.Equal(t, tc.out, r.stdout[:min(len(r.stdout), len(tc.out))])
			}
			require.Contains(t, r.stderr, tc.err)
		})
	}
}

// listen, send and replay as three processes, the way the README shows
// them; listen stops cleanly on SIGINT.
func TestProcessListenSendReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deliveries")
	listen := exec.Command(binary(t), "listen", "-addr", "127.0.0.1:0", "-dir", dir)
	listen.Env = append(os.Environ(), "WEBHOOKS_SECRET="+secret)
	stdout, err := listen.StdoutPipe()
	require.NoError(t, err)
	var stderr fixtures.SyncBuffer
	listen.Stderr = &stderr
	require.NoError(t, listen.Start())
	t.Cleanup(func() { _ = listen.Process.Kill() })

	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "listen ended early: %s", stderr.String())
			return l
		case <-time.After(20 * time.Second):
			t.Fatalf("no output from listen: %s", stderr.String())
			return ""
		}
	}
	m := regexp.MustCompile(`^listening on (http://127\.0\.0\.1:\d+) `).FindStringSubmatch(next())
	require.NotNil(t, m)
	url := m[1]
	require.Contains(t, next(), "try: retabhook send")

	content := writeFile(t, "event.json", fixtures.SeedContent)
	r := exe(t, []string{"WEBHOOKS_SECRET=" + secret}, "", "send", "-content", content, url+"/webhook")
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	require.Regexp(t, ` 200 POST /webhook .* verified\(secret 1\) .*content=\{name,date\} file=document\.pdf\(application/pdf, \d+ B\) -> `, next())

	require.NoError(t, listen.Process.Signal(syscall.SIGINT))
	require.Equal(t, "stopped: 1 delivery(ies) recorded in "+dir, next())
	require.NoError(t, listen.Wait())
	require.Equal(t, 0, listen.ProcessState.ExitCode())

	rc := newReceiver(t)
	r = exe(t, []string{"WEBHOOKS_SECRET=" + secret}, "", "replay", rc.url+"/webhook", dir)
	require.Equal(t, exitOK, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
	ev, ok := rc.events.Last()
	require.True(t, ok)
	require.Equal(t, CalendarEvent{"Team Meeting!", "2023-12-31"}, ev.Value)
}
