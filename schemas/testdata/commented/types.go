// Package commented is parsed by TestExtractComments; it is not built.
package commented

// Invoice is a supplier invoice.
//
// It is extracted by Retab.
type Invoice struct {
	// Number is the invoice number,
	// as printed.
	Number string  `json:"number"`
	Total  float64 // Total is the amount due.
	hidden string  // not exported: not extracted
	A, B   int     // A and B share a comment.
}

type (
	// Party is a company.
	Party struct {
		Name string // The name.
	}
	unexported struct{}
)

// Kind is a grouped declaration's comment.
type Kind string
