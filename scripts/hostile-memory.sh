#!/usr/bin/env bash
# Hostile-traffic memory test on loopback (issue 10): the example receiver
# (examples/invoice, default MAX_INFLIGHT_BYTES = 256 MiB, body limit
# 64 MiB) gets rounds of CONC concurrent chunked bodies of 65 MiB (one MiB
# over the limit), sent with curl:
#
#   unsigned      no signature header: refused 401 before a byte is read
#   signed-form   a well-formed signature of another secret: read up to the
#                 limit, then refused 413 (the costliest a stranger can do)
#   valid         CONC valid deliveries of about 48 MiB each (a 35 MiB
#                 document), declared with Content-Length, answered 200
#
# After each scenario it prints the receiver's peak resident memory
# (VmHWM in /proc/PID/status, Linux only) against the in-flight bound. The
# example sets Go's soft memory limit to the bound + 128 MiB (GOMEMLIMIT
# overrides it: GOMEMLIMIT=off shows the heap growing to twice what is
# live before a collection).
#
#   scripts/hostile-memory.sh            # 4 connections, 3 rounds
#   CONC=8 ROUNDS=2 scripts/hostile-memory.sh
#
# Settings (environment): CONC, ROUNDS, PORT, SCENARIOS (default
# "unsigned signed-form valid"). Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

CONC=${CONC:-4}
SCENARIOS=${SCENARIOS:-unsigned signed-form valid}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18091}
SECRET="whsec_hostile_$$"
BOUND_MIB=256

tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/invoice" ./examples/invoice
go build -o "$tmp/retabhook" ./cmd/retabhook

peak() { awk '/VmHWM/ {printf "%d", $2/1024}' "/proc/$1/status"; }
rss() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status"; }

start() {
	WEBHOOKS_SECRET=$SECRET ADDR=127.0.0.1:$PORT "$tmp/invoice" 2>"$tmp/receiver.log" &
	pid=$!
	for _ in $(seq 100); do
		curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return
		sleep 0.1
	done
	echo "the receiver did not start:" >&2
	cat "$tmp/receiver.log" >&2
	exit 1
}
stop() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=""
}

# chunked NAME SIGNATURE-HEADER...: CONC concurrent 65 MiB chunked bodies.
chunked() {
	local name=$1
	shift
	for _ in $(seq "$CONC"); do
		head -c $((65 << 20)) /dev/zero | tr '\0' ' ' |
			curl -s -o /dev/null -w '%{http_code}\n' -X POST "http://127.0.0.1:$PORT/webhook" \
				-H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' "$@" --data-binary @- >>"$tmp/$name.codes" &
	done
	wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
}

report() {
	local name=$1
	printf '%-12s peak RSS %4d MiB (bound %d MiB, soft memory limit %s), now %4d MiB, answers: %s\n' \
		"$name" "$(peak "$pid")" "$BOUND_MIB" "${GOMEMLIMIT:-bound + 128 MiB}" "$(rss "$pid")" "$(sort "$tmp/$name.codes" | uniq -c | awk '{printf "%s x%s  ", $2, $1}')"
}

echo "receiver: examples/invoice, MAX_INFLIGHT_BYTES=${BOUND_MIB} MiB, body limit 64 MiB; $CONC concurrent, $ROUNDS rounds"

unsigned() {
	for _ in $(seq "$ROUNDS"); do chunked unsigned; done
}
signed-form() {
	local wrong
	wrong=$(printf x | openssl dgst -sha256 -hmac whsec_someone_else | awk '{print $NF}')
	for _ in $(seq "$ROUNDS"); do chunked signed-form -H "X-Retab-Signature: $wrong"; done
}
valid() {
	head -c $((35 << 20)) /dev/urandom >"$tmp/doc.pdf"
	printf '{"name":"Big","date":"2024-01-01"}' >"$tmp/content.json"
	for _ in $(seq "$ROUNDS"); do
		WEBHOOKS_SECRET=$SECRET "$tmp/retabhook" send -content "$tmp/content.json" -file "$tmp/doc.pdf" \
			-count "$CONC" -concurrency "$CONC" "http://127.0.0.1:$PORT/webhook/calendar_event" >"$tmp/send.out"
		# "status   200 x4": one line per answer, as curl writes them.
		awk '/^status/ {for (i = 2; i <= NF; i += 2) {n = substr($(i+1), 2) + 0; for (j = 0; j < n; j++) print $i}}' "$tmp/send.out" |
			tr -d , >>"$tmp/valid.codes"
	done
}

for scenario in $SCENARIOS; do
	start
	"$scenario"
	report "$scenario"
	stop
done
