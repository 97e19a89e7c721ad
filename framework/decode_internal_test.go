package framework

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/internal/typeddecode"
	"github.com/retabhook/retabhook/schemas"
)

type decodeProbe struct {
	Invoice fixtures.Invoice `json:"invoice"`
	Due     schemas.Date     `json:"due"`
	Count   int              `json:"count,string"`
	Extra   any              `json:"extra"`
}

// TestContentDecoderAgreesWithJSON: a route's decode (the compiled decoder,
// json.Unmarshal for what it does not handle) gives decodeInto's value
// and error, message included, on content it handles and on content it
// hands back.
func TestContentDecoderAgreesWithJSON(t *testing.T) {
	decode := contentDecoder[decodeProbe]()
	inv := string(fixtures.InvoiceContent(3))
	dec, err := typeddecode.Compile(reflect.TypeFor[decodeProbe]())
	require.NoError(t, err)
	handled := `{"invoice": ` + inv + `, "due": "2024-02-29", "extra": [1, {"a": null}]}`
	_, ok := dec.DecodeAny([]byte(handled))
	require.True(t, ok, "the compiled decoder handles the first case itself")
	for _, in := range []string{
		handled,
		`{"invoice": ` + inv + `, "count": "12"}`,          // ,string: json.Unmarshal
		`{"invoice": {"number": 12}}`,                      // a type mismatch
		`{"due": "2023-02-30"}`,                            // the type's own refusal
		`{"invoice": {"line_items": [{"quantity": 1.5}]}}`, // not an integer
		`{"invoice": {"total": 1e999}}`,                    // out of range
		`{"invoice": {"number": "a", "number": "b"}}`,      // repeated
		`{"invoice": ` + inv + `,}`,                        // a syntax error
	} {
		got, gotErr := decode([]byte(in))
		want, wantErr := decodeInto[decodeProbe]([]byte(in))
		if wantErr != nil {
			require.EqualError(t, gotErr, wantErr.Error(), in)
			require.Equal(t, reflect.TypeOf(wantErr), reflect.TypeOf(gotErr), in)
		} else {
			require.NoError(t, gotErr, in)
		}
		require.Equal(t, want, got, in)
	}
}
