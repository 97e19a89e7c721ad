// Command benchratio reads `go test -bench` output and prints, for each
// benchmark, the median of every implementation (the impl= element of
// the name) with its time and allocations as a multiple of impl=naive
// and its throughput as a share of impl=hmac, the floor. Ratios are
// taken within the one run it reads.
//
//	go test -run '^$' -bench BenchmarkDelivery -count 6 ./framework/ | go run ./internal/bench/cmd/benchratio
package main

import (
	"fmt"
	"os"

	"github.com/retabhook/retabhook/internal/bench"
)

func main() {
	s, err := bench.ParseBench(os.Stdin)
	if err == nil {
		err = bench.WriteRatios(os.Stdout, s)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
}
