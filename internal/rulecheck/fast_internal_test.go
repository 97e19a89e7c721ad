package rulecheck

import (
	"reflect"
	"testing"

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
