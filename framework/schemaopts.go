package framework

import "github.com/retabhook/retabhook/schemas"

// WithSchemaOptions passes options to the derivation of every registered
// type's schema, such as schemas.WithComments to use Go doc comments as
// descriptions, or schemas.WithTypeSchema for a type from another module.
// It does not apply to schemas given with [WithSchema]. Default: none.
func WithSchemaOptions(opts ...schemas.Option) Option {
	return func(c *config) error { c.schemaOptions = append(c.schemaOptions, opts...); return nil }
}
