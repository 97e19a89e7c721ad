package validatetag_test

import (
	"slices"
	"testing"

	"github.com/go-playground/validator/v10"

	"github.com/retabhook/retabhook/internal/validatetag"
)

// TestCodesAreTheValidators: each code list is sorted (Passes searches
// it), holds only codes the validator accepts (so the program never passes
// one it refuses) and every code of its form the validator accepts.
func TestCodesAreTheValidators(t *testing.T) {
	v := validator.New(validator.WithRequiredStructEnabled())
	for rule, n := range map[string]int{"iso4217": 3, "iso3166_1_alpha2": 2, "iso3166_1_alpha3": 3} {
		codes := validatetag.Codes(rule)
		if len(codes) < 100 || !slices.IsSorted(codes) {
			t.Fatalf("%s: %d codes, sorted %v", rule, len(codes), slices.IsSorted(codes))
		}
		var walk func(prefix string)
		walk = func(prefix string) {
			if len(prefix) == n {
				_, listed := slices.BinarySearch(codes, prefix)
				if accepted := v.Var(prefix, rule) == nil; accepted != listed {
					t.Fatalf("%s %q: the validator accepts it %v, the list has it %v (go generate ./internal/validatetag)", rule, prefix, accepted, listed)
				}
				return
			}
			for c := 'A'; c <= 'Z'; c++ {
				walk(prefix + string(c))
			}
		}
		walk("")
	}
}

func TestOneofValues(t *testing.T) {
	got := validatetag.OneofValues(`red green 'dark blue' '' x'y`)
	if want := []string{"red", "green", "dark blue", "", "xy"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
