package schemas_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// InvoiceLineItem and PydanticInvoice mirror Retab's Pydantic-generated
// invoice_schema.json.
type InvoiceLineItem struct {
	Amount      float64 `json:"amount" jsonschema:"description=Total price for this line item,title=Amount"`
	Description string  `json:"description" jsonschema:"description=Description of the item,title=Description"`
	Quantity    int     `json:"quantity" jsonschema:"description=Quantity of the item purchased,title=Quantity"`
	UnitPrice   float64 `json:"unit_price" jsonschema:"description=Price per unit of the item,title=Unit Price"`
}

type PydanticInvoice struct {
	SupplierPhone              string            `json:"supplier_phone"`
	InvoiceDate                string            `json:"invoice_date"`
	AmountDue                  float64           `json:"amount_due"`
	SupplierEmail              string            `json:"supplier_email"`
	ReceiverPhone              string            `json:"receiver_phone"`
	TotalTaxAmount             float64           `json:"total_tax_amount"`
	InvoiceID                  string            `json:"invoice_id"`
	SupplierName               string            `json:"supplier_name"`
	TotalAmount                float64           `json:"total_amount"`
	ReceiverName               string            `json:"receiver_name"`
	SupplierWebsite            string            `json:"supplier_website" jsonschema:"format=uri,minLength=1,maxLength=2083"`
	SupplierAddress            string            `json:"supplier_address"`
	Currency                   string            `json:"currency"`
	ShipToName                 string            `json:"ship_to_name"`
	ShipToAddress              string            `json:"ship_to_address"`
	LineItems                  []InvoiceLineItem `json:"line_items"`
	ReceiverEmail              string            `json:"receiver_email"`
	ReceiverAddress            string            `json:"receiver_address"`
	AmountPaidSinceLastInvoice float64           `json:"amount_paid_since_last_invoice"`
	NetAmount                  float64           `json:"net_amount"`
}

// TestSampleInvoiceSchemaRoundTrip: the struct mirroring Retab's
// invoice_schema.json derives an equivalent schema: the same properties,
// types, nullability and required lists, at every depth.
func TestSampleInvoiceSchemaRoundTrip(t *testing.T) {
	file, err := schemas.Parse(fixtures.Read(fixtures.InvoiceSchema))
	require.NoError(t, err)
	code, err := schemas.For[PydanticInvoice]()
	require.NoError(t, err)
	var structural []string
	for _, d := range schemas.Compare(file, code) {
		if d.Structural() {
			structural = append(structural, d.Kind+" "+d.String())
		}
	}
	// The only structural differences are deliberate: derived objects
	// refuse unknown keys; Pydantic's root here allows them, and its line
	// items say nothing.
	require.Equal(t, []string{
		"constraint (root): additionalProperties differs: the file has true, the struct (PydanticInvoice) has false",
		"constraint line_items[]: additionalProperties is false in the struct (InvoiceLineItem) and absent from the file",
	}, structural)

	// The parsed file keeps its member order (not alphabetical), and so
	// its ids are Retab's whatever the order.
	doc := string(file.JSON())
	require.Less(t, strings.Index(doc, `"supplier_phone"`), strings.Index(doc, `"invoice_date"`))
	require.Less(t, strings.Index(doc, `"invoice_date"`), strings.Index(doc, `"amount_due"`))
	require.Less(t, strings.Index(doc, `"$defs"`), strings.Index(doc, `"properties"`))
}

// quickstartContent returns the extracted object of Retab's real
// quick-start completion.
func quickstartContent(t testing.TB) string {
	t.Helper()
	var completion struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	require.NoError(t, json.Unmarshal(fixtures.Read(fixtures.QuickstartCompletion), &completion))
	return completion.Choices[0].Message.Content
}

// TestSampleQuickstartCompletion: the content of Retab's real completion
// validates against the schema it was extracted with, once the reasoning
// keys are set aside.
func TestSampleQuickstartCompletion(t *testing.T) {
	s, err := schemas.Parse(quickstartSchema(t))
	require.NoError(t, err)

	content := quickstartContent(t)
	inst, err := schemas.ParseInstance([]byte(content))
	require.NoError(t, err)
	require.NoError(t, s.Validate(inst.Value))

	// With the reasoning and quote keys a schema with X-ReasoningPrompt
	// and X-SourceQuote makes the model add, it still validates.
	var obj map[string]any
	require.NoError(t, json.Unmarshal([]byte(content), &obj))
	obj["reasoning___root"] = "An invoice from AMS."
	obj["reasoning___summary"] = "Totals are on page 1."
	obj["source___invoice_number"] = "Invoice # 1437"
	obj["line_items"].([]any)[0].(map[string]any)["reasoning___item"] = "First line."
	with, err := json.Marshal(obj)
	require.NoError(t, err)
	inst, err = schemas.ParseInstance(with)
	require.NoError(t, err)
	require.NoError(t, s.Validate(inst.Value))
	require.Len(t, inst.Annotations, 4)

	// And a broken one fails where it is broken.
	obj["summary"].(map[string]any)["total"] = "12113.67"
	broken, err := json.Marshal(obj)
	require.NoError(t, err)
	require.Equal(t, []schemas.Violation{{Pointer: "/summary/total", Keyword: "type", Message: "must be a number, not a string"}},
		violations(t, validate(t, s, string(broken))))
}

