package main

// Invoice is a supplier invoice as Retab extracts it.
type Invoice struct {
	Number    string     `json:"number" jsonschema:"description=The invoice number as printed" validate:"required"`
	IssueDate string     `json:"issue_date" jsonschema:"description=Date the invoice was issued (YYYY-MM-DD)" validate:"datetime=2006-01-02"`
	DueDate   *string    `json:"due_date" jsonschema:"description=Payment due date (YYYY-MM-DD) or null when not printed" validate:"omitnil,datetime=2006-01-02"`
	Supplier  Party      `json:"supplier" jsonschema:"description=Who issued the invoice"`
	Customer  *Party     `json:"customer,omitempty" jsonschema:"description=Who the invoice is billed to"`
	Currency  string     `json:"currency" jsonschema:"description=ISO 4217 currency code such as EUR or USD" validate:"iso4217"`
	Lines     []LineItem `json:"line_items" jsonschema:"description=One entry per billed line" validate:"min=1,dive"`
	Subtotal  float64    `json:"subtotal" validate:"gte=0"`
	Tax       float64    `json:"tax" validate:"gte=0"`
	Total     float64    `json:"total" jsonschema:"description=Amount due including tax" validate:"gte=0"`
}

// Party is a company on an invoice.
type Party struct {
	Name    string  `json:"name" validate:"required"`
	Address *string `json:"address" jsonschema:"description=Postal address as printed"`
	VATID   *string `json:"vat_id" jsonschema:"description=VAT or tax identification number"`
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
	Name string `json:"name" jsonschema:"description=Name of the event" validate:"required"`
	Date string `json:"date" jsonschema:"description=Date of the event (YYYY-MM-DD)" validate:"datetime=2006-01-02"`
}
