package main

import (
	"fmt"
	"math"

	"github.com/retabhook/retabhook/schemas"
)

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

// InvoiceCheck is the answer of POST /api/invoice-check, the output a
// workflow's API Call block passes to its next blocks: whether the
// invoice's figures add up.
type InvoiceCheck struct {
	Number string `json:"number"`
	// LinesTotal is the sum of the lines' amounts.
	LinesTotal float64 `json:"lines_total"`
	// LinesMatchSubtotal: the lines add up to the subtotal (to the cent).
	LinesMatchSubtotal bool `json:"lines_match_subtotal"`
	// TotalMatches: the total is the subtotal plus the tax (to the cent).
	TotalMatches bool `json:"total_matches"`
	// LineAmountsMatch: each line's quantity times unit price is its amount.
	LineAmountsMatch bool `json:"line_amounts_match"`
	// OK: all of the above.
	OK bool `json:"ok"`
	// Problems says, in words, what does not add up.
	Problems []string `json:"problems"`
}

// checkInvoice checks that an invoice's figures add up, to the cent.
func checkInvoice(inv Invoice) InvoiceCheck {
	cents := func(f float64) int64 { return int64(math.Round(f * 100)) }
	c := InvoiceCheck{Number: inv.Number, LineAmountsMatch: true, Problems: []string{}}
	var sum int64
	for i, l := range inv.Lines {
		sum += cents(l.Amount)
		if cents(float64(l.Quantity)*l.UnitPrice) != cents(l.Amount) {
			c.LineAmountsMatch = false
			c.Problems = append(c.Problems, fmt.Sprintf("line %d: %d x %.2f is not %.2f", i+1, l.Quantity, l.UnitPrice, l.Amount))
		}
	}
	c.LinesTotal = float64(sum) / 100
	c.LinesMatchSubtotal = sum == cents(inv.Subtotal)
	if !c.LinesMatchSubtotal {
		c.Problems = append(c.Problems, fmt.Sprintf("the lines add up to %.2f, the subtotal is %.2f", c.LinesTotal, inv.Subtotal))
	}
	c.TotalMatches = cents(inv.Subtotal)+cents(inv.Tax) == cents(inv.Total)
	if !c.TotalMatches {
		c.Problems = append(c.Problems, fmt.Sprintf("subtotal %.2f plus tax %.2f is not the total %.2f", inv.Subtotal, inv.Tax, inv.Total))
	}
	c.OK = c.LineAmountsMatch && c.LinesMatchSubtotal && c.TotalMatches
	return c
}
