package jsonscan

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMeasure(t *testing.T) {
	for _, tc := range []struct {
		in            string
		depth, values int
	}{
		{`{}`, 1, 1},
		{`{"a":1,"b":[true,null,"x"],"c":{"d":-1.5e3}}`, 2, 8},
		{`"a:b"`, 0, 1},
		{`[[[]]]`, 3, 3},
		{` { "k" : "v" } `, 1, 2},
	} {
		d, v, over := Measure([]byte(tc.in), 100, 100)
		assert.Equal(t, tc.depth, d, tc.in)
		assert.Equal(t, tc.values, v, tc.in)
		assert.False(t, over, tc.in)
	}
	deep := strings.Repeat(`{"a":`, 65) + "1" + strings.Repeat("}", 65)
	_, _, over := Measure([]byte(deep), 64, 1000)
	assert.True(t, over)
	many := "[" + strings.Repeat("{},", 1000) + "{}]"
	_, v, over := Measure([]byte(many), 64, 500)
	assert.True(t, over)
	assert.Equal(t, 501, v, "stops at the first value past the limit")
}

func FuzzMeasure(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"c"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, v, _ := Measure(b, 1<<30, 1<<30)
		if d < 0 || v < 0 || v > len(b) {
			t.Fatalf("Measure(%q) = %d, %d", b, d, v)
		}
	})
}
