package framework_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
)

// TestMemoryDeduperAllocations checks the in-memory deduper's per-request
// cost: a duplicate allocates nothing, a claim its entry and its finish
// (no channel until a delivery waits for it).
func TestMemoryDeduperAllocations(t *testing.T) {
	ctx := context.Background()
	m := framework.NewMemoryDeduper(time.Hour)
	_, finish, err := m.Begin(ctx, "seen")
	require.NoError(t, err)
	finish(true)
	dup := testing.AllocsPerRun(100, func() {
		if seen, _, _ := m.Begin(ctx, "seen"); !seen {
			t.Fatal("not seen")
		}
	})
	require.Zero(t, dup, "a duplicate's allocations")
	claim := testing.AllocsPerRun(100, func() {
		seen, finish, _ := m.Begin(ctx, "released")
		if seen {
			t.Fatal("seen")
		}
		finish(false)
	})
	require.LessOrEqual(t, claim, 2.0, "a claim's allocations")
}

// TestMemoryDeduperReleaseWakesAWaiter checks that a delivery waiting for
// a claim that fails takes the key itself.
func TestMemoryDeduperReleaseWakesAWaiter(t *testing.T) {
	ctx := context.Background()
	m := framework.NewMemoryDeduper(time.Hour)
	_, finish, err := m.Begin(ctx, "k")
	require.NoError(t, err)
	type claim struct {
		seen   bool
		finish func(bool)
		err    error
	}
	got := make(chan claim)
	go func() {
		seen, f, err := m.Begin(ctx, "k")
		got <- claim{seen, f, err}
	}()
	finish(false) // before or after the waiter arrives: it gets the key

	c := <-got
	require.NoError(t, c.err)
	require.False(t, c.seen, "the failed claim is released to the waiter")
	require.NotNil(t, c.finish)
	c.finish(true)
	seen, _, err := m.Begin(ctx, "k")
	require.NoError(t, err)
	require.True(t, seen)
}
