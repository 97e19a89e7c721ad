package schemas

import (
	"math"
	"strconv"
	"strings"
)

// decimal is a JSON number in a canonical form, 0.digits × 10^exp, with
// no leading or trailing zero in digits (zero has no digits). It compares
// numbers exactly without ever expanding an exponent such as 1e999999999.
type decimal struct {
	neg    bool
	digits string
	exp    int64
	ok     bool // false when the exponent does not fit: compare texts
}

func parseDecimal(s string) decimal {
	var d decimal
	if strings.HasPrefix(s, "-") {
		d.neg = true
		s = s[1:]
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	var exp int64
	if hasExp {
		e, err := strconv.ParseInt(strings.TrimPrefix(expText, "+"), 10, 64)
		if err != nil || e > math.MaxInt64/2 || e < math.MinInt64/2 {
			return decimal{}
		}
		exp = e
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	exp += int64(len(intPart))
	trimmed := strings.TrimLeft(digits, "0")
	exp -= int64(len(digits) - len(trimmed))
	digits = strings.TrimRight(trimmed, "0")
	if digits == "" {
		return decimal{ok: true} // zero, whatever its sign
	}
	d.digits, d.exp, d.ok = digits, exp, true
	return d
}

// numbersEqual reports whether two JSON number texts denote the same
// number.
func numbersEqual(a, b string) bool {
	if a == b {
		return true
	}
	da, db := parseDecimal(a), parseDecimal(b)
	if !da.ok || !db.ok {
		return false
	}
	return da == db
}

// isIntegral reports whether a JSON number text is a whole number.
func isIntegral(s string) bool {
	d := parseDecimal(s)
	return d.ok && int64(len(d.digits)) <= d.exp
}

// pythonNumber returns the text Python's json.dumps writes for a number
// that json.loads read from s: an integer literal stays an exact integer
// ("-0" becomes "0"); anything with a fraction or an exponent becomes a
// float, written as repr(float) writes it (1.50 -> 1.5, 1e2 -> 100.0,
// 1e16 -> 1e+16, 1e400 -> Infinity).
func pythonNumber(s string) string {
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
	return pythonFloatRepr(f)
}

// pythonFloatRepr formats f as Python's repr(float): the shortest digits
// that read back as f, in positional notation when the decimal point falls
// between 4 places left of the first digit and 16 places right of it, in
// exponent notation (two-digit exponent at least) otherwise.
func pythonFloatRepr(f float64) string {
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
