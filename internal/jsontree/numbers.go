package jsontree

import (
	"math"
	"strconv"
	"strings"
)

// Decimal is a JSON number in a canonical form, 0.Digits × 10^Exp, with
// no leading or trailing zero in Digits (zero has no digits). It compares
// numbers exactly without ever expanding an exponent such as 1e999999999.
type Decimal struct {
	Neg    bool
	Digits string
	Exp    int64
	OK     bool // false when the exponent does not fit: compare texts
}

// ParseDecimal returns the canonical form of a JSON number text.
func ParseDecimal(s string) Decimal {
	var d Decimal
	if strings.HasPrefix(s, "-") {
		d.Neg = true
		s = s[1:]
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(s), "e")
	var exp int64
	if hasExp {
		e, err := strconv.ParseInt(strings.TrimPrefix(expText, "+"), 10, 64)
		if err != nil || e > math.MaxInt64/2 || e < math.MinInt64/2 {
			return Decimal{}
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
		return Decimal{OK: true} // zero, whatever its sign
	}
	d.Digits, d.Exp, d.OK = digits, exp, true
	return d
}

// NumbersEqual reports whether two JSON number texts denote the same
// number.
func NumbersEqual(a, b string) bool {
	if a == b {
		return true
	}
	da, db := ParseDecimal(a), ParseDecimal(b)
	if !da.OK || !db.OK {
		return false
	}
	return da == db
}
