package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/retabhook/retabhook/framework/cli"
)

// TestExportedSchemasAreUpToDate is the drift check CI runs: the files in
// schemas/ are what the types derive now. After changing a type, run
//
//	go run ./examples/invoice schemas export -blocks examples/invoice/schemas
//
// and upload the changed files to Retab.
func TestExportedSchemasAreUpToDate(t *testing.T) {
	r, err := newRouter(slog.New(slog.DiscardHandler), "whsec_test")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := cli.New(r, nil)
	cmd.Name, cmd.Stdout, cmd.Stderr = "invoice", &out, &out
	if code := cmd.Execute(context.Background(), []string{"schemas", "check", "schemas"}); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out.String())
	}
}

// TestReadmeSchemaIDs keeps the README's export output true: the ids it
// shows are the ones the example's types have.
func TestReadmeSchemaIDs(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRouter(slog.New(slog.DiscardHandler), "whsec_test")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?m)^(\w+)\.json +(sch_id_\w+) +(sch_data_id_\w+)$`).FindAllStringSubmatch(string(readme), -1)
	if len(rows) != len(r.Kinds()) {
		t.Fatalf("README shows %d schema rows, want one per kind %v", len(rows), r.Kinds())
	}
	for _, row := range rows {
		s, ok := r.Schema(row[1])
		if !ok {
			t.Fatalf("README shows kind %q, which is not registered", row[1])
		}
		if row[2] != s.ID() || row[3] != s.DataID() {
			t.Errorf("README shows %s %s for %s; the type has %s %s", row[2], row[3], row[1], s.ID(), s.DataID())
		}
	}
}

// TestExportedSchemasGolden keeps the committed files byte for byte what
// "schemas export -blocks" and "api-call-schemas export -blocks" write
// (the drift check compares documents; this keeps the reviewable text
// too). After changing a type, run
//
//	go run ./examples/invoice schemas export -blocks examples/invoice/schemas
//	go run ./examples/invoice api-call-schemas export -blocks -url https://your-receiver.example/api/invoice-check examples/invoice/schemas/api-call
func TestExportedSchemasGolden(t *testing.T) {
	r, err := newRouter(slog.New(slog.DiscardHandler), "whsec_test")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var out bytes.Buffer
	cmd := cli.New(r, nil)
	cmd.Name, cmd.Stdout, cmd.Stderr = "invoice", &out, &out
	if code := cmd.Execute(context.Background(), []string{"schemas", "export", "-blocks", dir}); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out.String())
	}
	api := apiCallSchemasCommand()
	api.Stdout, api.Stderr = &out, &out
	if code := api.Execute(context.Background(), []string{"export", "-blocks", "-url", "https://your-receiver.example/api/invoice-check", filepath.Join(dir, "api-call")}); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out.String())
	}
	want := map[string]bool{}
	err = filepath.WalkDir("schemas", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("schemas", path)
		want[rel] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		got, _ := os.ReadFile(path)
		committed, err := os.ReadFile(filepath.Join("schemas", rel))
		if err != nil || !bytes.Equal(got, committed) {
			t.Errorf("schemas/%s is not what export writes: run the commands above", rel)
		}
		delete(want, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range want {
		t.Errorf("schemas/%s is not written by export: delete it", rel)
	}

	// The API Call block's schemas pass the drift check too.
	api = apiCallSchemasCommand()
	api.Stdout, api.Stderr = &out, &out
	if code := api.Execute(context.Background(), []string{"check", filepath.Join("schemas", "api-call")}); code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out.String())
	}
}
