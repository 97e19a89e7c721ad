#!/usr/bin/env bash
# HTTP load test on loopback: the example receiver (examples/invoice, as a
# user runs it: logs, metrics), the hand-written baseline receiver
# (internal/bench.Naive) and the floor (internal/bench.Floor: reads the
# body and checks its HMAC, nothing else), under the same closed-loop
# load, in turn, in the same run. Prints requests per second and latency
# percentiles, then each round's receiver/naive and receiver/floor
# throughput ratios, and the median of each over the rounds. On Linux it
# also prints each server's CPU time per request (user + system, from
# /proc/PID/stat) and the floor's CPU per request over the receiver's:
# the load generator shares the CPUs, so the throughput ratio depends on
# its cost too (a heavier generator pulls it towards 1), the CPU ratio
# does not.
#
#   scripts/bench-http.sh                    # typical delivery, 16 connections, 3 rounds of 10 s
#   BODY=1048576 CONC=4 scripts/bench-http.sh   # a delivery with a 1 MiB document
#   LOADER=wrk scripts/bench-http.sh         # the load from wrk (apt-get install wrk)
#
# Settings (environment): BODY (typical or a document size in bytes),
# CONC, DURATION, ROUNDS, RECEIVER_PORT, NAIVE_PORT, FLOOR_PORT, LOADER
# (httpload, the Go load generator of internal/bench, the default; or
# wrk, which costs the shared CPUs less per request), DISTINCT (1: with
# httpload, each request is a delivery of its own, its completion id
# numbered and signed by the sender, so that the example receiver, which
# de-duplicates, processes every one rather than answering "duplicate"
# from the second on; the default for the typical delivery; 0, the
# default for a large one, where signing each request would cost the
# shared CPUs as much as the floor's whole work: the same body every
# time, as wrk always sends). Traffic stays on 127.0.0.1; each load stops
# by itself after DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."

BODY=${BODY:-typical}
CONC=${CONC:-16}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
if [ "$BODY" = typical ]; then DISTINCT=${DISTINCT:-1}; else DISTINCT=${DISTINCT:-0}; fi
LOADER=${LOADER:-httpload}
RECEIVER_PORT=${RECEIVER_PORT:-18081}
NAIVE_PORT=${NAIVE_PORT:-18082}
FLOOR_PORT=${FLOOR_PORT:-18083}
SECRET="whsec_load_$$"

tmp=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

case $LOADER in
httpload) ;;
wrk) command -v wrk >/dev/null || { echo "LOADER=wrk: wrk is not installed (apt-get install wrk)" >&2; exit 1; } ;;
*) echo "LOADER=$LOADER: want httpload or wrk" >&2; exit 1 ;;
esac

go build -o "$tmp/invoice" ./examples/invoice
go build -o "$tmp/httpload" ./internal/bench/cmd/httpload
if [ "$LOADER" = wrk ]; then
	sig=$(WEBHOOKS_SECRET=$SECRET "$tmp/httpload" request -body "$BODY" -out "$tmp/body.json")
	cat >"$tmp/post.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Retab-Signature"] = "$sig"
local f = assert(io.open("$tmp/body.json", "rb"))
wrk.body = f:read("*a")
f:close()
EOF
fi

WEBHOOKS_SECRET=$SECRET ADDR=127.0.0.1:$RECEIVER_PORT "$tmp/invoice" 2>"$tmp/receiver.log" &
pids+=($!)
declare -A pid_of
pid_of[$RECEIVER_PORT]=$!
WEBHOOKS_SECRET=$SECRET "$tmp/httpload" naive -addr 127.0.0.1:$NAIVE_PORT &
pids+=($!)
pid_of[$NAIVE_PORT]=$!
WEBHOOKS_SECRET=$SECRET "$tmp/httpload" floor -addr 127.0.0.1:$FLOOR_PORT &
pids+=($!)
pid_of[$FLOOR_PORT]=$!

# Wait until all three answer (any status).
for port in $RECEIVER_PORT $NAIVE_PORT $FLOOR_PORT; do
	for _ in $(seq 100); do
		if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then break; fi
		sleep 0.1
	done
done

