package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestDurableMode runs the example with --durable on a fresh data
// directory: a delivery is answered 202, a re-send 200 duplicate, a worker
// runs the handler; then "invoice deadletters list" reads the same
// directory.
func TestDurableMode(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, "--durable", "--data-dir", dir)
	require.True(t, cfg.Durable.Enabled)
	var logs fixtures.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	dm, err := startDurable(cfg.Durable, logger)
	require.NoError(t, err)
	s, err := newServer(cfg, logger, nil, dm)
	require.NoError(t, err)

	body := fixtures.ContentEnvelope(fixtures.SeedContent)
	var answers []string
	for range 2 {
		w := do(t, s.webhooks, http.MethodPost, "/webhook", body)
		var a struct{ Status, Kind string }
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &a))
		answers = append(answers, strings.Join([]string{http.StatusText(w.Code), a.Status, a.Kind}, " "))
	}
	require.Equal(t, []string{"Accepted accepted calendar_event", "OK duplicate calendar_event"}, answers)
	require.NotContains(t, logs.String(), "calendar event received", "the handler runs in a worker, not in the request")
	dm.run(s.router)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `msg="calendar event received" name="Team Meeting!"`) {
		require.True(t, time.Now().Before(deadline), "the worker did not run the handler; logs:\n%s", logs.String())
		time.Sleep(20 * time.Millisecond)
	}
	dm.close()
	var a struct {
		DeliveryID string `json:"delivery_id"`
	}
	require.NoError(t, json.Unmarshal(do(t, newMux(mustRouter(t)), http.MethodPost, "/webhook", body).Body.Bytes(), &a))
	require.Regexp(t, `msg="calendar event received" name="Team Meeting!" date=2023-12-31 delivery_id=`+a.DeliveryID+` attempt=1\n`, logs.String(),
		"the worker's line names the delivery and the attempt")

	// Flags before or after the words.
	for _, args := range [][]string{{"deadletters", "--data-dir", dir, "list"}, {"deadletters", "list", "--data-dir", dir}} {
		code, out, errOut := invoke(t, args...)
		require.Equal(t, 0, code, errOut)
		require.Equal(t, "no dead letters\n", out)
	}
	code, out, errOut := invoke(t, "deadletters", "--data-dir", dir, "frobnicate")
	require.Equal(t, 2, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "deadletters replay ID... | --all")
	require.Contains(t, errOut, "Usage: invoice deadletters [flags]")

}

func TestDurableModeOffByDefault(t *testing.T) {
	cfg := testConfig(t)
	require.False(t, cfg.Durable.Enabled)
	dm, err := startDurable(cfg.Durable, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Nil(t, dm)
	require.Empty(t, dm.routerOptions())
	dm.run(nil)
	dm.close()
}

func mustRouter(t *testing.T) *framework.Router {
	t.Helper()
	r, err := newRouter(slog.New(slog.DiscardHandler), testSecret)
	require.NoError(t, err)
	return r
}

// TestDurableTuningFlags reads the durable mode's tuning from flags and
// from the environment, refuses bad values, and checks that the engine's
// name prefixes its objects: two applications on one NATS server, with
// different names, have inboxes of their own.
func TestDurableTuningFlags(t *testing.T) {
	cfg := testConfig(t, "--durable-name", "BILLING", "--max-attempts", "3", "--backoff-min", "1s", "--backoff-max", "1m", "--ack-wait", "5s")
	require.Equal(t, durableConfig{Enabled: false, Dir: cfg.Durable.Dir, Name: "BILLING", MaxAttempts: 3,
		BackoffMin: time.Second, BackoffMax: time.Minute, AckWait: 5 * time.Second}, cfg.Durable)
	c, err := loadConfig(nil, env("WEBHOOKS_SECRET", testSecret, "DURABLE_NAME", "HR", "MAX_ATTEMPTS", "4",
		"BACKOFF_MIN", "2s", "ACK_WAIT", "7s"), io.Discard)
	require.NoError(t, err)
	require.Equal(t, "HR", c.Durable.Name)
	require.Equal(t, 4, c.Durable.MaxAttempts)
	require.Equal(t, 2*time.Second, c.Durable.BackoffMin)
	require.Zero(t, c.Durable.BackoffMax, "unset: the default")
	require.Equal(t, 7*time.Second, c.Durable.AckWait)
	for _, kv := range [][2]string{{"MAX_ATTEMPTS", "many"}, {"BACKOFF_MIN", "soon"}, {"ACK_WAIT", "-1s"}} {
		_, err := loadConfig(nil, env("WEBHOOKS_SECRET", testSecret, kv[0], kv[1]), io.Discard)
		require.ErrorContains(t, err, kv[0], "%s=%s", kv[0], kv[1])
	}

	dir := t.TempDir()
	logger := slog.New(slog.DiscardHandler)
	host, err := durableConfig{Dir: dir, Listen: "127.0.0.1:0", Name: "BILLING"}.open(context.Background(), logger)
	require.NoError(t, err)
	defer host.Close()
	other, err := durableConfig{URLs: host.ClientURL(), Name: "HR", MaxAttempts: 2}.open(context.Background(), logger)
	require.NoError(t, err)
	defer other.Close()
	nc, err := nats.Connect(host.ClientURL())
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	var names []string
	for n := range js.StreamNames(context.Background()).Name() {
		names = append(names, n)
	}
	require.Subset(t, names, []string{"BILLING", "BILLING_DEAD", "KV_BILLING_SEEN", "HR", "HR_DEAD", "KV_HR_SEEN"})
	ci, err := js.Consumer(context.Background(), "HR", "workers")
	require.NoError(t, err)
	require.Equal(t, 2+3, ci.CachedInfo().Config.MaxDeliver, "the redelivery cap follows --max-attempts")
}

// TestDeadLettersFlagsAfterTheCommand: "deadletters list --nats-url URL"
// works as "deadletters --nats-url URL list" does, and so do the
// command's own --body and --all wherever they are; a flag that does not
// fit the command is a usage error (exit 2).
func TestDeadLettersFlagsAfterTheCommand(t *testing.T) {
	host, err := durableConfig{Dir: t.TempDir(), Listen: "127.0.0.1:0"}.open(context.Background(), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer host.Close()
	url := host.ClientURL()
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"list", "--nats-url", url}, 0, "no dead letters\n"},
		{[]string{"--nats-url", url, "list"}, 0, "no dead letters\n"},
		{[]string{"list", "--nats-url=" + url}, 0, "no dead letters\n"},
		{[]string{"replay", "--all", "--nats-url", url}, 0, "replayed 0 dead letter(s)\n"},
		{[]string{"--all", "replay", "--nats-url", url}, 0, "replayed 0 dead letter(s)\n"},
		{[]string{"show", "dlv_0123456789abcdef", "--body", "--nats-url", url}, 1, ""}, // parsed; no such dead letter
		{[]string{"list", "--body", "--nats-url", url}, 2, ""},
		{[]string{"replay", "dlv_0123456789abcdef", "--all", "--nats-url", url}, 2, ""},
		{[]string{"list", "--no-such-flag", "--nats-url", url}, 2, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := invoke(t, append([]string{"deadletters"}, tc.args...)...)
			require.Equal(t, tc.code, code, "stdout: %s\nstderr: %s", out, errOut)
			if tc.code == 0 {
				require.Equal(t, tc.out, out)
			}
		})
	}
}
