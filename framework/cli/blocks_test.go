package cli_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/cli"
	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// readBlock decodes a block file into its members.
func readBlock(t *testing.T, path string) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func requireSchema(t *testing.T, want *schemas.Schema, raw json.RawMessage) {
	t.Helper()
	got, err := schemas.Parse(raw)
	require.NoError(t, err)
	require.True(t, got.Equal(want), "the block's schema is not the registered one:\n%s", raw)
}

func TestExportBlocks(t *testing.T) {
	r := cliRouter(t)
	dir := t.TempDir()
	code, out, errOut := run(t, cli.New(r, nil), "schemas", "export", "-blocks", "-model", "retab-large", dir)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Wrote 2 block configuration(s)")
	for _, kind := range r.Kinds() {
		m := readBlock(t, filepath.Join(dir, "blocks", kind+".extract.json"))
		require.JSONEq(t, `"retab-large"`, string(m["model"]))
		s, _ := r.Schema(kind)
		requireSchema(t, s, m["json_schema"])
		_, err := os.Stat(filepath.Join(dir, "blocks", kind+".api_call.json"))
		require.ErrorIs(t, err, os.ErrNotExist, "a webhook router has no API Call block")
	}
	// Without -blocks, nothing under blocks/ is written; check reads what is there.
	code, out, _ = run(t, cli.New(r, nil), "schemas", "check", dir)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "blocks/cli_event.extract.json: up to date")

	// A block whose schema drifted fails the check.
	path := filepath.Join(dir, "blocks", "cli_event.extract.json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(b), `"required"`, `"x-required"`, 1)), 0o644))
	code, out, errOut = run(t, cli.New(r, nil), "schemas", "check", dir)
	require.Equal(t, 1, code)
	require.Contains(t, out, "blocks/cli_event.extract.json: json_schema differs")
	require.Contains(t, errOut, cli.ErrSchemaDrift.Error())
}

type invoiceCheck struct {
	Number string `json:"number"`
	OK     bool   `json:"ok"`
}

func TestExportAPICallBlock(t *testing.T) {
	r, err := framework.NewRouter(framework.WithAPICallToken("tok_test"), framework.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	framework.HandleCall(r, func(context.Context, fixtures.Invoice) (invoiceCheck, error) { return invoiceCheck{}, nil })
	dir := t.TempDir()
	code, out, errOut := run(t, cli.New(r, nil), "schemas", "export", "-blocks", "-url", "https://erp.example/calls/{kind}", dir)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, filepath.Join(dir, "blocks", "invoice.api_call.json"))

	m := readBlock(t, filepath.Join(dir, "blocks", "invoice.api_call.json"))
	require.JSONEq(t, `"https://erp.example/calls/invoice"`, string(m["url"]))
	require.JSONEq(t, `"POST"`, string(m["method"]))
	require.JSONEq(t, `{"Authorization": "Bearer ${API_KEY}", "Content-Type": "application/json"}`, string(m["headers"]))
	req, _ := r.Schema("invoice")
	res, ok := r.OutputSchema("invoice")
	require.True(t, ok)
	requireSchema(t, req, m["request_schema"])
	requireSchema(t, res, m["output_schema"])
	requireSchema(t, req, readBlock(t, filepath.Join(dir, "blocks", "invoice.extract.json"))["json_schema"])

	code, out, _ = run(t, cli.New(r, nil), "schemas", "check", dir)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "blocks/invoice.api_call.json: up to date")
}
