package schemas_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/schemas"
)

func TestExtractComments(t *testing.T) {
	pkg, text, err := schemas.ExtractComments(filepath.Join("testdata", "commented"))
	require.NoError(t, err)
	require.Equal(t, "commented", pkg)
	require.Equal(t, map[string]string{
		"Invoice":        "Invoice is a supplier invoice.\n\nIt is extracted by Retab.",
		"Invoice.Number": "Number is the invoice number, as printed.",
		"Invoice.Total":  "Total is the amount due.",
		"Invoice.A":      "A and B share a comment.",
		"Invoice.B":      "A and B share a comment.",
		"Party":          "Party is a company.",
		"Party.Name":     "The name.",
		"Kind":           "Kind is a grouped declaration's comment.",
	}, text)

	_, _, err = schemas.ExtractComments(filepath.Join("testdata", "missing"))
	require.Error(t, err)
}

func TestGenerateComments(t *testing.T) {
	src, err := schemas.GenerateComments("commented", "schemaDocs", map[string]string{
		"Invoice": "Invoice is a supplier invoice.", "Invoice.Number": `The "number".`,
	})
	require.NoError(t, err)
	golden(t, "schemadoc_gen.go.txt", src)
	// It is valid Go.
	_, err = parser.ParseFile(token.NewFileSet(), "x.go", src, 0)
	require.NoError(t, err)
	// And the example's generated file is up to date with its source.
	_, text, err := schemas.ExtractComments(filepath.Join("..", "examples", "invoice"))
	require.NoError(t, err)
	want, err := schemas.GenerateComments("main", "schemaDocs", text)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join("..", "examples", "invoice", "schemadoc_gen.go"))
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "run go generate ./examples/invoice")
}
