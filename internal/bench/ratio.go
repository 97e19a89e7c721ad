package bench

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Sample is one line of `go test -bench` output: its metrics by unit
// ("ns/op", "MB/s", "B/op", "allocs/op", ...).
type Sample map[string]float64

// Samples groups benchmark lines: by group (the benchmark's name without
// its impl= element, with its -cpu suffix), then by implementation (the
// impl= element's value), in the order they first appear.
type Samples struct {
	Groups []string
	Impls  map[string][]string            // by group
	Runs   map[string]map[string][]Sample // group, impl
}

// ParseBench reads `go test -bench` output. Lines of benchmarks without
// an impl= element are grouped under impl "".
func ParseBench(r io.Reader) (*Samples, error) {
	s := &Samples{Impls: map[string][]string{}, Runs: map[string]map[string][]Sample{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		group, impl := splitImpl(f[0])
		m := Sample{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			m[f[i+1]] = v
		}
		if s.Runs[group] == nil {
			s.Groups = append(s.Groups, group)
			s.Runs[group] = map[string][]Sample{}
		}
		if s.Runs[group][impl] == nil {
			s.Impls[group] = append(s.Impls[group], impl)
		}
		s.Runs[group][impl] = append(s.Runs[group][impl], m)
	}
	return s, sc.Err()
}

// splitImpl takes the impl= element out of a benchmark name:
// "BenchmarkX/body=large/impl=naive-2" is group "BenchmarkX/body=large-2",
// impl "naive".
func splitImpl(name string) (group, impl string) {
	cpu := ""
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name, cpu = name[:i], name[i:]
		}
	}
	parts := strings.Split(name, "/")
	kept := parts[:0]
	for _, p := range parts {
		if v, ok := strings.CutPrefix(p, "impl="); ok {
			impl = v
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "/") + cpu, impl
}

// Median is the median of a metric over samples (NaN-free: samples
// without the metric are skipped); ok is false when none has it.
func Median(samples []Sample, unit string) (float64, bool) {
	var v []float64
	for _, s := range samples {
		if x, ok := s[unit]; ok {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// WriteRatios writes one Markdown table per group: each implementation's
// median time, throughput, bytes and allocations, its time and
// allocations as a multiple of impl "naive", and its throughput as a
// share of impl "hmac" (the floor), when the group has them. When the
// lines report cpu-ns/op (the process's CPU time per operation, which a
// loaded machine disturbs less than the wall clock), its median and the
// same two ratios by CPU time follow.
func WriteRatios(w io.Writer, s *Samples) error {
	for _, g := range s.Groups {
		runs := s.Runs[g]
		first := runs[s.Impls[g][0]]
		_, hasCPU := Median(first, "cpu-ns/op")
		fmt.Fprintf(w, "\n%s (runs: %d)\n\n", g, len(first))
		head := "| impl | time/op | MB/s | B/op | allocs/op | time / naive | allocs / naive | of hmac throughput |"
		rule := "| --- | --- | --- | --- | --- | --- | --- | --- |"
		if hasCPU {
			head += " CPU/op | CPU / naive | of hmac, by CPU |"
			rule += " --- | --- | --- |"
		}
		fmt.Fprintln(w, head)
		fmt.Fprintln(w, rule)
		ratio := func(impl, unit string, base string, inverse bool) string {
			v, ok1 := Median(runs[impl], unit)
			b, ok2 := Median(runs[base], unit)
			switch {
			case !ok1 || !ok2 || v == 0 || b == 0:
				return ""
			case inverse:
				return fmt.Sprintf("%.0f%%", 100*b/v)
			default:
				return fmt.Sprintf("%.2fx", v/b)
			}
		}
		for _, impl := range s.Impls[g] {
			rs := runs[impl]
			t, _ := Median(rs, "ns/op")
			cell := func(unit, f string) string {
				v, ok := Median(rs, unit)
				if !ok {
					return ""
				}
				return fmt.Sprintf(f, v)
			}
			line := fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |", impl, Duration(t),
				cell("MB/s", "%.0f"), cell("B/op", "%.0f"), cell("allocs/op", "%.0f"),
				ratio(impl, "ns/op", "naive", false), ratio(impl, "allocs/op", "naive", false),
				ratio(impl, "ns/op", "hmac", true))
			if hasCPU {
				c, _ := Median(rs, "cpu-ns/op")
				line += fmt.Sprintf(" %s | %s | %s |", Duration(c), ratio(impl, "cpu-ns/op", "naive", false), ratio(impl, "cpu-ns/op", "hmac", true))
			}
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
		}
	}
	return nil
}

// Duration formats nanoseconds with a unit fit for a table.
func Duration(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	case ns >= 1e3:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.0f ns", ns)
	}
}
