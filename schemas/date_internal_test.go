package schemas

import (
	"fmt"
	"testing"
	"time"
)

// TestDateOnlyAgreesWithTimeParse: on every date-shaped string of the
// years below (each century's leap rules, the first and last years),
// dateOnly accepts exactly what time.Parse(time.DateOnly) accepts, with
// its date.
func TestDateOnlyAgreesWithTimeParse(t *testing.T) {
	years := []int{0, 1, 4, 100, 400, 1900, 9996, 9999}
	for y := 1890; y <= 2110; y++ {
		years = append(years, y)
	}
	for _, y := range years {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				s := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
				checkDateOnly(t, s)
			}
		}
	}
}

func checkDateOnly(t *testing.T, s string) {
	t.Helper()
	got, ok := dateOnly(s)
	tm, err := time.Parse(time.DateOnly, s)
	if ok != (err == nil) || ok && got != DateOf(tm) {
		t.Fatalf("%q: dateOnly %v %v, time.Parse %v %v", s, got, ok, DateOf(tm), err)
	}
}

// FuzzDateOnly: dateOnly answers as time.Parse on any string (it refuses
// every string that is not date-shaped, and time.Parse does too).
func FuzzDateOnly(f *testing.F) {
	for _, s := range []string{"2021-11-24", "2024-02-29", "2023-02-29", "0000-01-01", "2021-1-24", "２021-11-24", "2021-11-24 ", "+021-11-24"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkDateOnly(t, s) })
}

// TestDateUnmarshalAllocations: a date that exists is decoded without
// an allocation (the string of its bytes is not kept).
func TestDateUnmarshalAllocations(t *testing.T) {
	var d Date
	b := []byte(`"2024-02-29"`)
	if n := testing.AllocsPerRun(100, func() {
		if err := d.UnmarshalJSON(b); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations, want 0", n)
	}
	if d != (Date{Year: 2024, Month: time.February, Day: 29}) {
		t.Fatalf("got %v", d)
	}
}