// TestSampleSchemasCompile: Retab's 2026 reasoning schema and the booking
// schema parse, compile and validate plausible content.
func TestSampleSchemasCompile(t *testing.T) {
	reasoning, err := schemas.Parse(fixtures.Read(fixtures.Reasoning))
	require.NoError(t, err)
	content := `{"invoice_number":"F-1","invoice_date":"2024-02-07","due_date":null,"currency":"EUR","seller_name":"S","seller_address":"A",
		"seller_vat_number":"FR1","buyer_name":null,"reasoning___buyer_name":"no contact","buyer_company":"B","customer_code":null,
		"purchase_order_number":null,"line_items":[{"line_number":1,"description":"d","quantity":2,"unit_price":1.5,"amount":3}],
		"subtotal_amount":3,"discount_amount":null,"tax_name":"VAT","tax_rate":20,"tax_amount":0.6,"total_amount":3.6}`
	require.NoError(t, validate(t, reasoning, content))
	require.Equal(t, []schemas.Violation{{Pointer: "/due_date", Keyword: "type", Message: "must be a string or null, not a number"}},
		violations(t, validate(t, reasoning, `{"invoice_number":"F-1","invoice_date":"2024-02-07","due_date":5,"currency":"EUR","seller_name":"S","seller_address":"A",
		"seller_vat_number":"FR1","buyer_name":null,"buyer_company":"B","customer_code":null,"purchase_order_number":null,"line_items":[],
		"subtotal_amount":3,"discount_amount":null,"tax_name":"VAT","tax_rate":20,"tax_amount":null,"total_amount":3.6}`)))

	booking, err := schemas.Parse(fixtures.Read(fixtures.BookingSchema))
	require.NoError(t, err)
	require.NoError(t, validate(t, booking, `{"reasoning___root": "A booking.", "booking_id": null}`))
	require.NoError(t, validate(t, booking, `{"booking_id": "B-1"}`))
	require.Equal(t, []schemas.Violation{{Pointer: "/booking_id", Keyword: "required", Message: "is required but missing"}},
		violations(t, validate(t, booking, `{}`)))

	// Their warnings are what strict mode changes in them.
	for _, s := range []*schemas.Schema{reasoning, booking} {
		for _, w := range s.Warnings() {
			require.NotEmpty(t, w.Code)
		}
	}
	require.Equal(t, []schemas.Warning{{Code: schemas.WarnStrictInteger, Pointer: "/properties/line_items/items/properties/line_number",
		Message: "integer is shown to the model as number: an answer such as 3.0 is read as 3, and a fractional answer fails validation"}}, reasoning.Warnings())
}

func TestStrictWarningsOfParsedSchema(t *testing.T) {
	s := mustParse(t, `{"type":"object","X-SystemPrompt":"root is fine","properties":{
		"code": {"type": "string", "format": "email", "minLength": 3, "maxLength": 10, "default": "x"},
		"kind": {"enum": [1, true, null, "a", 2.50]},
		"note": {"type": "string"},
		"opt": {"type": ["string", "null"]},
		"u": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
		"m": {"type": "object"},
		"a": {"allOf": [{"type": "string"}, {"minLength": 1}]},
		"r": {"$ref": "#/properties/note"},
		"n": {"type": "object", "properties": {"x": {"type": "string"}}, "X-SystemPrompt": "too deep"}
	},"required":["code","kind","u","m","a","r","n"]}`)
	var got []string
	for _, w := range s.Warnings() {
		got = append(got, w.Code+" "+w.Pointer)
	}
	require.Equal(t, []string{
		"strict-required /properties/note",
		"strict-additional ",
		"strict-format /properties/code",
		"strict-length /properties/code",
		"strict-length /properties/code",
		"strict-default /properties/code",
		"strict-enum /properties/kind",
		"strict-oneof /properties/u",
		"strict-integer /properties/u/oneOf/1",
		"strict-map /properties/m",
		"retab-allof /properties/a",
		"strict-length /properties/a/allOf/1",
		"retab-ref /properties/r",
		"strict-required /properties/n/properties/x",
		"strict-additional /properties/n",
		"retab-system /properties/n",
	}, got)
	for _, w := range s.Warnings() {
		if w.Code == schemas.WarnStrictEnum {
			require.Equal(t, `enum values are shown to the model as the strings "1", "True", "None", "a", "2.5"; the router reads such a string back as the value it stands for`, w.Message)
		}
	}
}

// TestParseFetchesNothing: a schema file is untrusted input; references
// to files or URLs are refused, never loaded.
func TestParseFetchesNothing(t *testing.T) {
	for _, ref := range []string{"file:///etc/passwd", "http://127.0.0.1:1/schema.json", "other.json#/x"} {
		_, err := schemas.Parse([]byte(`{"type":"object","properties":{"a":{"$ref":"` + ref + `"}}}`))
		require.ErrorIs(t, err, schemas.ErrInvalidSchema, ref)
	}
	for _, doc := range []string{`true`, `[]`, `"x"`, `{"type": 5}`, `{"pattern": "("}`} {
		_, err := schemas.Parse([]byte(doc))
		require.ErrorIs(t, err, schemas.ErrInvalidSchema, doc)
	}
}
