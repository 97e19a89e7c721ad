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
	out, err := exec.Command(goBin, "list", "-deps", "github.com/retabhook/retabhook/framework").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for dep := range strings.SplitSeq(string(out), "\n") {
		for _, heavy := range []string{"github.com/prometheus/", "go.opentelemetry.io/", "github.com/nats-io/"} {
			require.False(t, strings.HasPrefix(dep, heavy), "framework depends on %s", dep)
		}
	}
}
