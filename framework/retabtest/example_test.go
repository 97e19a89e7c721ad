package retabtest_test

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
	"github.com/retabhook/retabhook/schemas"
)

// Meeting is the document type under test.
type Meeting struct {
	Name string `json:"name" validate:"required"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

func Example() {
	r, err := framework.NewRouter(
		framework.WithSecrets(retabtest.Secret),
		framework.WithLogger(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		panic(err)
	}
	// Register the handler through a recorder to see what it receives.
	rec := retabtest.Record(func(ctx context.Context, m Meeting) error { return nil })
	framework.Handle(r, rec.Handle)

	d, err := retabtest.NewDelivery(Meeting{Name: "Team Meeting!", Date: "2023-12-31"},
		retabtest.WithReasoning("/date", "The invite says 31/12/2023."),
		retabtest.WithFile("invite.pdf", retabtest.PDF("Team Meeting!", "31/12/2023")),
		retabtest.WithMetadata(map[string]any{"team": "ops"}),
	)
	if err != nil {
		panic(err)
	}
	res := retabtest.Serve(r, d, "/webhook")
	fmt.Println(res.Status, res.Ack.Kind)
	fmt.Printf("%+v\n", res.Delivery.Value)
	why, _ := res.Delivery.Annotation(schemas.ReasoningPrefix, "/date")
	fmt.Println(why)
	fmt.Println(res.Delivery.File.Filename, res.Delivery.File.MIMEType, res.Delivery.Metadata["team"])

	// A delivery signed with another secret is refused before any parsing.
	bad, err := retabtest.NewDelivery(Meeting{Name: "Team Meeting!", Date: "2023-12-31"}, retabtest.WithWrongSignature())
	if err != nil {
		panic(err)
	}
	res = retabtest.Serve(r, bad, "/webhook")
	fmt.Println(res.Status, res.Problem.Title, res.Delivery == nil)

	// Output:
	// 200 meeting
	// {Name:Team Meeting! Date:2023-12-31}
	// The invite says 31/12/2023.
	// invite.pdf application/pdf ops
	// 401 Invalid signature true
}
