package framework_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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

// TestMemoryDeduperRemembersManyKeys processes 100,000 distinct keys and
// checks that each is seen and that as many others are not, and what a
// remembered key holds of the heap once collected: its hash and time, not
// its string and an entry (about 140 bytes before).
func TestMemoryDeduperRemembersManyKeys(t *testing.T) {
	const n = 100_000
	ctx := context.Background()
	key := func(i int) string { return fmt.Sprintf("xxh3:%032x", i) }
	m := framework.NewMemoryDeduper(time.Hour)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		seen, finish, err := m.Begin(ctx, key(i))
		require.NoError(t, err)
		require.False(t, seen)
		finish(true)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perKey := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
	t.Logf("%.1f bytes of heap per remembered key", perKey)
	require.Equal(t, n, m.Len())
	for i := range n {
		seen, _, err := m.Begin(ctx, key(i))
		require.NoError(t, err)
		require.True(t, seen, "key %d", i)
		seen, finish, err := m.Begin(ctx, key(n+i))
		require.NoError(t, err)
		require.False(t, seen, "key %d", n+i)
		finish(false)
	}
	require.Equal(t, n, m.Len())
	assert.Less(t, perKey, 80.0, "heap per remembered key")
	runtime.KeepAlive(m)
}

// BenchmarkMemoryDeduperClaims claims and processes a new key per
// iteration, as a receiver of distinct deliveries does: the keys the
// window remembers accumulate (b.N of them), and the garbage collector's
// share of the time grows with what it has to scan of them.
//
//	go test -run '^$' -bench BenchmarkMemoryDeduperClaims -benchtime 1000000x ./framework
func BenchmarkMemoryDeduperClaims(b *testing.B) {
	ctx := context.Background()
	m := framework.NewMemoryDeduper(time.Hour)
	buf := []byte("xxh3:00000000000000000000000000000000")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		for j, k := len(buf)-1, i; k > 0; j, k = j-1, k>>4 {
			buf[j] = "0123456789abcdef"[k&15]
		}
		seen, finish, err := m.Begin(ctx, string(buf))
		if err != nil || seen {
			b.Fatal(seen, err)
		}
		finish(true)
	}
}
