package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/internal/fixtures"
)

// textLines returns what slog's TextHandler and textHandler write for r,
// at level.
func textLines(t testing.TB, level slog.Level, r slog.Record) (want, got string) {
	var w, g bytes.Buffer
	ctx := context.Background()
	sh := slog.NewTextHandler(&w, &slog.HandlerOptions{Level: level})
	th := newTextHandler(&g, level)
	require.Equal(t, sh.Enabled(ctx, r.Level), th.Enabled(ctx, r.Level))
	require.NoError(t, sh.Handle(ctx, r))
	require.NoError(t, th.Handle(ctx, r))
	return w.String(), g.String()
}

// textStrings are strings slog writes as they are and strings it quotes:
// empty, spaces, '=', quotes, backslashes, controls, DEL, non-ASCII
// printable and not, Unicode spaces, invalid UTF-8.
var textStrings = []string{"", "invoice", "dlv2_0123456789abcdef0123456789abcdef", "a b", "a=b", `a"b`, `a\b`, `\`, "a\nb", "\t",
	"\x00", "\x1f", "\x7f", "é", "日本", "\u00a0", "\u2028", "\u200b", "\xff", "a\xc3", "\U0001F600", "-", "+", "retabhook delivery",
	"gpt-4.1", "completion", "INFO", "<script>&", "{}", "[1,2]", "a,b;c:d"}

// TestTextHandlerAgreesWithSlog checks textHandler's lines byte for byte
// against slog.NewTextHandler's: every kind of attr value (those it
// formats and those it leaves to slog), keys and strings slog quotes or
// not, levels, times in zones east and west of UTC (with seconds in their
// offset), at the edges of milliseconds and years, the zero time, and
// random records.
func TestTextHandlerAgreesWithSlog(t *testing.T) {
	base := time.Date(2026, 12, 1, 21, 4, 5, 123456789, time.UTC)
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("A", 5*3600+30*60), time.FixedZone("B", -8*3600),
		time.FixedZone("C", -(3*3600 + 25*60 + 17)), time.FixedZone("D", 45), time.FixedZone("E", -45)}
	times := []time.Time{{}, base, time.Now(), base.Truncate(time.Second), base.Add(-time.Nanosecond), time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 1e6, time.UTC)}
	values := []slog.Value{slog.IntValue(0), slog.IntValue(-7), slog.Int64Value(math.MinInt64), slog.Uint64Value(math.MaxUint64),
		slog.DurationValue(0), slog.DurationValue(1234567 * time.Nanosecond), slog.DurationValue(-time.Hour), slog.BoolValue(true), slog.BoolValue(false),
		slog.Float64Value(1.5), slog.TimeValue(base), slog.AnyValue(errors.New("a b")), slog.AnyValue(nil), slog.AnyValue([]byte("x")),
		slog.GroupValue(slog.Int("a", 1)), slog.AnyValue(http.StatusText)}
	for _, s := range textStrings {
		values = append(values, slog.StringValue(s))
	}
	check := func(level slog.Level, r slog.Record) {
		t.Helper()
		want, got := textLines(t, level, r)
		require.Equal(t, want, got, "%v", r)
	}
	for _, tm := range times {
		for _, z := range zones {
			for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelInfo + 2, slog.LevelError + 5} {
				check(slog.LevelDebug, slog.NewRecord(tm.In(z), l, "retabhook delivery", 0))
			}
		}
	}
	for _, s := range textStrings {
		for _, v := range values {
			r := slog.NewRecord(base, slog.LevelInfo, s, 0)
			r.AddAttrs(slog.Attr{Key: s, Value: v}, slog.Attr{Key: "k", Value: v})
			check(slog.LevelInfo, r)
		}
	}
	// The zero attr, which slog elides, among others; more attrs than a
	// record keeps inline.
	r := slog.NewRecord(base, slog.LevelInfo, "m", 0)
	r.AddAttrs(slog.Int("a", 1), slog.Attr{}, slog.String("", "x"), slog.Attr{Key: "z"})
	check(slog.LevelInfo, r)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		tm := times[rng.IntN(len(times))].In(zones[rng.IntN(len(zones))]).Add(time.Duration(rng.Int64N(int64(1000 * time.Hour))))
		r := slog.NewRecord(tm, slog.Level(rng.IntN(24)-8), textStrings[rng.IntN(len(textStrings))], 0)
		for range rng.IntN(20) {
			v := values[rng.IntN(len(values))]
			if rng.IntN(3) > 0 {
				v = values[rng.IntN(9)] // mostly the kinds formatted here
			}
			r.AddAttrs(slog.Attr{Key: textStrings[rng.IntN(len(textStrings))], Value: v})
		}
		check(slog.LevelWarn, r)
	}
}

// FuzzTextHandler compares textHandler with slog's TextHandler on a
// record of the fuzzed message, key, string value, integer, duration and
// time.
func FuzzTextHandler(f *testing.F) {
	for i, s := range textStrings {
		f.Add(s, textStrings[(i+5)%len(textStrings)], textStrings[(i+9)%len(textStrings)], int64(i*7919), int64(i)*int64(time.Millisecond)+int64(i), int64(1764622800e9)+int64(i)*1e8, int32(i*1800-9*3600))
	}
	f.Fuzz(func(t *testing.T, msg, key, val string, n, d, ns int64, offset int32) {
		tm := time.Unix(0, ns).In(time.FixedZone("F", int(offset%(24*3600))))
		r := slog.NewRecord(tm, slog.LevelInfo, msg, 0)
		r.AddAttrs(slog.String(key, val), slog.Int64(val, n), slog.Duration(key, time.Duration(d)), slog.Uint64(msg, uint64(n)), slog.Bool(val, n%2 == 0))
		want, got := textLines(t, slog.LevelInfo, r)
		if want != got {
			t.Fatalf("slog: %q\nhere: %q", want, got)
		}
	})
}

// TestTextHandlerDerived checks that the handlers WithAttrs and WithGroup
// return write slog's lines, through the same writer.
func TestTextHandlerDerived(t *testing.T) {
	var w, g bytes.Buffer
	sl := slog.New(slog.NewTextHandler(&w, nil)).With("a", 1).WithGroup("g")
	tl := slog.New(newTextHandler(&g, slog.LevelInfo)).With("a", 1).WithGroup("g")
	for _, l := range []*slog.Logger{sl, tl} {
		l.Info("hello", "k", "v w")
		l.Debug("dropped")
	}
	require.Contains(t, w.String(), `msg=hello a=1 g.k="v w"`)
	require.Equal(t, strings.SplitN(w.String(), " ", 2)[1], strings.SplitN(g.String(), " ", 2)[1])
}

var duration = regexp.MustCompile(`duration=[0-9.]+[a-zµ]+`)

// TestDeliveryLogLine checks the receiver's delivery line, written by
// textHandler, against the line slog's TextHandler writes for the same
// requests (the time and the duration aside): processed, then duplicate, then refused.
func TestDeliveryLogLine(t *testing.T) {
	lines := func(text bool) []string {
		var logs bytes.Buffer
		cfg, err := loadConfig(nil, env("WEBHOOKS_SECRET", testSecret, "ADDR", "127.0.0.1:0", "DATA_DIR", t.TempDir()), &logs)
		require.NoError(t, err)
		var logger *slog.Logger
		if text {
			logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: cfg.LogLevel}))
		} else {
			logger = cfg.logger(&logs)
			_, ok := logger.Handler().(*textHandler)
			require.True(t, ok, "the receiver's text log goes through textHandler")
		}
		s, err := newServer(cfg, logger, nil, nil)
		require.NoError(t, err)
		logs.Reset()
		d := retabtest.Signed(testSecret, fixtures.TypicalDelivery())
		for _, want := range []int{http.StatusOK, http.StatusOK} {
			rec := httptest.NewRecorder()
			s.webhooks.ServeHTTP(rec, d.Request("/webhook"))
			require.Equal(t, want, rec.Code, rec.Body.String())
		}
		rec := httptest.NewRecorder()
		s.webhooks.ServeHTTP(rec, retabtest.Signed("whsec_other", fixtures.TypicalDelivery()).Request("/webhook"))
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		var out []string
		for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			_, rest, ok := strings.Cut(l, " ") // the time
			require.True(t, ok, l)
			out = append(out, duration.ReplaceAllString(rest, "duration=D"))
		}
		return out
	}
	want, got := lines(true), lines(false)
	require.Equal(t, want, got)
	assert.Contains(t, strings.Join(got, "\n"), `msg="retabhook delivery" status=200`)
}

// BenchmarkTextHandler writes the router's delivery line (the attrs of a
// typical delivery) with slog's TextHandler and with textHandler:
//
//	go test -run '^$' -bench BenchmarkTextHandler -benchmem ./examples/invoice
func BenchmarkTextHandler(b *testing.B) {
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "retabhook delivery", 0)
	r.AddAttrs(slog.Int("status", 200), slog.Duration("duration", 91234*time.Nanosecond), slog.Int64("body_bytes", 6412),
		slog.String("kind", "invoice"), slog.String("delivery_id", "dlv2_0123456789abcdef0123456789abcdef"),
		slog.String("completion_id", "chatcmpl-0123456789"), slog.String("model", "gpt-4.1"), slog.Int("secret_index", 0),
		slog.String("format", "completion"), slog.String("scheme", "hex"), slog.String("formula", "body"))
	for _, h := range []struct {
		name string
		h    slog.Handler
	}{{"slog", slog.NewTextHandler(io.Discard, nil)}, {"here", newTextHandler(io.Discard, slog.LevelInfo)}} {
		b.Run("handler="+h.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = h.h.Handle(context.Background(), r)
			}
		})
	}
}
