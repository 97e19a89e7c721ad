package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/retabhook/retabhook/handlers/durable"
	"github.com/retabhook/retabhook/handlers/durable/embedded"
)

// An engine on the embedded server: its files in a directory, no port.
// A second engine on the same directory is refused while the first runs.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "retabhook-embedded")
	defer os.RemoveAll(dir)
	quiet := durable.WithLogger(slog.New(slog.DiscardHandler))

	eng, err := embedded.Open(context.Background(), durable.WithDir(dir), quiet)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()
	fmt.Printf("listening on %q\n", eng.ClientURL())

	_, err = embedded.Open(context.Background(), durable.WithDir(dir), quiet)
	fmt.Println(errors.Is(err, durable.ErrDirInUse))
	// Output:
	// listening on ""
	// true
}
