package main

import "github.com/retabhook/retabhook/schemas"

//go:generate go run github.com/retabhook/retabhook/cmd/schemadoc

// Invoice is a supplier invoice as Retab extracts it.
type Invoice struct {
	// Number is the invoice number as printed.
	Number string `json:"number" validate:"required" retab:"quote"`
	// IssueDate is the date the invoice was issued.
	IssueDate schemas.Date `json:"issue_date"`
	// DueDate is the payment due date, or null when none is printed.
	DueDate  *schemas.Date `json:"due_date" retab:"reasoning=Return a due date only if one is printed; do not compute it from payment terms"`
	Supplier Party         `json:"supplier" jsonschema:"description=Who issued the invoice" retab:"reasoning=The supplier issues the invoice, the customer pays it"`
	Customer *Party        `json:"customer,omitempty" jsonschema:"description=Who the invoice is billed to"`
	Currency string        `json:"currency" jsonschema:"description=ISO 4217 currency code, such as EUR or USD" validate:"iso4217"`
	Lines    []LineItem    `json:"line_items" jsonschema:"description=One entry per billed line" validate:"min=1,dive" retab:"item-reasoning=Check that quantity times unit price is the amount"`
	Subtotal float64       `json:"subtotal" validate:"gte=0"`
	Tax      float64       `json:"tax" validate:"gte=0"`
	Total    float64       `json:"total" jsonschema:"description=Amount due, tax included" validate:"gte=0" retab:"reasoning=Add the lines and the tax, then compare with the printed total"`
}

// RetabPrompts gives Retab the invoice's system prompt.
func (Invoice) RetabPrompts() schemas.Prompts {
	return schemas.Prompts{System: "You extract supplier invoices. Dates may be printed day/month/year: return them as YYYY-MM-DD."}
}

// Party is a company on an invoice.
type Party struct {
	Name    string  `json:"name" validate:"required"`
	Address *string `json:"address" jsonschema:"description=Postal address as printed"`
	VATID   *string `json:"vat_id" jsonschema:"description=VAT or tax identification number" retab:"quote"`
}

// LineItem is one billed line.
type LineItem struct {
	Description string  `json:"description" validate:"required"`
	Quantity    int     `json:"quantity" validate:"gt=0"`
	UnitPrice   float64 `json:"unit_price"`
	Amount      float64 `json:"amount"`
}

// CalendarEvent is the event of Retab's quick start:
// {"name": "Team Meeting!", "date": "2023-12-31"}.
type CalendarEvent struct {
	Name string       `json:"name" jsonschema:"description=Name of the event" validate:"required"`
	Date schemas.Date `json:"date" jsonschema:"description=Date of the event (YYYY-MM-DD)"`
}
