#!/usr/bin/env bash
# Throughput against payload size, for the pipeline, the hand-written
# baseline and HMAC-SHA256 alone: runs BenchmarkPayloadSize and draws
# docs/benchmarks-throughput.png with gnuplot (Debian: apt-get install
# gnuplot-nox).
#
#   scripts/bench-plot.sh             # COUNT=5 runs per point, to bench-out/
#   OUT=docs/benchmarks-throughput.png scripts/bench-plot.sh   # replace the tracked plot
#   BENCH_OUT=run.txt scripts/bench-plot.sh   # also keep the raw output
#   BENCH_IN=run.txt scripts/bench-plot.sh    # draw from a kept output
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-5}
OUT=${OUT:-bench-out/benchmarks-throughput.png}
command -v gnuplot >/dev/null || { echo "gnuplot is needed (apt-get install gnuplot-nox)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "${BENCH_IN:-}" ]; then
	raw=$BENCH_IN
else
	raw=${BENCH_OUT:-$tmp/raw.txt}
	go test -run '^$' -bench 'BenchmarkPayloadSize' -benchtime 20x -count "$COUNT" ./framework/ | tee "$raw" >&2
fi

# One line per document size: size, then the median MB/s of naive,
# pipeline and hmac.
awk '
/^BenchmarkPayloadSize\/doc=/ {
	split($1, parts, "/")
	size = substr(parts[2], 5)
	impl = substr(parts[3], 6); sub(/-[0-9]+$/, "", impl)
	for (i = 1; i <= NF; i++) if ($(i+1) == "MB/s") mbs = $i
	n[size, impl]++
	v[size, impl, n[size, impl]] = mbs
	sizes[size] = 1
}
function median(size, impl,    k, m, i, j, t, a) {
	m = n[size, impl]
	for (i = 1; i <= m; i++) a[i] = v[size, impl, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
	return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
	for (s in sizes) printf "%d %s %s %s\n", s, median(s, "naive"), median(s, "pipeline"), median(s, "hmac")
}' "$raw" | sort -n >"$tmp/data.txt"
cat "$tmp/data.txt" >&2

mkdir -p "$(dirname "$OUT")"
gnuplot <<GNUPLOT
set terminal pngcairo size 900,560 font "sans,11" noenhanced
set output "$OUT"
set title "Delivery throughput against document size (through ServeHTTP, $(nproc) CPUs, median of $(grep -c "doc=0/impl=hmac" "$raw"))"
set xlabel "document size in file_payload (bytes, before base64)"
set ylabel "body MB/s"
set logscale x 2
set format x "%.0b %BB"
set key at graph 0.97, graph 0.28 box opaque
set grid
# A document of 0 bytes cannot sit on a log scale: it is drawn at 1 KiB.
plot "$tmp/data.txt" using (\$1 < 1024 ? 1024 : \$1):3 with linespoints lw 2 pt 7 title "retabhook pipeline", \
     "$tmp/data.txt" using (\$1 < 1024 ? 1024 : \$1):2 with linespoints lw 2 pt 5 title "hand-written baseline (no schema)", \
     "$tmp/data.txt" using (\$1 < 1024 ? 1024 : \$1):4 with linespoints lw 2 pt 9 dt 2 title "HMAC-SHA256 alone"
GNUPLOT
echo "wrote $OUT" >&2
