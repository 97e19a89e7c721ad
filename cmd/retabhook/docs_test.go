package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// docs/cli.md shows every usage text as the command prints it.
func TestDocsShowUsage(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cli.md")
	require.NoError(t, err)
	require.Contains(t, string(doc), mainUsage(), "docs/cli.md: the main usage is out of date")
	for _, c := range commands() {
		require.Contains(t, string(doc), c.usage, "docs/cli.md: the usage of %s is out of date", c.name)
	}
}
