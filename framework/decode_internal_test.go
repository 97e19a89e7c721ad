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

// TestDeliveryOutlivesTheRoom: the completion format decodes each
// envelope into a pooled room (envelope.Room); a delivery it returned
// holds nothing of that room, so it is unchanged when the room decodes
// the next bodies (compared, pointers followed, with the delivery a
// format of its own decodes from the same body).
func TestDeliveryOutlivesTheRoom(t *testing.T) {
	bodies := [][]byte{
		fixtures.TypicalDelivery(),
		[]byte(`{"completion":{"id":"c2","model":"m2","created":3,"choices":[{"index":0,"finish_reason":"stop","message":{"content":"{\"a\":1}"}},{"index":1,"finish_reason":"length","message":{"content":"{\"b\":2}"}}]},"user":"u2","file_payload":{"filename":"f2.pdf","url":"data:application/pdf;base64,QUJD"},"metadata":{"k":"v","n":[1,{"x":null}]}}`),
		[]byte(`{"completion":{"id":"c3","object":"o3","choices":[{"index":0,"finish_reason":"x","message":{"content":{"c":3}}},{"index":1},{"index":2,"message":{"content":"{}"}}]},"user":null,"metadata":null}`),
	}
	f := &completionFormat{}
	var kept []*Delivery
	for range 3 {
		for _, body := range bodies {
			d, err := f.Decode(body)
			require.NoError(t, err)
			kept = append(kept, d)
		}
	}
	for k, d := range kept {
		want, err := (&completionFormat{}).Decode(bodies[k%len(bodies)])
		require.NoError(t, err)
		require.True(t, reflect.DeepEqual(want, d), "delivery %d changed after the room decoded the next bodies:\n%+v\n%+v", k, want, d)
	}
}
