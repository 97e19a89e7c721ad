package typeddecode_test

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/retabhook/retabhook/internal/typeddecode"
)

func Example() {
	type Line struct {
		Description string  `json:"description"`
		Amount      float64 `json:"amount"`
	}
	dec, err := typeddecode.Compile(reflect.TypeFor[[]Line]())
	if err != nil {
		panic(err)
	}
	decode := func(data string) ([]Line, error) {
		if v, ok := dec.DecodeAny([]byte(data)); ok {
			return v.([]Line), nil
		}
		var lines []Line // not handled: encoding/json decides, error included
		err := json.Unmarshal([]byte(data), &lines)
		return lines, err
	}
	fmt.Println(decode(`[{"description": "caf\u00e9", "AMOUNT": 2.5}]`))
	fmt.Println(decode(`[{"amount": "2.5"}]`))
	// Output:
	// [{café 2.5}] <nil>
	// [{ 0}] json: cannot unmarshal string into Go struct field Line.amount of type float64
}
