package cli_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"

	"github.com/retabhook/retabhook/framework/cli"
)

// A command line of one's own on the same dispatcher: a flag given after
// the positional argument, a missing argument (a usage error, status 2),
// and help.
func ExampleCommand() {
	fs := flag.NewFlagSet("greet", flag.ContinueOnError)
	loud := fs.Bool("loud", false, "shout")
	root := &cli.Command{Name: "tool"}
	root.Add(&cli.Command{Name: "greet", Args: "NAME", Summary: "Greet someone", Flags: fs,
		Run: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("greet needs one NAME")
			}
			if *loud {
				fmt.Printf("HELLO, %s!\n", args[0])
			} else {
				fmt.Printf("hello, %s\n", args[0])
			}
			return nil
		}})
	var errOut bytes.Buffer
	root.Stderr = &errOut

	fmt.Println(root.Execute(context.Background(), []string{"greet", "ada", "--loud"}))
	fmt.Println(root.Execute(context.Background(), []string{"greet"}))
	fmt.Print(errOut.String())
	// Output:
	// HELLO, ada!
	// 0
	// 2
	// tool greet: greet needs one NAME
	//
	// Usage: tool greet [flags] NAME
	//
	// Greet someone
	//
	// Flags:
	//   -loud
	//     	shout
}
