package retabtest_test

import (
	"encoding/json"
	"fmt"

	"github.com/retabhook/retabhook/framework/retabtest"
)

func ExampleNewDelivery() {
	// Content as JSON text, with the awkward cases of real output: an
	// integer written 3.0, a reasoning key, and three consensus votes of
	// which one disagrees on the quantity.
	d, err := retabtest.NewDelivery(json.RawMessage(`{"sku": "A-1", "quantity": 3}`),
		retabtest.WithIntegersAsFloats(),
		retabtest.WithReasoning("/quantity", "Three boxes are listed."),
		retabtest.WithConsensus(2),
		retabtest.WithVote(json.RawMessage(`{"sku": "A-1", "quantity": 4}`)),
		retabtest.WithSignatureHeader(retabtest.LegacySignatureHeader),
	)
	if err != nil {
		panic(err)
	}
	var body struct {
		Completion struct {
			Choices []struct {
				Message struct{ Content string } `json:"message"`
			} `json:"choices"`
			Likelihoods json.RawMessage `json:"likelihoods"`
		} `json:"completion"`
	}
	if err := json.Unmarshal(d.Body, &body); err != nil {
		panic(err)
	}
	fmt.Println(len(body.Completion.Choices), "choices")
	fmt.Println(body.Completion.Choices[0].Message.Content)
	fmt.Println(string(body.Completion.Likelihoods))
	fmt.Println(len(d.Header.Get("Retab-Signature")), "hex digits in Retab-Signature")

	// Output:
	// 4 choices
	// {"sku": "A-1", "reasoning___quantity": "Three boxes are listed.", "quantity": 3.0}
	// {"sku":1.0,"quantity":0.66667}
	// 64 hex digits in Retab-Signature
}
