package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/cli"
	"github.com/retabhook/retabhook/schemas"
)

// Appointment is a meeting on a calendar.
type Appointment struct {
	Name string       `json:"name" jsonschema:"description=Name of the event"`
	Date schemas.Date `json:"date" jsonschema:"description=Date of the event (YYYY-MM-DD)"`
}

// A receiver's command line: serve by default, and export and check the
// schemas of its types. In a program, cli.Main(cli.New(r, serve)) runs
// it with os.Args.
func ExampleNew() {
	r, err := framework.NewRouter(framework.WithSecrets("whsec_example"))
	if err != nil {
		panic(err)
	}
	framework.Handle(r, func(ctx context.Context, ev Appointment) error { return nil })

	cmd := cli.New(r, func(ctx context.Context, args []string) error { return http.ListenAndServe(":8000", r) })
	cmd.Name = "receiver"
	var out bytes.Buffer
	cmd.Stdout = &out

	dir, err := os.MkdirTemp("", "schemas")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	// receiver schemas export DIR: one <kind>.json per type, with its ids.
	fmt.Println(cmd.Execute(context.Background(), []string{"schemas", "export", dir}))
	// receiver schemas check DIR: the CI drift check.
	fmt.Println(cmd.Execute(context.Background(), []string{"schemas", "check", dir}))

	fmt.Print(strings.ReplaceAll(out.String(), dir, "DIR"))
	// Output:
	// 0
	// 0
	// Wrote 1 schema file(s) to DIR:
	//
	// FILE              ID                       DATA ID
	// appointment.json  sch_id_69faf4771d8f3302  sch_data_id_7e65f070c67b07ad
	// appointment.json: up to date (sch_id_69faf4771d8f3302)
	//
	// All 1 schema file(s) in DIR match their types.
}

// The drift check fails, with the differences, when a type changed after
// its schema was exported (here, the file is edited instead).
func ExampleNew_drift() {
	r, err := framework.NewRouter(framework.WithSecrets("whsec_example"))
	if err != nil {
		panic(err)
	}
	framework.Handle(r, func(ctx context.Context, ev Appointment) error { return nil })
	cmd := cli.New(r, nil)
	cmd.Name = "receiver"
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut

	dir, err := os.MkdirTemp("", "schemas")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	_ = os.WriteFile(dir+"/appointment.json", []byte(`{"type": "object", "properties": {"name": {"type": "string"}, "when": {"type": "string"}}, "required": ["name", "when"]}`), 0o644)

	code := cmd.Execute(context.Background(), []string{"schemas", "check", dir})
	fmt.Println(code)
	fmt.Print(strings.ReplaceAll(out.String()+errOut.String(), dir, "DIR"))
	// Output:
	// 1
	// appointment.json: differs from kind appointment (file sch_id_2d7d8d6a1f7c62bd, type sch_id_69faf4771d8f3302; data ids differ: the data shape changed)
	//   - (root): additionalProperties is false in the struct (Appointment) and absent from the file
	//   - name: description is "Name of the event" in the struct (Appointment.Name) and absent from the file
	//   - when: in the file but not in the struct: add a field with `json:"when"` to Appointment, or remove it from the file (the router would accept it and drop it when decoding)
	//   - date: in the struct (Appointment.Date) but not in the file: export the schema again and upload it to Retab, or remove the field from the struct
	//
	// 1 schema file(s) out of date: run "receiver schemas export DIR", review the diff, and upload the changed schemas to Retab.
	// receiver schemas check: schema files out of date: 1 in DIR
}
