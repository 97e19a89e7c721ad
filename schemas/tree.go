package schemas

import "github.com/retabhook/retabhook/internal/jsontree"

// value is a schema document or a part of one, as internal/jsontree
// keeps it: members in document order, numbers as written.
type value = jsontree.Value
