package schemas_test

import (
	"encoding/json"
	"testing"

	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// FuzzParseInstance: any content either fails with ErrInvalidJSON or gives
// a value that validates without panicking, re-encodes, and has no
// annotation key left.
func FuzzParseInstance(f *testing.F) {
	f.Add([]byte(quickstartContent(f)))
	f.Add([]byte(fixtures.SeedContent))
	f.Add([]byte(`{"reasoning___root":"r","a":{"source___b":1,"b":3.0},"c":[{"quote___d":"q","d":1e2}]}`))
	f.Add([]byte(`[1.0, -0.0, 1e400, "x", null, true]`))
	f.Add([]byte(`{"a":`))
	f.Add([]byte(`{} {}`))
	s, err := schemas.For[Invoice]()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inst, err := schemas.ParseInstance(data)
		if err != nil {
			return
		}
		_ = s.Validate(inst.Value)
		b, err := json.Marshal(inst.Value)
		if err != nil {
			t.Fatalf("re-encoding: %v", err)
		}
		again, err := schemas.ParseInstance(b)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", b, err)
		}
		if len(again.Annotations) != 0 {
			t.Fatalf("annotations left in %s", b)
		}
	})
}

// FuzzParse: any document either fails with ErrInvalidSchema or gives a
// schema whose exported form parses back to the same schema (same ids),
// and whose warnings, comparison and validation do not panic.
func FuzzParse(f *testing.F) {
	for _, name := range []string{fixtures.InvoiceSchema, fixtures.Reasoning, fixtures.BookingSchema} {
		f.Add(fixtures.Read(name))
	}
	f.Add([]byte(`{"type":"object","properties":{"a":{"$ref":"#/$defs/A"}},"$defs":{"A":{"anyOf":[{"$ref":"#/$defs/A"},{"type":"null"}]}}}`))
	f.Add([]byte(`{"enum":[1,"1",true,null,1.50],"type":["integer","null"],"X-x":"\ud800"}`))
	f.Add([]byte(`{"properties":{"a":{"type":"integer","minimum":1e400}}}`))
	f.Add([]byte(`{"a":1,"a":2}`))
	inst := map[string]any{"a": "1", "b": []any{json.Number("3"), nil}}
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := schemas.Parse(doc)
		if err != nil {
			return
		}
		again, err := schemas.Parse(s.JSON())
		if err != nil {
			t.Fatalf("re-parsing the exported form: %v\n%s", err, s.JSON())
		}
		if again.ID() != s.ID() || again.DataID() != s.DataID() || string(again.JSON()) != string(s.JSON()) {
			t.Fatalf("the exported form is another schema:\n%s\n%s", s.JSON(), again.JSON())
		}
		id, dataID, err := schemas.IDs(doc)
		if err != nil || id != s.ID() || dataID != s.DataID() {
			t.Fatalf("IDs disagrees with Parse: %v", err)
		}
		_ = s.Warnings()
		if d := schemas.Compare(s, again); len(d) != 0 {
			t.Fatalf("a schema differs from itself: %v", d)
		}
		_ = s.Validate(inst)
	})
}

// FuzzDateAndAmount: Date and Amount decode untrusted content; whatever
// they accept marshals back to a value that decodes to the same.
func FuzzDateAndAmount(f *testing.F) {
	for _, s := range []string{`"2024-02-29"`, `"2023-02-29"`, `null`, `""`, `12113.67`, `-0.0`, `1e400`, `1e-5`, `"12"`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d schemas.Date
		if err := d.UnmarshalJSON(data); err == nil {
			b, err := d.MarshalJSON()
			if err != nil {
				t.Fatalf("%q decoded to %#v, which does not marshal: %v", data, d, err)
			}
			var back schemas.Date
			if err := back.UnmarshalJSON(b); err != nil || back != d {
				t.Fatalf("%q -> %s -> %#v (%v)", data, b, back, err)
			}
		}
		var a schemas.Amount
		if err := a.UnmarshalJSON(data); err == nil {
			b, err := a.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var back schemas.Amount
			if err := back.UnmarshalJSON(b); err != nil || back != a {
				t.Fatalf("%q -> %s -> %v (%v)", data, b, back, err)
			}
			_, _ = a.Minor(2)
			_ = a.Add(a).Sub(a).Cmp(a)
		}
	})
}
