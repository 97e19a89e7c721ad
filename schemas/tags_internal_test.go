package schemas

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseRetabTag(t *testing.T) {
	cases := []struct {
		tag  string
		want retabTag
	}{
		{"", retabTag{}},
		{"quote", retabTag{quote: true}},
		{"prompt=Total, tax included", retabTag{prompt: "Total, tax included"}},
		{"reasoning=a, b,quote,prompt=c,d", retabTag{reasoning: "a, b", quote: true, prompt: "c,d"}},
		{"item-reasoning=x, then y", retabTag{itemReasoning: "x, then y"}},
		{"prompt=quoted,quote", retabTag{prompt: "quoted", quote: true}},
		{"prompt=quotes are fine,quotes", retabTag{prompt: "quotes are fine,quotes"}},
		{`prompt=one\,reasoning=literal`, retabTag{prompt: "one,reasoning=literal"}},
		{"prompt=a=b", retabTag{prompt: "a=b"}},
	}
	for _, c := range cases {
		got, err := parseRetabTag(c.tag)
		require.NoError(t, err, c.tag)
		require.Equal(t, c.want, got, c.tag)
	}
	for _, bad := range []string{"quote=yes", "reasonning=x", "prompt= ", "text", ",quote"} {
		_, err := parseRetabTag(bad)
		require.Error(t, err, bad)
	}
}

func TestCommaFixes(t *testing.T) {
	require.Nil(t, commaFixes("description=no comma"))
	require.Nil(t, commaFixes("description=a,minimum=1,required"))
	require.Nil(t, commaFixes(`title=a\,b`))
	require.Equal(t, map[string][]string{"description": {"a, b"}}, commaFixes("description=a, b,minimum=1"))
	require.Equal(t, map[string][]string{"pattern": {"^x{2,3}$"}}, commaFixes("pattern=^x{2,3}$,required"))
	require.Equal(t, map[string][]string{"enum": {"a,b", "c"}}, commaFixes("enum=a,b,enum=c"))
}

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"Invoice": "Invoice", "Page[github.com/x/y.Item]": "Page_github_com_x_y_Item", "a--b": "a_b", "_x_": "x", "été": "t",
	} {
		require.Equal(t, want, sanitizeName(in), in)
	}
}
