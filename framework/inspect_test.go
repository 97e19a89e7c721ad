package framework_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/internal/fixtures"
)

func TestTypeSchemaAndAPICallHeader(t *testing.T) {
	r, _ := newTestRouter(t)
	typ, derived, err := r.TypeSchema("invoice")
	require.NoError(t, err)
	require.Equal(t, reflect.TypeFor[Invoice](), typ)
	s, _ := r.Schema("invoice")
	require.True(t, derived.Equal(s), "without WithSchema the derived schema is the one validated against")
	_, _, err = r.TypeSchema("receipt")
	require.ErrorIs(t, err, framework.ErrUnknownKind)
	_, _, ok := r.APICallHeader()
	require.False(t, ok)

	for _, c := range []struct {
		opt    framework.Option
		header string
		bearer bool
	}{
		{framework.WithAPICallToken("tok"), "Authorization", true},
		{framework.WithAPICallHeaderToken("X-Api-Key", "tok"), "X-Api-Key", false},
	} {
		api, err := framework.NewRouter(c.opt, framework.WithLogger(quietLogger()))
		require.NoError(t, err)
		framework.HandleCall(api, func(context.Context, fixtures.Invoice) (invoiceCheck, error) { return invoiceCheck{}, nil })
		header, bearer, ok := api.APICallHeader()
		require.True(t, ok)
		require.Equal(t, c.header, header)
		require.Equal(t, c.bearer, bearer)
	}
}
