package framework_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFrameworkStaysLight checks that importing framework compiles none of
// the heavy integrations (they live in handlers/...).
func TestFrameworkStaysLight(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	requireNoDeps(t, goBin, "github.com/retabhook/retabhook/framework", "github.com/prometheus/", "go.opentelemetry.io/", "github.com/nats-io/")
}

// TestSchemasLeaveTheValidatorOut checks that importing schemas (schema
// derivation and validation) links no go-playground/validator: tags are
// read through internal/validatetag.
func TestSchemasLeaveTheValidatorOut(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	requireNoDeps(t, goBin, "github.com/retabhook/retabhook/schemas", "github.com/go-playground/validator/")
}

// requireNoDeps fails when pkg depends on a package path starting with
// one of prefixes.
func requireNoDeps(t *testing.T, goBin, pkg string, prefixes ...string) {
	t.Helper()
	out, err := exec.Command(goBin, "list", "-deps", pkg).CombinedOutput()
	require.NoError(t, err, "%s", out)
	for dep := range strings.SplitSeq(string(out), "\n") {
		for _, p := range prefixes {
			require.False(t, strings.HasPrefix(dep, p), "%s depends on %s", pkg, dep)
		}
	}
}
