#!/usr/bin/env bash
# Compares third-party JSON libraries with encoding/json and with
# internal/typeddecode (BENCHMARKS.md, "Measured and not kept"):
#  1. agreement with json.Unmarshal on typeddecode's differential corpus
#     (TestCases, TestTopLevel, TestGenerated, TestFloats,
#     TestInvoiceIsHandled) and on one probe per behaviour;
#  2. a bounded fuzz run per library (FUZZTIME, stops at the first
#     difference);
#  3. the typical invoice decode, every implementation in the same run,
#     ROUNDS rounds, medians (-cpu 1, -benchmem).
# It works in a scratch copy of the repository in a temporary directory
# (GOWORK=off) and adds the libraries there with go get: the repository's
# own go.mod never gains them. The comparison code is
# scripts/testdata/jsonlib-compare/libcmp_test.go.
#
#   scripts/jsonlib-compare.sh                     # everything
#   FUZZTIME=0 ROUNDS=3 scripts/jsonlib-compare.sh # no fuzzing, 3 rounds
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
cd "$pkg"

echo "== 1. differential corpus and probes"
JSONLIB_LOG="$tmp/disagreements.tsv" "$tmp/libcmp.test" -test.count 1 \
	-test.run '^(TestCases|TestTopLevel|TestGenerated|TestFloats|TestInvoiceIsHandled|TestLibraryProbes)$'

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

echo "== 3. typical invoice into fixtures.Invoice, $ROUNDS rounds, -cpu 1, medians"
for r in $(seq "$ROUNDS"); do
	"$tmp/libcmp.test" -test.run '^$' -test.bench '^BenchmarkLibraries$' -test.benchtime "$BENCHTIME" \
		-test.benchmem -test.cpu 1 | grep '^BenchmarkLibraries/'
done >"$tmp/bench.txt"
awk '
	{ name=$1; sub(/^BenchmarkLibraries\/impl=/, "", name)
	  for (i = 2; i <= NF; i++) { if ($i == "ns/op") ns[name] = ns[name] " " $(i-1); if ($i == "B/op") by[name] = $(i-1); if ($i == "allocs/op") al[name] = $(i-1) }
	  if (!(name in seen)) { seen[name] = 1; order[++n] = name } }
	function median(s,   a, k, i, j, t) { k = split(s, a, " "); for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	  return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
	END { std = median(ns["encoding-json"]); td = median(ns["typeddecode"])
	  printf "%-28s %10s %9s %9s %9s %11s\n", "impl", "ns/op", "B/op", "allocs", "x json", "x typeddec"
	  for (i = 1; i <= n; i++) { m = median(ns[order[i]]); printf "%-28s %10.0f %9s %9s %9.2f %11.2f\n", order[i], m, by[order[i]], al[order[i]], m / std, m / td } }
' "$tmp/bench.txt"
