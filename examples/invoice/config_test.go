package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestConfigDefaults(t *testing.T) {
	c, err := loadConfig(nil, env(), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{
		Addr: ":8000", LogLevel: slog.LevelInfo, LogFormat: "text",
		ShutdownTimeout: 25 * time.Second, Metrics: true, MaxInFlight: 256 << 20, DedupeWindow: 24 * time.Hour,
	}, c)
}

func TestConfigSources(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  func(string) string
		want func(*config)
	}{
		{"PORT", nil, env("PORT", "9000"), func(c *config) { c.Addr = ":9000" }},
		{"ADDR wins over PORT", nil, env("PORT", "9000", "ADDR", "127.0.0.1:7000"), func(c *config) { c.Addr = "127.0.0.1:7000" }},
		{"flag wins over env", []string{"--addr", ":1234"}, env("PORT", "9000"), func(c *config) { c.Addr = ":1234" }},
		{"ops addr", nil, env("OPS_ADDR", ":9090"), func(c *config) { c.OpsAddr = ":9090" }},
		{"log level env", nil, env("LOG_LEVEL", "debug"), func(c *config) { c.LogLevel = slog.LevelDebug }},
		{"log level flag", []string{"--log-level=warn"}, env("LOG_LEVEL", "debug"), func(c *config) { c.LogLevel = slog.LevelWarn }},
		{"log format env", nil, env("LOG_FORMAT", "json"), func(c *config) { c.LogFormat = "json" }},
		{"log format flag", []string{"--log-format", "json"}, env(), func(c *config) { c.LogFormat = "json" }},
		{"shutdown timeout", nil, env("SHUTDOWN_TIMEOUT", "5s"), func(c *config) { c.ShutdownTimeout = 5 * time.Second }},
		{"shutdown timeout flag", []string{"--shutdown-timeout=90s"}, env("SHUTDOWN_TIMEOUT", "5s"), func(c *config) { c.ShutdownTimeout = 90 * time.Second }},
		{"max in-flight bytes env", nil, env("MAX_INFLIGHT_BYTES", "1048576"), func(c *config) { c.MaxInFlight = 1 << 20 }},
		{"max in-flight bytes off", []string{"--max-inflight-bytes=0"}, env("MAX_INFLIGHT_BYTES", "1048576"), func(c *config) { c.MaxInFlight = 0 }},
		{"metrics off", nil, env("METRICS", "false"), func(c *config) { c.Metrics = false }},
		{"metrics flag", []string{"--metrics=false"}, env(), func(c *config) { c.Metrics = false }},
		{"one secret", nil, env("WEBHOOKS_SECRET", "whsec_a"), func(c *config) { c.Secrets = []string{"whsec_a"} }},
		{"rotation", nil, env("WEBHOOKS_SECRET", "whsec_old, whsec_new,"), func(c *config) { c.Secrets = []string{"whsec_old", "whsec_new"} }},
		{"per-environment secrets", nil, env("WEBHOOKS_SECRET_TEST", "whsec_t1,whsec_t2", "WEBHOOKS_SECRET_PRODUCTION", "whsec_p"), func(c *config) {
			c.EnvSecrets = map[string][]string{"test": {"whsec_t1", "whsec_t2"}, "production": {"whsec_p"}}
		}},
		{"API Call token", nil, env("API_CALL_TOKEN", " tok_1 "), func(c *config) { c.APICallToken = "tok_1" }},
		{"dedupe window env", nil, env("DEDUPE_WINDOW", "1h"), func(c *config) { c.DedupeWindow = time.Hour }},
		{"dedupe off", []string{"--dedupe-window=0"}, env(), func(c *config) { c.DedupeWindow = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := loadConfig(nil, env(), io.Discard)
			require.NoError(t, err)
			tt.want(&want)
			got, err := loadConfig(tt.args, tt.env, io.Discard)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  func(string) string
		want string
	}{
		{"bad level env", nil, env("LOG_LEVEL", "loud"), "LOG_LEVEL"},
		{"bad level flag", []string{"--log-level", "loud"}, env(), "log-level"},
		{"bad format env", nil, env("LOG_FORMAT", "xml"), "LOG_FORMAT"},
		{"bad format flag", []string{"--log-format", "xml"}, env(), "log-format"},
		{"bad timeout env", nil, env("SHUTDOWN_TIMEOUT", "soon"), "SHUTDOWN_TIMEOUT"},
		{"zero timeout", []string{"--shutdown-timeout", "0s"}, env(), "positive"},
		{"bad metrics env", nil, env("METRICS", "maybe"), "METRICS"},
		{"unknown flag", []string{"--durable-ish"}, env(), "not defined"},
		{"no secret flag", []string{"--secret", "x"}, env(), "not defined"},
		{"blank secret: comma", nil, env("WEBHOOKS_SECRET", ","), "WEBHOOKS_SECRET is set but holds no secret"},
		{"blank secret: space", nil, env("WEBHOOKS_SECRET", " "), "WEBHOOKS_SECRET is set but holds no secret"},
		{"blank secret: tab", nil, env("WEBHOOKS_SECRET", "\t, \t"), "WEBHOOKS_SECRET is set but holds no secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(tt.args, tt.env, io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestConfigHelpListsEveryVariable(t *testing.T) {
	var usage bytes.Buffer
	_, err := loadConfig([]string{"-h"}, env(), &usage)
	require.True(t, errors.Is(err, flag.ErrHelp))
	for _, v := range []string{"ADDR", "PORT", "OPS_ADDR", "LOG_LEVEL", "LOG_FORMAT", "SHUTDOWN_TIMEOUT", "METRICS", "WEBHOOKS_SECRET"} {
		assert.Contains(t, usage.String(), "env "+v)
	}
}

func TestConfigLogger(t *testing.T) {
	var buf bytes.Buffer
	c := config{LogLevel: slog.LevelWarn, LogFormat: "json"}
	l := c.logger(&buf)
	l.Info("hidden")
	l.Warn("shown")
	assert.NotContains(t, buf.String(), "hidden")
	assert.Contains(t, buf.String(), `"msg":"shown"`)
}

func TestMemoryLimit(t *testing.T) {
	limit, ok := memoryLimit(256<<20, "")
	assert.True(t, ok)
	assert.Equal(t, int64(256<<20+128<<20), limit)
	_, ok = memoryLimit(256<<20, "1GiB")
	assert.False(t, ok, "GOMEMLIMIT wins")
	_, ok = memoryLimit(0, "")
	assert.False(t, ok, "no bound on bodies, no limit")
}
