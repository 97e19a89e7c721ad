//go:build race

package framework

// raceEnabled: the race detector drops sync.Pool items at random, so
// allocation counts that rely on a pool (the log handler's buffers, the
// body hashes) are not exact under -race.
const raceEnabled = true
