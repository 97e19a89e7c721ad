#!/usr/bin/env bash
# Compares third-party JSON libraries with encoding/json and with
# internal/typeddecode (BENCHMARKS.md, "Measured and not kept"):
#  1. agreement with json.Unmarshal on typeddecode's differential corpus
#     (TestCases, TestTopLevel, TestGenerated, TestFloats,
#     TestInvoiceIsHandled) and on one probe per behaviour; and (1b)
#     encoding/json built with GOEXPERIMENT=jsonv2 (encoding/json/v2 with
#     the v1 options) against the classic build, on the same inputs;
#  2. a bounded fuzz run per library (FUZZTIME, stops at the first
#     difference);
#  3. the typical invoice decode, every implementation in the same run,
#     ROUNDS rounds, medians (-cpu 1, -benchmem);
#  4. with valgrind installed (CALLGRIND=0 skips it), the instructions of
#     one decode without GC, which the machine's load does not change.
# It works in a scratch copy of the repository in a temporary directory
# (GOWORK=off) and adds the libraries there with go get: the repository's
# own go.mod never gains them. The comparison code is
# scripts/testdata/jsonlib-compare/libcmp_test.go.
#
#   scripts/jsonlib-compare.sh                     # everything
#   FUZZTIME=0 ROUNDS=3 CALLGRIND=0 scripts/jsonlib-compare.sh   # short
#   KEEP=1 scripts/jsonlib-compare.sh              # keep the scratch dir
#                                                  # (its disagreements.tsv
#                                                  # lists every difference)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${ROUNDS:-6}
FUZZTIME=${FUZZTIME:-60s}
BENCHTIME=${BENCHTIME:-2000x}
LIBS=${LIBS:-"github.com/goccy/go-json@v0.12.0 github.com/bytedance/sonic@v1.15.5 github.com/segmentio/encoding@v0.5.4 github.com/go-json-experiment/json@v1.27.2"}
FUZZ_LIBS=${FUZZ_LIBS:-"goccy/go-json sonic.ConfigStd segmentio/encoding/json json-experiment+v1opts"}

tmp=$(mktemp -d)
if [ "${KEEP:-}" = 1 ]; then echo "scratch copy: $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi
# The tracked and new (not ignored) files of the work tree.
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -c) | tar -x -C "$tmp"
cd "$tmp"
export GOWORK=off GOFLAGS=-mod=mod
go version
# shellcheck disable=SC2086
go get $LIBS 2>&1 | grep -v '^go: downloading' || true
pkg=internal/typeddecode
cp scripts/testdata/jsonlib-compare/libcmp_test.go "$pkg/"
# The differential test's check becomes checkTypeddecode; libcmp_test.go's
# check compares the libraries, then calls it.
sig='func check(t testing.TB, dec \*typeddecode.Decoder, data \[\]byte) bool {'
[ "$(grep -c "^$sig" "$pkg/diff_test.go")" = 1 ] || { echo "diff_test.go's check changed: update this script" >&2; exit 1; }
sed -i "s/^$sig/func checkTypeddecode(t testing.TB, dec *typeddecode.Decoder, data []byte) bool {/" "$pkg/diff_test.go"
go test -c -o "$tmp/libcmp.test" "./$pkg"
# The same tests built with GOEXPERIMENT=jsonv2: there encoding/json is
# encoding/json/v2 with the v1 options (Go 1.25 and later).
GOEXPERIMENT=jsonv2 go test -c -o "$tmp/libcmp-jsonv2.test" "./$pkg"
cd "$pkg"
corpus='^(TestCases|TestTopLevel|TestGenerated|TestFloats|TestInvoiceIsHandled|TestLibraryProbes)$'

echo "== 1. differential corpus and probes"
JSONLIB_LOG="$tmp/disagreements.tsv" "$tmp/libcmp.test" -test.count 1 -test.run "$corpus"

echo "== 1b. encoding/json with GOEXPERIMENT=jsonv2 against the classic one, same inputs (two builds)"
JSONLIB_DUMP="$tmp/dump-classic.tsv" "$tmp/libcmp.test" -test.count 1 -test.run "$corpus" >/dev/null
JSONLIB_DUMP="$tmp/dump-jsonv2.tsv" "$tmp/libcmp-jsonv2.test" -test.count 1 -test.run "$corpus" >/dev/null
awk -F'\t' '
	NR == FNR { classic[FNR] = $0; next }
	{ split(classic[FNR], c, "\t"); if (c[1] != $1 || c[2] != $2) { print "the two runs saw other inputs at line " FNR; bad = 1; exit 1 }
	  corpus = $1; sub(/^probe: .*/, "probes", corpus); total[corpus]++
	  if (c[4] != $4) { differ[corpus]++; if (!(corpus in ex)) ex[corpus] = substr($3 " on " $2 ": classic " c[4] "; jsonv2 " $4, 1, 400)
	    if ($1 ~ /^probe: /) print "    differs on the probe \"" substr($1, 8) "\": classic " substr(c[4], 1, 150) "; jsonv2 " substr($4, 1, 150) } }
	END { if (bad) exit 1; for (k in total) { printf "%-22s %5d of %5d inputs differ\n", k, differ[k], total[k]; if (k in ex) print "    e.g. " ex[k] } }
