package schemas_test

import (
	"encoding/json"
	"time"

	"github.com/retabhook/retabhook/schemas"
	"github.com/retabhook/retabhook/schemas/internal/schematest"
)

// CalendarEvent is the document of Retab's quick start.
type CalendarEvent struct {
	Name string       `json:"name" jsonschema:"description=Name of the event"`
	Date schemas.Date `json:"date" jsonschema:"description=Date of the event (YYYY-MM-DD)"`
}

// Invoice exercises the derivation rules; its schema is the golden file
// testdata/invoice.json.
type Invoice struct {
	Number    string            `json:"number" jsonschema:"description=Invoice number, as printed,pattern=^[A-Z]{2,3}-[0-9]+$" retab:"quote"`
	IssueDate schemas.Date      `json:"issue_date" retab:"prompt=The date next to \"Invoice date\", as YYYY-MM-DD"`
	DueDate   *schemas.Date     `json:"due_date" jsonschema:"description=Payment due date; null when not printed"`
	Received  time.Time         `json:"received_at,omitempty"`
	Supplier  Party             `json:"supplier" retab:"reasoning=The supplier issues the invoice, the customer pays it"`
	Customer  *Party            `json:"customer,omitempty"`
	Currency  string            `json:"currency" jsonschema:"enum=EUR,enum=USD,enum=GBP"`
	Priority  int               `json:"priority" jsonschema:"enum=1,enum=2,enum=3"`
	Lines     []LineItem        `json:"line_items" jsonschema:"minItems=1" retab:"item-reasoning=Check that quantity times unit price is the amount" validate:"min=1,dive"`
	Total     schemas.Amount    `json:"total" retab:"reasoning=Add the lines, then the tax; compare with the printed total"`
	Tags      []string          `json:"tags,omitempty"`
	Extra     map[string]string `json:"extra,omitempty"`
	Raw       json.RawMessage   `json:"raw,omitempty"`
	Audit
}

// RetabPrompts gives the invoice's root prompts.
func (Invoice) RetabPrompts() schemas.Prompts {
	return schemas.Prompts{
		System:    "You extract supplier invoices. Dates are printed day/month/year.",
		Reasoning: "Say which page holds the totals.",
	}
}

// Audit is embedded in Invoice: its fields are Invoice's.
type Audit struct {
	Source string `json:"source"`
	Pages  int    `json:"pages" jsonschema:"minimum=1"`
}

// Party is a company on an invoice.
type Party struct {
	Name    string   `json:"name" validate:"required"`
	VATID   *string  `json:"vat_id" retab:"quote"`
	Address *Address `json:"address"`
}

// Address is a postal address.
type Address struct {
	Street  string `json:"street"`
	City    string `json:"city"`
	Country string `json:"country" jsonschema:"description=ISO 3166 code, such as FR or DE,pattern=^[A-Z]{2}$"`
}

// LineItem is one billed line.
type LineItem struct {
	Description string         `json:"description" validate:"required"`
	Quantity    int            `json:"quantity" validate:"gt=0"`
	UnitPrice   schemas.Amount `json:"unit_price"`
	Amount      schemas.Amount `json:"amount"`
}

// TreeNode contains itself: the root type is recursive.
type TreeNode struct {
	Label    string     `json:"label"`
	Children []TreeNode `json:"children"`
	Parent   *TreeNode  `json:"parent"`
}

// Folder holds a recursive type below the root.
type Folder struct {
	Name string   `json:"name"`
	Root TreeNode `json:"root"`
}

// Item has the same name as schematest.Item.
type Item struct {
	Name string `json:"name"`
}

// Catalog holds generic types and two types named Item.
type Catalog struct {
	Mine   schematest.Page[Item]            `json:"mine"`
	Theirs schematest.Page[schematest.Item] `json:"theirs"`
	Local  Item                             `json:"local"`
	Other  schematest.Item                  `json:"other"`
	Pairs  []struct {
		Key   string `json:"key"`
		Value *int   `json:"value"`
	} `json:"pairs"`
}
