package jsontree

import (
	"math"
	"strconv"
	"strings"
)

// PythonNumber returns the text Python's json.dumps writes for a number
// that json.loads read from s, a JSON number: an integer literal stays an
// exact integer ("-0" becomes "0"); anything with a fraction or an
// exponent becomes a float, written as [FormatFloat] writes it (1.50 ->
// 1.5, 1e2 -> 100.0, 1e16 -> 1e+16, 1e400 -> Infinity).
func PythonNumber(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		if s == "-0" { // JSON integers have no leading zeros: the text is canonical but for -0
			return "0"
		}
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return s
	}
	return FormatFloat(f)
}

// FormatFloat formats f as Python's json.dumps writes a float: as
// repr(f) does for a finite f (the shortest digits that read back as f,
// positional when the decimal exponent is in [-4, 16), otherwise
// d.ddde±XX with at least two exponent digits: 0.0001, 1e-05, 1e+16,
// 100.0), and NaN, Infinity or -Infinity otherwise, as allow_nan does.
func FormatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case math.IsNaN(f):
		return "NaN"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	sign := ""
	if e[0] == '-' {
		sign, e = "-", e[1:]
	}
	mant, expText, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expText)
	digits := strings.Replace(mant, ".", "", 1)
	decpt := exp + 1 // digits × 10^(decpt-len(digits)), point after decpt digits
	var b strings.Builder
	b.WriteString(sign)
	switch {
	case decpt > -4 && decpt <= 16:
		switch {
		case decpt <= 0:
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", -decpt))
			b.WriteString(digits)
		case decpt >= len(digits):
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", decpt-len(digits)))
			b.WriteString(".0")
		default:
			b.WriteString(digits[:decpt])
			b.WriteByte('.')
			b.WriteString(digits[decpt:])
		}
	default:
		b.WriteString(digits[:1])
		if len(digits) > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		x := decpt - 1
		if x < 0 {
			b.WriteByte('-')
			x = -x
		} else {
			b.WriteByte('+')
		}
		if x < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}
