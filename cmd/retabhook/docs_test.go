package main

import (
	"flag"
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the usage blocks of docs/cli.md")

const docsPath = "../../docs/cli.md"

// docs/cli.md shows every usage text as the command prints it, each in the
// fenced block after a "<!-- usage: NAME -->" marker. Refresh them with
// go test ./cmd/retabhook -run Docs -update.
func TestDocsShowUsage(t *testing.T) {
	doc, err := os.ReadFile(docsPath)
	require.NoError(t, err)
	usages := map[string]string{"retabhook": mainUsage()}
	for _, c := range commands() {
		usages[c.name] = c.usage
	}
	block := regexp.MustCompile("(?s)<!-- usage: ([a-z]+) -->\n```\n(.*?)```\n")
	seen := map[string]bool{}
	out := block.ReplaceAllFunc(doc, func(m []byte) []byte {
		sub := block.FindSubmatch(m)
		name := string(sub[1])
		seen[name] = true
		want, ok := usages[name]
		if !ok {
			t.Errorf("docs/cli.md: no command %q", name)
			return m
		}
		if !*update && string(sub[2]) != want {
			t.Errorf("docs/cli.md: the usage of %s is out of date; run go test ./cmd/retabhook -run Docs -update", name)
		}
		return []byte("<!-- usage: " + name + " -->\n```\n" + want + "```\n")
	})
	for name := range usages {
		if !seen[name] {
			t.Errorf("docs/cli.md: no usage block for %s", name)
		}
	}
	if *update {
		require.NoError(t, os.WriteFile(docsPath, out, 0o644))
	}
}
