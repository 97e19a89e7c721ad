package jsonpointer_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/jsonpointer"
)

func TestEscapeUnescape(t *testing.T) {
	for name, token := range map[string]string{
		"": "", "total": "total", "a/b": "a~1b", "m~n": "m~0n", "~1": "~01", "/~/": "~1~0~1", "é/😀": "é~1😀",
	} {
		require.Equal(t, token, jsonpointer.Escape(name), name)
		require.Equal(t, name, jsonpointer.Unescape(token), token)
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a/b", "~", "~01", "~~//"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got := jsonpointer.Unescape(jsonpointer.Escape(name)); got != name {
			t.Fatalf("%q escaped and unescaped is %q", name, got)
		}
	})
}
