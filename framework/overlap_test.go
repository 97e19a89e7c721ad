package framework_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

type looseNote struct {
	Text string `json:"text,omitempty"`
}

type looseTally struct {
	Count int `json:"count,omitempty"`
}

// Two types whose fields are all optional both accept {}: registration
// says so once, in the log and in schemas report, and such a delivery is
// indeed ambiguous.
func TestOverlapWarning(t *testing.T) {
	var logs bytes.Buffer
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, looseNote) error { return nil })
	framework.Handle(r, func(context.Context, looseTally) error { return nil })
	framework.Handle(r, func(context.Context, CalendarEvent) error { return nil })
	require.Equal(t, 1, strings.Count(logs.String(), "two registered types accept the same content"), logs.String())
	require.Contains(t, logs.String(), `kinds="[loose_note loose_tally]" instance={}`)

	require.Len(t, r.Overlaps("loose_note"), 1)
	require.True(t, strings.HasPrefix(r.Overlaps("loose_note")[0], "loose_note and loose_tally both accept {}"), r.Overlaps("loose_note"))
	require.True(t, strings.HasPrefix(r.Overlaps("loose_tally")[0], "loose_tally and loose_note both accept {}"), r.Overlaps("loose_tally"))
	require.Empty(t, r.Overlaps("calendar_event"))
	require.Empty(t, r.Overlaps("unregistered"))

	w := post(t, r, "/webhook", fixtures.ContentEnvelope(`{}`), secret)
	require.Equal(t, 422, w.Code)
	require.Equal(t, framework.ErrAmbiguousRoute.Type(), problem(t, w).Type)
}
