package rulecheck

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// TestInvoiceIsReadInPlace: every rule of the invoice has a pointer form,
// so PassesAny reads a decoded invoice without reflect.Value (framework's
// rulecheck_diff_test compares its answers with Passes and the validator).
func TestInvoiceIsReadInPlace(t *testing.T) {
	p := Compile(validator.New(validator.WithRequiredStructEnabled()), reflect.TypeFor[fixtures.Invoice]())
	if !p.root.fast || p.etyp == nil {
		t.Fatal("the invoice's program is not read in place")
	}
	type withEmail struct {
		E string `validate:"email"`
	}
	if p := Compile(validator.New(), reflect.TypeFor[withEmail]()); p.root.fast {
		t.Fatal("a delegated rule (which needs the value's interface) is read in place")
	}
}

// TestIsDate: on every date-shaped string of the years below (each
// century's leap rules, the first and last years) isDate accepts exactly
// what time.Parse(time.DateOnly) accepts.
func TestIsDate(t *testing.T) {
	years := []int{0, 1, 4, 100, 400, 1900, 9996, 9999}
	for y := 1890; y <= 2110; y++ {
		years = append(years, y)
	}
	for _, y := range years {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				s := fmt.Sprintf("%04d-%02d-%02d", y, m, d)
				_, err := time.Parse(time.DateOnly, s)
				if isDate(s) != (err == nil) {
					t.Fatalf("%s: isDate %v, time.Parse %v", s, isDate(s), err)
				}
			}
		}
	}
}

// FuzzIsDate: isDate never accepts what time.Parse refuses.
func FuzzIsDate(f *testing.F) {
	for _, s := range []string{"2021-11-24", "2024-02-29", "2023-02-29", "0000-01-01", "2021-1-24", "２021-11-24", "2021-11-24 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := time.Parse(time.DateOnly, s); isDate(s) && err != nil {
			t.Fatalf("isDate(%q), time.Parse: %v", s, err)
		}
	})
}
