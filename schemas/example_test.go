package schemas_test

import (
	"errors"
	"fmt"

	"github.com/retabhook/retabhook/schemas"
)

// Receipt is the document type of the examples.
type Receipt struct {
	Merchant string         `json:"merchant" jsonschema:"description=Shop name, as printed"`
	Date     schemas.Date   `json:"date"`
	Total    schemas.Amount `json:"total" retab:"reasoning=Use the total after discounts, not the subtotal"`
	Tip      *float64       `json:"tip"`
}

func (Receipt) RetabPrompts() schemas.Prompts {
	return schemas.Prompts{System: "You read shop receipts."}
}

// Deriving a schema: the document to upload to Retab, and the schema the
// router validates deliveries with.
func ExampleFor() {
	s, err := schemas.For[Receipt]()
	if err != nil {
		panic(err)
	}
	fmt.Print(string(s.JSON()))
	fmt.Println(s.ID(), s.DataID())
	// Output:
	// {
	//   "X-SystemPrompt": "You read shop receipts.",
	//   "type": "object",
	//   "properties": {
	//     "merchant": {
	//       "description": "Shop name, as printed",
	//       "type": "string"
	//     },
	//     "date": {
	//       "type": "string",
	//       "format": "date",
	//       "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
	//     },
	//     "total": {
	//       "X-ReasoningPrompt": "Use the total after discounts, not the subtotal",
	//       "type": "number"
	//     },
	//     "tip": {
	//       "type": [
	//         "number",
	//         "null"
	//       ]
	//     }
	//   },
	//   "additionalProperties": false,
	//   "required": [
	//     "merchant",
	//     "date",
	//     "total",
	//     "tip"
	//   ]
	// }
	// sch_id_f60b99cdfb083b43 sch_data_id_7787723b1b1b63ec
}

// Computing Retab's ids for a schema file, to match what the dashboard
// shows.
func ExampleIDs() {
	id, dataID, err := schemas.IDs([]byte(`{"type": "object", "properties": {"name": {"type": "string", "description": "Name of the event"}}}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(id)
	fmt.Println(dataID)
	// Output:
	// sch_id_a42cbd01851ec2c5
	// sch_data_id_43f279067b51615c
}

// Comparing a schema file with the struct that decodes its deliveries.
func ExampleCompare() {
	file, err := schemas.Parse([]byte(`{
		"type": "object",
		"properties": {
			"merchant": {"type": "string"},
			"date": {"type": "string"},
			"total": {"type": "string"},
			"cashier": {"type": "string"}
		},
		"required": ["merchant", "date", "total", "cashier"]
	}`))
	if err != nil {
		panic(err)
	}
	code, err := schemas.For[Receipt]()
	if err != nil {
		panic(err)
	}
	for _, d := range schemas.Compare(file, code) {
		if d.Structural() {
			fmt.Println(d)
		}
	}
	// Output:
	// (root): additionalProperties is false in the struct (Receipt) and absent from the file
	// date: format is "date" in the struct (Receipt.Date) and absent from the file
	// date: pattern is "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" in the struct (Receipt.Date) and absent from the file
	// total: the file says string, the struct (Receipt.Total) says number: change the field's Go type or the file
	// cashier: in the file but not in the struct: add a field with `json:"cashier"` to Receipt, or remove it from the file (the router would accept it and drop it when decoding)
	// tip: in the struct (Receipt.Tip) but not in the file: export the schema again and upload it to Retab, or remove the field from the struct
}

// Validating an extracted object: every violation, as a JSON Pointer, a
// keyword and a message.
func ExampleSchema_Validate() {
	s, err := schemas.For[Receipt]()
	if err != nil {
		panic(err)
	}
	inst, err := schemas.ParseInstance([]byte(`{"reasoning___total": "No discount.", "merchant": "Bakery", "date": "12/03/2024", "total": "4.20"}`))
	if err != nil {
		panic(err)
	}
	err = s.Validate(inst.Value)
	for _, v := range err.(*schemas.ValidationError).Violations {
		fmt.Printf("%s [%s] %s\n", v.Pointer, v.Keyword, v.Message)
	}
	fmt.Println(inst.Annotations[0].Field, inst.Annotations[0].Value)
	// Output:
	// /date [pattern] must match the pattern "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"; got "12/03/2024"
	// /tip [required] is required but missing
	// /total [type] must be a number, not a string
	// total No discount.
}

// What Retab's strict mode will change, before uploading.
func ExampleSchema_Warnings() {
	s, err := schemas.Parse([]byte(`{"type": "object", "properties": {
		"quantity": {"type": "integer"},
		"unit": {"type": "integer", "enum": [1, 10, 100]},
		"note": {"type": "string", "maxLength": 200}
	}, "required": ["quantity", "unit"], "additionalProperties": false}`))
	if err != nil {
		panic(err)
	}
	for _, w := range s.Warnings() {
		fmt.Println(w.Code, w)
	}
	// Output:
	// strict-required /properties/note: "note" is optional, but strict mode makes every property required and this one does not accept null: the model must answer a value even when the document has none. Make it nullable (a pointer, or omitempty)
	// strict-integer /properties/quantity: integer is shown to the model as number: an answer such as 3.0 is read as 3, and a fractional answer fails validation
	// strict-integer /properties/unit: integer is shown to the model as number: an answer such as 3.0 is read as 3, and a fractional answer fails validation
	// strict-enum /properties/unit: enum values are shown to the model as the strings "1", "10", "100"; the router reads such a string back as the value it stands for
	// strict-length /properties/note: maxLength is not shown to the model (it is still checked here): say the limit in the description
}

func ExampleAmount() {
	line, _ := schemas.ParseAmount("1129.03")
	total := line.Add(line).Add(line)
	cents, _ := total.Minor(2)
	fmt.Println(total, cents)
	// Output: 3387.09 338709
}

func ExampleDate() {
	d, err := schemas.ParseDate("2024-01-31")
	if err != nil {
		panic(err)
	}
	fmt.Println(d, d.AddDays(30), d.Month)
	// Output: 2024-01-31 2024-03-01 January
}

// Preparing content: annotations removed, integral numbers written as
// integers (exactly), every other byte kept; a repeated key is refused.
func ExamplePrepare() {
	clean, anns, err := schemas.Prepare([]byte(`{"qty": 3.0, "reasoning___qty": "Read on page 2.", "price": 2.50, "zero": -0.0, "near": 2.9999999999999999}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(string(clean))
	fmt.Println(anns[0].Pointer+"/"+anns[0].Field, anns[0].Value)

	_, _, err = schemas.Prepare([]byte(`{"prices": {"a": 1, "a": 2}}`))
	var rk *schemas.RepeatedKeyError
	fmt.Println(errors.As(err, &rk), rk.Pointer)
	// Output:
	// {"qty": 3, "price": 2.50, "zero": -0, "near": 2.9999999999999999}
	// /qty Read on page 2.
	// true /prices/a
}

// Accept returns the bytes a Go type is decoded from: here the string
// strict mode made of the enum's 2.
func ExampleSchema_Accept() {
	type Ticket struct {
		Priority int `json:"priority" jsonschema:"enum=1,enum=2,enum=3"`
	}
	s, err := schemas.For[Ticket]()
	if err != nil {
		panic(err)
	}
	inst, err := schemas.ParseInstance([]byte(`{"priority": "2"}`))
	if err != nil {
		panic(err)
	}
	b, err := s.Accept(inst.Clean, inst.Value)
	fmt.Println(string(b), err)
	// Output:
	// {"priority": 2} <nil>
}
