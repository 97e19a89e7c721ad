package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// localDateTimePattern is the pattern of a DateTime's schema: a date and a
// time of day, seconds and their fraction optional, and no zone. JSON
// Schema's "date-time" format requires a zone, so the schema has a
// pattern only.
const localDateTimePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?$`

// DateTime is a date and a time of day without a time zone, as receipts,
// tickets and delivery notes print them ("15/03/2024 14:32", no zone). Its
// JSON form is "YYYY-MM-DDThh:mm", "YYYY-MM-DDThh:mm:ss" or
// "YYYY-MM-DDThh:mm:ss.fraction"; its schema is
//
//	{"type": "string", "description": "A date and time of day, without a time zone.",
//	 "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?$"}
//
// so a model that adds a zone ("Z", "+01:00") is refused at the field's
// pointer rather than silently moved to UTC, as a time.Time field would
// be. Use *DateTime (or omitempty) for a value the document may not have.
// The zero DateTime marshals as null. Attach a zone with [DateTime.In]
// once the receiver knows where the document comes from.
type DateTime struct {
	Date                             Date
	Hour, Minute, Second, Nanosecond int
}

// ParseDateTime parses "YYYY-MM-DDThh:mm[:ss[.fraction]]", refusing
// values that do not exist (2023-02-30, 25:00) and any time zone.
func ParseDateTime(s string) (DateTime, error) {
	if !localDateTimeRE(s) {
		return DateTime{}, fmt.Errorf("%w: %q: want YYYY-MM-DDThh:mm[:ss], without a time zone", ErrInvalidDate, s)
	}
	layout := "2006-01-02T15:04"
	if len(s) > len(layout) {
		layout = "2006-01-02T15:04:05"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return DateTime{}, fmt.Errorf("%w: %q: %w", ErrInvalidDate, s, err)
	}
	return DateTimeOf(t), nil
}

// localDateTimeRE checks the shape of localDateTimePattern without a
// regexp.
func localDateTimeRE(s string) bool {
	digits := func(from, n int) bool {
		if len(s) < from+n {
			return false
		}
		for _, c := range s[from : from+n] {
			if c < '0' || c > '9' {
				return false
			}
		}
		return true
	}
	if len(s) < 16 || !digits(0, 4) || s[4] != '-' || !digits(5, 2) || s[7] != '-' || !digits(8, 2) ||
		s[10] != 'T' || !digits(11, 2) || s[13] != ':' || !digits(14, 2) {
		return false
	}
	if len(s) == 16 {
		return true
	}
	if s[16] != ':' || !digits(17, 2) {
		return false
	}
	if len(s) == 19 {
		return true
	}
	return s[19] == '.' && len(s) > 20 && len(s) <= 29 && digits(20, len(s)-20)
}

// DateTimeOf returns the date and time of day of t in t's location,
// dropping the location.
func DateTimeOf(t time.Time) DateTime {
	return DateTime{Date: DateOf(t), Hour: t.Hour(), Minute: t.Minute(), Second: t.Second(), Nanosecond: t.Nanosecond()}
}

// In returns the instant dt names in loc.
func (dt DateTime) In(loc *time.Location) time.Time {
	return time.Date(dt.Date.Year, dt.Date.Month, dt.Date.Day, dt.Hour, dt.Minute, dt.Second, dt.Nanosecond, loc)
}

// IsZero reports whether dt is the zero DateTime (no value).
func (dt DateTime) IsZero() bool { return dt == DateTime{} }

// IsValid reports whether dt names a date and time that exist.
func (dt DateTime) IsValid() bool { return !dt.IsZero() && DateTimeOf(dt.In(time.UTC)) == dt }

// Compare returns -1, 0 or +1 as dt is before, equal to or after e.
func (dt DateTime) Compare(e DateTime) int { return dt.In(time.UTC).Compare(e.In(time.UTC)) }

// String returns "YYYY-MM-DDThh:mm:ss", with the fraction of a second
// when there is one ("" for the zero DateTime).
func (dt DateTime) String() string {
	if dt.IsZero() {
		return ""
	}
	return dt.In(time.UTC).Format("2006-01-02T15:04:05.999999999")
}

// MarshalText implements encoding.TextMarshaler ([DateTime.String]).
func (dt DateTime) MarshalText() ([]byte, error) {
	if !dt.IsZero() && !dt.IsValid() {
		return nil, fmt.Errorf("%w: %+v does not exist", ErrInvalidDate, dt)
	}
	return []byte(dt.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler ([ParseDateTime]; ""
// is the zero DateTime).
func (dt *DateTime) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*dt = DateTime{}
		return nil
	}
	p, err := ParseDateTime(string(b))
	if err != nil {
		return err
	}
	*dt = p
	return nil
}

// MarshalJSON implements json.Marshaler: a string, or null for the zero
// DateTime.
func (dt DateTime) MarshalJSON() ([]byte, error) {
	if dt.IsZero() {
		return []byte("null"), nil
	}
	b, err := dt.MarshalText()
	if err != nil {
		return nil, err
	}
	return append(append([]byte{'"'}, b...), '"'), nil
}

// UnmarshalJSON implements json.Unmarshaler; null leaves dt unchanged, as
// encoding/json does for other types.
func (dt *DateTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("%w: %s: want a \"YYYY-MM-DDThh:mm\" string", ErrInvalidDate, b)
	}
	if bytes.IndexByte(b, '\\') < 0 {
		return dt.UnmarshalText(b[1 : len(b)-1])
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: %s: want a \"YYYY-MM-DDThh:mm\" string", ErrInvalidDate, b)
	}
	return dt.UnmarshalText([]byte(s))
}
