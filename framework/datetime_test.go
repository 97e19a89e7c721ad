package framework_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

type receipt struct {
	PrintedAt schemas.DateTime `json:"printed_at"`
	Total     float64          `json:"total"`
}

// A zone-less date-time decodes through the router, fast path or not; a
// value with a zone is refused at its pointer; time.Duration fails
// registration.
func TestDateTimeThroughTheRouter(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	var got receipt
	framework.Handle(r, func(_ context.Context, v receipt) error { got = v; return nil })
	w := post(t, r, "/webhook", fixtures.ContentEnvelope(`{"printed_at":"2024-03-15T14:32","total":9.5}`), secret)
	require.Equal(t, 200, w.Code, w.Body.String())
	require.Equal(t, time.Date(2024, 3, 15, 14, 32, 0, 0, time.UTC), got.PrintedAt.In(time.UTC))

	w = post(t, r, "/webhook", fixtures.ContentEnvelope(`{"printed_at":"2024-03-15T14:32:00Z","total":9.5}`), secret)
	require.Equal(t, 422, w.Code)
	doc := problem(t, w)
	require.Equal(t, framework.ErrSchemaViolation.Type(), doc.Type)
	require.Equal(t, "/printed_at", doc.Violations[0].Pointer)

	w = post(t, r, "/webhook", fixtures.ContentEnvelope(`{"printed_at":"2024-02-30T14:32","total":9.5}`), secret)
	require.Equal(t, 422, w.Code)
	require.Equal(t, "/printed_at", problem(t, w).Violations[0].Pointer)

	type job struct {
		Took time.Duration `json:"took"`
	}
	err = framework.HandleSafely(r, func(context.Context, job) error { return nil })
	require.ErrorIs(t, err, framework.ErrRegistration)
	require.ErrorIs(t, err, schemas.ErrUnsupportedType)
}
