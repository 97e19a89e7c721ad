package schemas

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/retabhook/retabhook/internal/jsontree"
)

// ErrInvalidAmount is wrapped by the errors of [ParseAmount], of
// Amount's unmarshalling and of [Amount.Minor].
var ErrInvalidAmount = errors.New("schemas: invalid amount")

// maxAmountDigits bounds the digits of an Amount, so that a hostile
// exponent (1e999999999) cannot make one huge.
const maxAmountDigits = 400

// Amount is an exact decimal number, for money: 12113.67 stays 12113.67,
// where a float64 holds 12113.670000000000072759576141834259033203125 and
// sums of float64 amounts drift by cents. Its JSON form is a JSON number
// and its schema {"type": "number"}, the same as a float64's, so choosing
// one or the other does not change what Retab extracts.
//
// float64 is fine for amounts that are only displayed or compared
// loosely; use Amount for amounts that are added up, compared with a
// printed total or stored in minor units ([Amount.Minor]). Amount keeps no
// currency: keep the currency code in a field of its own, as Retab's
// schemas do.
//
// The zero Amount is 0. Amounts are comparable with ==: each holds its
// canonical text, without trailing zeros (1368.00 is 1368).
type Amount struct {
	text string // canonical decimal text; "" means 0
}

// ParseAmount parses a decimal number in JSON's syntax ("12113.67",
// "-0.5", "1e3").
func ParseAmount(s string) (Amount, error) {
	v, err := jsontree.Parse([]byte(s))
	if err != nil || v.Kind != jsontree.Number {
		return Amount{}, fmt.Errorf("%w: %q is not a number", ErrInvalidAmount, s)
	}
	return amountFromText(v.Text)
}

// NewAmount returns minor × 10^-scale: NewAmount(1211367, 2) is 12113.67.
func NewAmount(minor int64, scale int) Amount {
	a, _ := amountFromText(strconv.FormatInt(minor, 10) + "e" + strconv.Itoa(-scale))
	return a
}

func amountFromText(s string) (Amount, error) {
	d := jsontree.ParseDecimal(s)
	if !d.OK || d.Exp > maxAmountDigits || d.Exp < -maxAmountDigits || len(d.Digits) > maxAmountDigits {
		return Amount{}, fmt.Errorf("%w: %q is out of range", ErrInvalidAmount, s)
	}
	if d.Digits == "" {
		return Amount{}, nil
	}
	var b strings.Builder
	if d.Neg {
		b.WriteByte('-')
	}
	exp := int(d.Exp)
	switch {
	case exp <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -exp))
		b.WriteString(d.Digits)
	case exp >= len(d.Digits):
		b.WriteString(d.Digits)
		b.WriteString(strings.Repeat("0", exp-len(d.Digits)))
	default:
		b.WriteString(d.Digits[:exp])
		b.WriteByte('.')
		b.WriteString(d.Digits[exp:])
	}
	return Amount{text: b.String()}, nil
}

// String returns the amount in positional notation, without trailing
// zeros: "12113.67", "1368", "-0.5", "0".
func (a Amount) String() string {
	if a.text == "" {
		return "0"
	}
	return a.text
}

// IsZero reports whether a is 0.
func (a Amount) IsZero() bool { return a.text == "" }

// Float64 returns the nearest float64.
func (a Amount) Float64() float64 {
	f, _ := strconv.ParseFloat(a.String(), 64)
	return f
}

// Rat returns the amount as a big.Rat, for arithmetic beyond [Amount.Add]
// and [Amount.Sub].
func (a Amount) Rat() *big.Rat {
	r, _ := new(big.Rat).SetString(a.String())
	return r
}

// scale returns the number of digits after the decimal point.
func (a Amount) scale() int {
	_, frac, _ := strings.Cut(a.text, ".")
	return len(frac)
}

// scaled returns a × 10^scale as an integer; scale must be at least
// a.scale().
func (a Amount) scaled(scale int) *big.Int {
	intPart, frac, _ := strings.Cut(a.String(), ".")
	n, _ := new(big.Int).SetString(intPart+frac+strings.Repeat("0", scale-len(frac)), 10)
	return n
}

func amountFromScaled(n *big.Int, scale int) Amount {
	a, _ := amountFromText(n.String() + "e" + strconv.Itoa(-scale))
	return a
}

// Add returns a + b, exactly.
func (a Amount) Add(b Amount) Amount {
	s := max(a.scale(), b.scale())
	return amountFromScaled(new(big.Int).Add(a.scaled(s), b.scaled(s)), s)
}

// Sub returns a - b, exactly.
func (a Amount) Sub(b Amount) Amount {
	s := max(a.scale(), b.scale())
	return amountFromScaled(new(big.Int).Sub(a.scaled(s), b.scaled(s)), s)
}

// Cmp returns -1, 0 or +1 as a is less than, equal to or greater than b.
func (a Amount) Cmp(b Amount) int {
	s := max(a.scale(), b.scale())
	return a.scaled(s).Cmp(b.scaled(s))
}

// Minor returns the amount in minor units of a currency with scale
// decimals: Minor(2) of 12113.67 is 1211367 (cents). It fails, rather
// than round, when the amount has more decimals than scale, and when the
// result does not fit in an int64.
func (a Amount) Minor(scale int) (int64, error) {
	if scale < 0 || a.scale() > scale {
		return 0, fmt.Errorf("%w: %s has more than %d decimals", ErrInvalidAmount, a, scale)
	}
	n := a.scaled(scale)
	if !n.IsInt64() {
		return 0, fmt.Errorf("%w: %s is too large for minor units", ErrInvalidAmount, a)
	}
	return n.Int64(), nil
}

// MarshalJSON implements json.Marshaler: a JSON number.
func (a Amount) MarshalJSON() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalJSON implements json.Unmarshaler: a JSON number; null leaves a
// unchanged.
func (a *Amount) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	p, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Amount) UnmarshalText(b []byte) error {
	p, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}
