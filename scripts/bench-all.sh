#!/usr/bin/env bash
# Every measurement BENCHMARKS.md quotes, in one run on one machine, into
# one directory: the machine, the commit and the load first, then the
# in-process benchmarks (interleaved rounds, scripts/bench.sh), the stages,
# the live heap per delivery in flight, the CPU profiles of a typical and a
# large delivery, the HTTP runs beside the floor server (typical and 1 MiB
# document; with wrk when installed, and with the Go load generator), and the throughput-against-size sweep and its plot. Each step
# writes its raw output and its summary next to the others, so every table
# can be traced to the file it came from.
#
#   scripts/bench-all.sh                        # into bench-out/run-<UTC time>/
#   DIR=bench-out/mine ROUNDS=3 scripts/bench-all.sh
#
# Settings (environment): DIR, ROUNDS (in-process rounds, default 6),
# HTTP_ROUNDS (default 3), DURATION (per HTTP load, default 10s),
# PLOT_COUNT (runs per point of the sweep, default 3), PLOT (the plot's
# file; default DIR/benchmarks-throughput.png). Needs gnuplot for the plot
# (apt-get install gnuplot-nox); without it the sweep is still run.
# Takes about 11 minutes on 2 CPUs with the defaults (wrk installed: both
# loaders run).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${DIR:-bench-out/run-$(date -u +%Y%m%dT%H%M%SZ)}
ROUNDS=${ROUNDS:-6}
HTTP_ROUNDS=${HTTP_ROUNDS:-3}
DURATION=${DURATION:-10s}
PLOT_COUNT=${PLOT_COUNT:-3}
PLOT=${PLOT:-$DIR/benchmarks-throughput.png}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

loadavg() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown; }
step() {
	# step NAME: a line in the run's log with the time and the load.
	echo "$(date -u +%H:%M:%S) load $(loadavg)  $1" | tee -a "$DIR/steps.txt" >&2
}

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "go: $(go version)"
	echo "cpus: $(nproc)"
	grep -m1 'model name' /proc/cpuinfo 2>/dev/null || true
	grep -o -w -m1 -E 'sha_ni' /proc/cpuinfo 2>/dev/null | head -1 | sed 's/^/flag: /' || true
	grep -m1 MemTotal /proc/meminfo 2>/dev/null || true
	echo "load at start: $(loadavg)"
} >"$DIR/machine.txt"
cat "$DIR/machine.txt" >&2

step "in process: BenchmarkDelivery, $ROUNDS rounds, -cpu 1,2"
OUT=$DIR/delivery.raw ROUNDS=$ROUNDS scripts/bench.sh >"$DIR/delivery.md"

step "in process: BenchmarkStage, $ROUNDS rounds, 2 CPUs"
OUT=$DIR/stage.raw ROUNDS=$ROUNDS CPU=2 BENCH=BenchmarkStage scripts/bench.sh >"$DIR/stage.md"

step "in process: BenchmarkInFlight"
go test -run '^$' -bench BenchmarkInFlight -benchtime 10x -count 3 ./framework/ >"$DIR/inflight.txt"

step "profiles: typical and large delivery"
go test -c -o "$DIR/framework.test" ./framework/
(cd framework && "$DIR/framework.test" -test.run '^$' -test.bench 'BenchmarkDelivery/body=typical/impl=pipeline$' \
	-test.benchtime 20000x -test.cpuprofile "$DIR/typical.prof" >/dev/null)
(cd framework && "$DIR/framework.test" -test.run '^$' -test.bench 'BenchmarkDelivery/body=large/impl=pipeline$' \
	-test.cpu 1 -test.benchtime 40x -test.cpuprofile "$DIR/large.prof" >/dev/null)
go tool pprof -top -nodecount 40 "$DIR/framework.test" "$DIR/typical.prof" >"$DIR/typical-profile.txt" 2>/dev/null
go tool pprof -top -nodecount 40 "$DIR/framework.test" "$DIR/large.prof" >"$DIR/large-profile.txt" 2>/dev/null

# Over HTTP with wrk (32 connections, as the issue's own table was
# measured) when it is installed, and with the Go load generator (16).
loaders=httpload
command -v wrk >/dev/null && loaders="wrk httpload"
for loader in $loaders; do
	conc=16
	[ "$loader" = wrk ] && conc=32
	step "HTTP ($loader, $conc connections): typical delivery, $HTTP_ROUNDS rounds of $DURATION"
	LOADER=$loader CONC=$conc ROUNDS=$HTTP_ROUNDS DURATION=$DURATION scripts/bench-http.sh >"$DIR/http-typical-$loader.txt"
	step "HTTP ($loader, $conc connections): 1 MiB document, $HTTP_ROUNDS rounds of $DURATION"
	LOADER=$loader CONC=$conc BODY=1048576 ROUNDS=$HTTP_ROUNDS DURATION=$DURATION scripts/bench-http.sh >"$DIR/http-1mib-$loader.txt"
done

step "sweep: BenchmarkPayloadSize, $PLOT_COUNT runs per point"
if command -v gnuplot >/dev/null; then
	COUNT=$PLOT_COUNT BENCH_OUT=$DIR/payload.raw OUT=$PLOT scripts/bench-plot.sh 2>"$DIR/payload-plot.txt"
else
	go test -run '^$' -bench 'BenchmarkPayloadSize' -benchtime 20x -count "$PLOT_COUNT" ./framework/ >"$DIR/payload.raw"
	echo "gnuplot not found: no plot drawn" >&2
fi


step "done"
echo "load at end: $(loadavg)" >>"$DIR/machine.txt"
echo "$DIR"
