package schemas_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/schemas"
)

// TestDateUnmarshalEscaped checks that a date's value, not the way its JSON
// string is written, decides the result.
func TestDateUnmarshalEscaped(t *testing.T) {
	var got struct {
		D schemas.Date `json:"d"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"d":"\u0032024-05-01"}`), &got))
	require.Equal(t, "2024-05-01", got.D.String())
	require.NoError(t, json.Unmarshal([]byte(`{"d":"2024-06\u002d01"}`), &got))
	require.Equal(t, "2024-06-01", got.D.String())
	require.ErrorIs(t, json.Unmarshal([]byte(`{"d":"2024\u002d02-30"}`), &got), schemas.ErrInvalidDate)
	require.ErrorIs(t, json.Unmarshal([]byte(`{"d":"\u00322"}`), &got), schemas.ErrInvalidDate)
}
