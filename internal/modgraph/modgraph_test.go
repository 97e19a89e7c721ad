package modgraph_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const root = "github.com/retabhook/retabhook"

// The module path prefixes of the heavy dependencies.
const (
	natsMods       = "github.com/nats-io/"
	otelMods       = "go.opentelemetry.io/"
	prometheusMods = "github.com/prometheus/"
)

// TestUsersInheritOnlyWhatTheyImport builds, for each way of using
// retabhook, a scratch module outside the workspace that requires this
// checkout, and checks that `go list -m all` holds none of the modules it
// must not inherit.
func TestUsersInheritOnlyWhatTheyImport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	checkout, err := filepath.Abs("../..")
	require.NoError(t, err)

	tests := []struct {
		name      string
		modules   []string // of this checkout, "" is the root module
		imports   []string
		forbidden []string
		unlinked  string // a package path prefix the program must not link
	}{
		{"framework only", []string{""}, []string{"framework", "schemas", "handlers", "framework/retabtest"},
			[]string{natsMods, otelMods, prometheusMods}, ""},
		{"durable on an external cluster", []string{"", "handlers/durable"}, []string{"framework", "handlers/durable"},
			[]string{otelMods, prometheusMods}, "github.com/nats-io/nats-server/"},
		{"metrics", []string{"", "handlers/metrics"}, []string{"framework", "handlers/metrics"},
			[]string{natsMods, otelMods}, ""},
		{"tracing", []string{"", "handlers/tracing"}, []string{"framework", "handlers/tracing"},
			[]string{natsMods, prometheusMods}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			gomod := "module example.com/user\n\ngo 1.26.0\n"
			for _, m := range tt.modules {
				path := strings.TrimSuffix(root+"/"+m, "/")
				gomod += "\nrequire " + path + " v0.0.0-00010101000000-000000000000\nreplace " + path + " => " + filepath.Join(checkout, m) + "\n"
			}
			src := "package main\n\nimport (\n"
			for _, p := range tt.imports {
				src += "\t_ \"" + root + "/" + p + "\"\n"
			}
			src += ")\n\nfunc main() {}\n"
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o600))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o600))

			goCmd := func(args ...string) string {
				cmd := exec.Command(gobin, args...)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
				out, err := cmd.CombinedOutput()
				require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
				return string(out)
			}
			goCmd("mod", "tidy")
			mods := strings.Fields(goCmd("list", "-m", "-f", "{{.Path}}", "all"))
			require.Contains(t, mods, root)
			for _, m := range mods {
				for _, f := range tt.forbidden {
					assert.False(t, strings.HasPrefix(m, f), "%s inherits %s", tt.name, m)
				}
			}
			t.Logf("go list -m all: %s", strings.Join(mods, " "))
			if tt.unlinked != "" {
				for _, p := range strings.Fields(goCmd("list", "-deps", "-f", "{{.ImportPath}}", ".")) {
					assert.False(t, strings.HasPrefix(p, tt.unlinked), "%s links %s", tt.name, p)
				}
			}
		})
	}
}
