#!/usr/bin/env bash
# In-process benchmarks of the pipeline (package framework), interleaved:
# the test binary is built once and run ROUNDS times with -count 1, so
# that every implementation (impl=naive, pipeline, hmac, ...) is sampled
# in every round and a load that comes and goes on the machine falls on
# all of them alike. Prints the medians with each one's time and
# allocations as a multiple of the hand-written receiver (impl=naive) and
# its throughput as a share of HMAC-SHA256 alone (impl=hmac, the floor).
#
#   scripts/bench.sh                                  # BenchmarkDelivery, 6 rounds, -cpu 1,2
#   BENCH='BenchmarkStage' CPU=2 scripts/bench.sh     # the stages of a typical delivery
#   OUT=bench.txt scripts/bench.sh                    # keep the raw output (benchstat reads it too)
#
# Settings (environment): BENCH (a -bench pattern), ROUNDS, CPU (a -cpu
# list), BENCHTIME, OUT (raw output file).
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH=${BENCH:-BenchmarkDelivery}
ROUNDS=${ROUNDS:-6}
CPU=${CPU:-1,2}
BENCHTIME=${BENCHTIME:-1s}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
OUT=${OUT:-$tmp/raw.txt}
: >"$OUT"

go test -c -o "$tmp/framework.test" ./framework/
echo "bench: $BENCH, $ROUNDS rounds, -cpu $CPU, -benchtime $BENCHTIME, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown), $(go version | cut -d' ' -f3)" | tee -a "$OUT"
for round in $(seq "$ROUNDS"); do
	# The test binary runs in the package's directory, as go test runs it.
	(cd framework && "$tmp/framework.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem \
		-test.cpu "$CPU" -test.benchtime "$BENCHTIME" -test.count 1) | grep '^Benchmark' | tee -a "$OUT" >&2
done
go run ./internal/bench/cmd/benchratio <"$OUT"
