//go:build unix

package framework

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used, all threads (GC
// included): on a loaded machine it measures a benchmark's own work
// better than the wall clock, which counts the time spent waiting for a
// CPU.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