distinct_flag=false
bodies="the same body every time"
if [ "$LOADER" = httpload ] && [ "$DISTINCT" = 1 ]; then distinct_flag=true; bodies="a distinct delivery per request"; fi
echo "load: $LOADER body=$BODY ($bodies) concurrency=$CONC duration=$DURATION rounds=$ROUNDS, $(nproc) CPUs, $(go version | cut -d' ' -f3)"
# run_load PORT DURATION: one load, printed as httpload prints it.
run_load() {
	if [ "$LOADER" = httpload ]; then
		WEBHOOKS_SECRET=$SECRET "$tmp/httpload" load -url "http://127.0.0.1:$1/webhook" -body "$BODY" -c "$CONC" -d "$2" -distinct="$distinct_flag"
		return
	fi
	wrk -t "$(( CONC < $(nproc) ? CONC : $(nproc) ))" -c "$CONC" -d "$2" --latency -s "$tmp/post.lua" "http://127.0.0.1:$1/webhook" | awk '
		$1 == "Latency" && NF >= 4 { max = $4 }
		$1 == "50%" { p50 = $2 } $1 == "90%" { p90 = $2 } $1 == "99%" { p99 = $2 }
		/requests in/ { n = $1 }
		/Non-2xx/ { errs += $NF }
		/Socket errors/ { gsub(",", ""); errs += $4 + $6 + $8 + $10 }
		/^Requests\/sec/ { rps = $2 }
		END { printf "%9.0f req/s  p50 %8s  p90 %8s  p99 %8s  max %8s  (%d requests, %d errors)\n", rps, p50, p90, p99, max, n, errs }'
}
# cpu_ticks PID: the process's CPU time (user + system) in clock ticks,
# empty where /proc is not there.
cpu_ticks() {
	[ -r "/proc/$1/stat" ] || return 0
	# The fields after the command name, which is in parentheses.
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
ticks_per_s=$(getconf CLK_TCK 2>/dev/null || echo 100)
# load PORT: the load's result line, then the server's CPU microseconds
# per request (0 when unknown).
load() {
	local c0 c1 res
	c0=$(cpu_ticks "${pid_of[$1]}")
	res=$(run_load "$1" "$DURATION")
	c1=$(cpu_ticks "${pid_of[$1]}")
	awk -v res="$res" -v c0="${c0:-0}" -v c1="${c1:-0}" -v hz="$ticks_per_s" 'BEGIN {
		n = res; sub(/.*\(/, "", n); n += 0
		us = (n > 0 && c1 > c0) ? (c1 - c0) * 1e6 / hz / n : 0
		printf "%s  cpu/req %.0f us\n", res, us
	}'
}
# A short warm-up of each, not counted.
for port in $RECEIVER_PORT $NAIVE_PORT $FLOOR_PORT; do
	run_load "$port" 2s >/dev/null
done

ratios=()
for round in $(seq "$ROUNDS"); do
	r=$(load $RECEIVER_PORT)
	n=$(load $NAIVE_PORT)
	f=$(load $FLOOR_PORT)
	echo "round $round  receiver $r"
	echo "round $round  naive    $n"
	echo "round $round  floor    $f"
	line=$(awk -v r="$r" -v n="$n" -v f="$f" 'BEGIN {
		split(r, a, " "); split(n, b, " "); split(f, c, " ")
		# The CPU per request is the field before the last ("us").
		cr = a[length(a) - 1]; cf = c[length(c) - 1]
		printf "%.2f %.2f %.2f", a[1] / b[1], a[1] / c[1], (cr > 0 && cf > 0) ? cf / cr : 0
	}')
	read -r rn rf rc <<<"$line"
	echo "round $round  receiver/naive throughput: $rn  receiver/floor throughput: $rf  floor/receiver CPU per request: $rc"
	ratios+=("$line")
done
printf '%s\n' "${ratios[@]}" | awk '
	{ n++; a[n] = $1; b[n] = $2; c[n] = $3 }
	function median(v, m,    i, j, t) {
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END { printf "median over %d rounds  receiver/naive: %.2f  receiver/floor: %.2f  floor/receiver CPU per request: %.2f\n", n, median(a, n), median(b, n), median(c, n) }'
