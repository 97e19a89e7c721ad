package retabtest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/jsontree"
)

// TestLikelihoodsPrintPythonFloats: a score is printed as Retab's Python
// prints it, 1e-05 and not 0.00001.
func TestLikelihoodsPrintPythonFloats(t *testing.T) {
	v, err := parseTree([]byte(`{"total":1,"items":[{"sku":"a"}],"reasoning___total":"x"}`))
	require.NoError(t, err)
	other, err := parseTree([]byte(`{"total":2.0,"items":[{"sku":"b"}]}`))
	require.NoError(t, err)
	votes := []*node{v}
	for range 99_999 {
		votes = append(votes, other)
	}
	require.Equal(t, `{"total":1e-05,"items":[{"sku":1e-05}]}`, string(compact(likelihoods(v, votes))))

	same, err := parseTree([]byte(`{"total":1.0,"items":[{"sku":"a"}]}`))
	require.NoError(t, err)
	require.Equal(t, `{"total":0.5,"items":[{"sku":0.5}]}`, string(compact(likelihoods(v, []*node{same, other, v, jsontree.NewNull()}))),
		"1 and 1.0 agree; a vote of another shape disagrees")
}
