// Command schemadoc writes the Go doc comments of a package's types into a
// Go file of that package, so that a compiled program can use them as
// JSON Schema descriptions (schemas.WithComments). Run it from a
// go:generate line next to the types:
//
//	//go:generate go run github.com/retabhook/retabhook/cmd/schemadoc
//
// It reads the package in the current directory (not its tests) and
// writes schemadoc_gen.go, which declares
//
//	var schemaDocs = schemas.Comments{...}
//
// Flags: -dir (default "."), -out (default "schemadoc_gen.go", relative
// to -dir), -var (default "schemaDocs").
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/retabhook/retabhook/schemas"
)

func main() {
	dir := flag.String("dir", ".", "the package's directory")
	out := flag.String("out", "schemadoc_gen.go", "the file to write, relative to -dir")
	name := flag.String("var", "schemaDocs", "the name of the generated variable")
	flag.Parse()
	if err := run(*dir, *out, *name); err != nil {
		fmt.Fprintln(os.Stderr, "schemadoc:", err)
		os.Exit(1)
	}
}

func run(dir, out, name string) error {
	pkg, text, err := schemas.ExtractComments(dir)
	if err != nil {
		return err
	}
	src, err := schemas.GenerateComments(pkg, name, text)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, out), src, 0o644)
}
