package rulecheck_test

import (
	"fmt"
	"reflect"

	"github.com/go-playground/validator/v10"

	"github.com/retabhook/retabhook/internal/rulecheck"
)

func ExampleProgram_Passes() {
	type line struct {
		Quantity int `validate:"gt=0"`
	}
	type invoice struct {
		Currency string `validate:"iso4217"`
		Lines    []line `validate:"min=1,dive"`
	}
	v := validator.New(validator.WithRequiredStructEnabled())
	p := rulecheck.Compile(v, reflect.TypeFor[invoice]())
	fmt.Println(p.Passes(reflect.ValueOf(invoice{Currency: "EUR", Lines: []line{{Quantity: 2}}})))
	fmt.Println(p.Passes(reflect.ValueOf(invoice{Currency: "EUR", Lines: []line{{Quantity: 0}}}))) // ask the validator
	// Output:
	// true
	// false
}