' "$tmp/dump-classic.tsv" "$tmp/dump-jsonv2.tsv"

if [ "$FUZZTIME" != 0 ]; then
	echo "== 2. fuzzing the Everything type, $FUZZTIME per library, until the first difference"
	for lib in $FUZZ_LIBS; do
		rm -rf testdata/fuzz/FuzzLibrary
		out=$(JSONLIB_FUZZ=$lib "$tmp/libcmp.test" -test.run '^$' -test.fuzz '^FuzzLibrary$' \
			-test.fuzztime "$FUZZTIME" -test.parallel 1 -test.fuzzcachedir "$tmp/fuzzcache" 2>&1) || true
		if grep -q -- '--- FAIL' <<<"$out"; then
			echo "$lib: $(grep -m1 -o 'elapsed: [0-9a-z]*' <<<"$out" | tail -1 || true) first difference: $(grep -m1 'differs on' <<<"$out" | cut -c1-400)"
		else
			echo "$lib: no difference: $(grep -E 'fuzz: elapsed' <<<"$out" | tail -1)"
		fi
	done
fi

echo "== 3. typical invoice into fixtures.Invoice, $ROUNDS rounds of every implementation, -cpu 1, medians"
for r in $(seq "$ROUNDS"); do
	"$tmp/libcmp.test" -test.run '^$' -test.bench '^BenchmarkLibraries$' -test.benchtime "$BENCHTIME" \
		-test.benchmem -test.cpu 1 | grep '^BenchmarkLibraries/'
	"$tmp/libcmp-jsonv2.test" -test.run '^$' -test.bench '^BenchmarkLibraries/impl=encoding-json$' -test.benchtime "$BENCHTIME" \
		-test.benchmem -test.cpu 1 | grep '^BenchmarkLibraries/' | sed 's/impl=encoding-json/impl=encoding-json-GOEXPERIMENT=jsonv2/'
done >"$tmp/bench.txt"
# Medians over the rounds of ns/op, and of each round's ratios to
# encoding/json and to typeddecode (a load that changes between rounds
# cancels out of a ratio); B/op and allocs/op are exact.
awk '
	{ name = $1; sub(/^BenchmarkLibraries\/impl=/, "", name)
	  for (i = 2; i <= NF; i++) { if ($i == "ns/op") v = $(i-1); if ($i == "B/op") by[name] = $(i-1); if ($i == "allocs/op") al[name] = $(i-1) }
	  if (name == "encoding-json") r++
	  ns[r, name] = v; if (!(name in seen)) { seen[name] = 1; order[++n] = name } }
	function median(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	  return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
	END { printf "%-36s %9s %7s %7s %8s %11s\n", "impl", "ns/op", "B/op", "allocs", "x json", "x typeddec"
	  for (x = 1; x <= n; x++) { delete t; delete p; delete q
	    for (i = 1; i <= r; i++) { t[i] = ns[i, order[x]]; p[i] = ns[i, order[x]] / ns[i, "encoding-json"]; q[i] = ns[i, order[x]] / ns[i, "typeddecode"] }
	    printf "%-36s %9.0f %7s %7s %8.2f %11.2f\n", order[x], median(t, r), by[order[x]], al[order[x]], median(p, r), median(q, r) } }
' "$tmp/bench.txt"

if [ "${CALLGRIND:-1}" = 1 ] && command -v valgrind >/dev/null; then
	echo "== 4. instructions per decode of the typical invoice, without GC (callgrind, GOGC=off: (I(1100 decodes) - I(100)) / 1000)"
	# GOGC=off makes the count repeatable (within 0.5%); it leaves out the
	# collector's work, which grows with the bytes and objects allocated.
	# Callgrind needs Go's asynchronous preemption off.
	instr() { # binary, impl, count
		GOGC=off GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" -test.run '^$' -test.bench "^BenchmarkLibraries/impl=$2\$" \
			-test.benchtime "$3x" -test.cpu 1 2>&1 >/dev/null | sed -n 's/.*Collected : //p'
	}
	for impl in $(awk '{ n = $1; sub(/^BenchmarkLibraries\/impl=/, "", n); sub(/-[0-9]+$/, "", n); if (!(n in s)) { s[n] = 1; print n } }' "$tmp/bench.txt"); do
		bin=$tmp/libcmp.test name=$impl
		case $impl in encoding-json-GOEXPERIMENT=jsonv2) bin=$tmp/libcmp-jsonv2.test name=encoding-json ;; esac
		a=$(GOMAXPROCS=1 instr "$bin" "$name" 100) b=$(GOMAXPROCS=1 instr "$bin" "$name" 1100)
		printf "%-36s %9d instructions\n" "$impl" $(((b - a) / 1000))
	done
fi
