package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrInvalidDate is wrapped by the errors of [ParseDate] and of Date's
// unmarshalling.
var ErrInvalidDate = errors.New("schemas: invalid date")

// datePattern is the pattern of a Date's schema. Unlike "format", which
// Retab's strict mode drops, "pattern" is shown to the model, and the
// validator checks it, so a date in another layout is refused with a JSON
// Pointer before decoding.
const datePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`

// dateTimePattern is the pattern of a time.Time's schema, for the same
// reason: the RFC 3339 form time.Time decodes.
const dateTimePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`

// Date is a calendar date without a time of day or a time zone, as
// invoices, receipts and contracts print them. Its JSON form is a
// "YYYY-MM-DD" string; its schema is
//
//	{"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
//
// Use *Date (or omitempty) for a date the document may not have: the
// model then answers null. The zero Date is not a valid date; it marshals
// as null and [Date.IsZero] reports it.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses a "YYYY-MM-DD" date, refusing dates that do not exist
// (2023-02-30).
func ParseDate(s string) (Date, error) {
	if d, ok := dateOnly(s); ok {
		return d, nil
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("%w: %q: want YYYY-MM-DD", ErrInvalidDate, s)
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%w: %q: %w", ErrInvalidDate, s, err)
	}
	return DateOf(t), nil
}

// dateOnly is ParseDate's date without time.Parse for a string of its
// form that names a date that exists: YYYY-MM-DD in ASCII digits, a month
// from 01 to 12 and a day from 01 to the month's length that year. Those
// are the strings time.Parse(time.DateOnly, s) accepts, and its date
// (TestDateOnlyAgreesWithTimeParse); ok false: time.Parse decides.
func dateOnly(s string) (d Date, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, false
	}
	y0, y1, y2, y3 := s[0]-'0', s[1]-'0', s[2]-'0', s[3]-'0'
	m0, m1, d0, d1 := s[5]-'0', s[6]-'0', s[8]-'0', s[9]-'0'
	if y0 > 9 || y1 > 9 || y2 > 9 || y3 > 9 || m0 > 9 || m1 > 9 || d0 > 9 || d1 > 9 {
		return Date{}, false
	}
	year := int(y0)*1000 + int(y1)*100 + int(y2)*10 + int(y3)
	month, day := int(m0)*10+int(m1), int(d0)*10+int(d1)
	if month < 1 || month > 12 || day < 1 {
		return Date{}, false
	}
	days := 31
	switch {
	case month == 2:
		days = 28
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			days = 29
		}
	case month == 4 || month == 6 || month == 9 || month == 11:
		days = 30
	}
	if day > days {
		return Date{}, false
	}
	return Date{Year: year, Month: time.Month(month), Day: day}, true
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// String returns the date as "YYYY-MM-DD" ("" for the zero Date).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

// IsValid reports whether d is a date that exists.
func (d Date) IsValid() bool {
	return !d.IsZero() && DateOf(d.In(time.UTC)) == d
}

// In returns midnight at the start of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns d plus n days (n may be negative).
func (d Date) AddDays(n int) Date { return DateOf(d.In(time.UTC).AddDate(0, 0, n)) }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int { return d.In(time.UTC).Compare(e.In(time.UTC)) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// MarshalText implements encoding.TextMarshaler: "YYYY-MM-DD", or "" for
// the zero Date.
func (d Date) MarshalText() ([]byte, error) {
	if !d.IsZero() && !d.IsValid() {
		return nil, fmt.Errorf("%w: %d-%d-%d does not exist", ErrInvalidDate, d.Year, d.Month, d.Day)
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler: "YYYY-MM-DD", or ""
// for the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	if p, ok := dateOnly(string(b)); ok { // a string that does not escape: not copied
		*d = p
		return nil
	}
	p, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// MarshalJSON implements json.Marshaler: a "YYYY-MM-DD" string, or null
// for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	b, err := d.MarshalText()
	if err != nil {
		return nil, err
	}
	return append(append([]byte{'"'}, b...), '"'), nil
}

// UnmarshalJSON implements json.Unmarshaler: a "YYYY-MM-DD" string ("" is
// the zero Date); null leaves d unchanged, as encoding/json does for
// other types.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("%w: %s: want a \"YYYY-MM-DD\" string", ErrInvalidDate, b)
	}
	if bytes.IndexByte(b, '\\') < 0 {
		return d.UnmarshalText(b[1 : len(b)-1])
	}
	// An escaped string ("\u0032024-05-01" is "2024-05-01"): decode it, so
	// that the result depends on the string, never on how it was written.
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: %s: want a \"YYYY-MM-DD\" string", ErrInvalidDate, b)
	}
	return d.UnmarshalText([]byte(s))
}
