package rulecheck

import (
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

// TestDatetimeDateOnly: the date layout's check (schemas.ParseDate)
// answers as time.Parse.
func TestDatetimeDateOnly(t *testing.T) {
	check := datetime(time.DateOnly)
	for _, s := range []string{"2021-11-24", "2024-02-29", "2023-02-29", "2100-02-29", "2000-02-29", "0000-01-01", "2021-00-10",
		"2021-13-10", "2021-04-31", "2021-1-24", "2021-11-24 ", "+021-11-24", "", "2021-11-2x"} {
		_, err := time.Parse(time.DateOnly, s)
		if check(s) != (err == nil) {
			t.Fatalf("%q: %v, time.Parse: %v", s, check(s), err)
		}
	}
}
