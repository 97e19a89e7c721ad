package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
)

// TestExportedSchemasAreUpToDate is the drift check CI runs: the files in
// schemas/ are what the types derive now. After changing a type, run
//
//	go run ./examples/invoice schemas export examples/invoice/schemas
//
// and upload the changed files to Retab.
func TestExportedSchemasAreUpToDate(t *testing.T) {
	r, err := newRouter(slog.New(slog.DiscardHandler), "whsec_test")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := r.Command(nil)
	cmd.Name, cmd.Stdout, cmd.Stderr = "invoice", &out, &out
	if code := cmd.Execute(context.Background(), []string{"schemas", "check", "schemas"}); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out.String())
	}
}
