package embedded_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/durable/embedded"
)

// A command beside the running receiver reaches its engine instead of
// being refused the locked directory.
func ExampleOpenOrAttach() {
	dir, _ := os.MkdirTemp("", "retabhook-attach")
	defer os.RemoveAll(dir)
	quiet := durable.WithLogger(slog.New(slog.DiscardHandler))
	receiver, err := embedded.Open(context.Background(), durable.WithDir(dir), quiet)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer receiver.Close()

	cmd, err := embedded.OpenOrAttach(context.Background(), dir, quiet)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cmd.Close()
	dls, err := cmd.DeadLetters(context.Background())
	fmt.Println(len(dls), err)
	// Output:
	// 0 <nil>
}
