package jsontree_test

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/jsontree"
)

// The tables in testdata were written by CPython (testdata/python.py
// says how to regenerate them); the tests need no Python.

// TestFormatFloatAgreesWithPython compares FormatFloat with
// json.dumps(float) (repr for finite floats) for each float of
// testdata/float_repr.json: the edge cases of the notation switch, every
// power of ten, subnormals, and random bit patterns.
func TestFormatFloatAgreesWithPython(t *testing.T) {
	var table [][2]string
	readTable(t, "testdata/float_repr.json", &table)
	require.Equal(t, "python", table[0][0])
	require.Greater(t, len(table), 4000)
	for _, row := range table[1:] {
		raw, err := hex.DecodeString(row[0])
		require.NoError(t, err)
		f := math.Float64frombits(binary.BigEndian.Uint64(raw))
		require.Equal(t, row[1], jsontree.FormatFloat(f), "bits %s", row[0])
	}
}

func TestFormatFloatEdgeCases(t *testing.T) {
	for f, want := range map[float64]string{
		0.0: "0.0", math.Copysign(0, -1): "-0.0", 1e-05: "1e-05", 1e-07: "1e-07", 0.0001: "0.0001",
		123456789012345680.0: "1.2345678901234568e+17", 1e16: "1e+16", 1e15: "1000000000000000.0",
		5e-324: "5e-324", math.MaxFloat64: "1.7976931348623157e+308", 0.1: "0.1", 100.0: "100.0",
		1e22: "1e+22", 1.5e300: "1.5e+300", math.Inf(1): "Infinity", math.Inf(-1): "-Infinity",
	} {
		require.Equal(t, want, jsontree.FormatFloat(f), "%v", f)
	}
	require.Equal(t, "NaN", jsontree.FormatFloat(math.NaN()))
}

// TestDumpsAgreesWithPython compares Dumps with json.dumps(json.loads(in))
// and json.dumps(..., sort_keys=True) for each text of testdata/dumps.json:
// numbers (integers as written, floats as repr, 1e400 as Infinity),
// strings (non-ASCII, surrogate pairs, lone surrogates, every control
// character), repeated keys and random documents.
func TestDumpsAgreesWithPython(t *testing.T) {
	var table []struct{ In, Dumps, Sorted string }
	readTable(t, "testdata/dumps.json", &table)
	require.Equal(t, "python", table[0].In)
	require.Greater(t, len(table), 500)
	for _, row := range table[1:] {
		v, err := jsontree.Parse([]byte(row.In))
		require.NoError(t, err, row.In)
		require.Equal(t, row.Dumps, string(jsontree.Dumps{}.Append(nil, v)), row.In)
		require.Equal(t, row.Sorted, string(jsontree.Dumps{SortKeys: true}.Append(nil, v)), row.In)
	}
}

func TestPythonNumber(t *testing.T) {
	for in, want := range map[string]string{
		"0": "0", "-0": "0", "-12": "-12", "1.50": "1.5", "1e2": "100.0", "0.00001": "1e-05",
		"18446744073709551616": "18446744073709551616", "1e400": "Infinity", "-1e400": "-Infinity", "1e-400": "0.0",
	} {
		require.Equal(t, want, jsontree.PythonNumber(in), in)
	}
}

// FuzzFormatFloat: what FormatFloat prints for a finite float reads back
// as that float.
func FuzzFormatFloat(f *testing.F) {
	for _, x := range []float64{0, 1e-5, 1e16, 5e-324, math.MaxFloat64, 0.1} {
		f.Add(math.Float64bits(x))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		x := math.Float64frombits(bits)
		s := jsontree.FormatFloat(x)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		back, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(back) != bits {
			t.Fatalf("%v printed as %q reads back as %v (%v)", x, s, back, err)
		}
	})
}

func readTable(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v))
}
