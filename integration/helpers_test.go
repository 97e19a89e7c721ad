package integration_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/durable/embedded"
	"github.com/retabhook/retabhook/internal/fixtures"
)

const secret = "whsec_integration_test"

// Event is the durable tests' document type.
type Event struct {
	Name string `json:"name" validate:"required"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

// Invoice is the observers' benchmark document type.
type Invoice struct {
	Number string `json:"number" validate:"required"`
	Lines  []struct {
		Description string `json:"description" validate:"required"`
		Quantity    int    `json:"quantity" validate:"gt=0"`
	} `json:"line_items" validate:"min=1,dive"`
	Total float64 `json:"total" validate:"gte=0"`
}

func eventBody(n int) []byte {
	return fixtures.ContentEnvelope(fmt.Sprintf(`{"name":"event-%d","date":"2024-01-02"}`, n))
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// fast are the engine options of the tests: quick retries.
func fast(dir string) []durable.Option {
	return []durable.Option{
		durable.WithDir(dir),
		durable.WithLogger(quiet()),
		durable.WithBackoff(5*time.Millisecond, 50*time.Millisecond),
		durable.WithAckWait(2 * time.Second),
	}
}

// openEngine opens an embedded engine closed at cleanup.
func openEngine(t *testing.T, opts ...durable.Option) *durable.Engine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := embedded.Open(ctx, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// run starts the engine's workers; stop (also at cleanup) waits for them.
func run(t *testing.T, e *durable.Engine, p durable.Processor) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx, p) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			require.NoError(t, <-done)
		})
	}
	t.Cleanup(stop)
	return stop
}
