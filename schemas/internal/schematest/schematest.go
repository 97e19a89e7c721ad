// Package schematest holds types for the schemas package's tests that
// must live in a package of their own (same type names as the tests',
// from another package path).
package schematest

// Item has the same name as a type of the tests' package.
type Item struct {
	SKU string `json:"sku"`
}

// Page is a generic page of results.
type Page[T any] struct {
	Items []T     `json:"items"`
	Next  *string `json:"next"`
}
