package schemas_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/schemas"
)

func TestCommonInstance(t *testing.T) {
	type Loose struct {
		Name string  `json:"name,omitempty"`
		Note *string `json:"note,omitempty"`
	}
	type AlsoLoose struct {
		Total float64 `json:"total,omitempty"`
	}
	type Named struct {
		Name string `json:"name"`
	}
	type NamedMore struct {
		Name  string  `json:"name"`
		Extra *string `json:"extra,omitempty"`
	}
	type Strict struct {
		Name string `json:"name" validate:"required"`
	}
	type Counted struct {
		Count int `json:"count" validate:"gt=2"`
	}
	must := func(s *schemas.Schema, err error) *schemas.Schema {
		require.NoError(t, err)
		return s
	}
	loose, alsoLoose := must(schemas.For[Loose]()), must(schemas.For[AlsoLoose]())
	inv, ev := must(schemas.For[Invoice]()), must(schemas.For[CalendarEvent]())

	got, ok := schemas.CommonInstance(loose, alsoLoose)
	require.True(t, ok)
	require.JSONEq(t, `{}`, string(got))
	// A schema that accepts {} overlaps with nothing that requires a key.
	_, ok = schemas.CommonInstance(loose, ev)
	require.False(t, ok)

	got, ok = schemas.CommonInstance(must(schemas.For[Named]()), must(schemas.For[NamedMore]()))
	require.True(t, ok)
	require.JSONEq(t, `{"name": ""}`, string(got))
	_, ok = schemas.CommonInstance(must(schemas.For[Strict]()), must(schemas.For[NamedMore]()))
	require.True(t, ok, `{"name": "a"} fits both`)

	for _, pair := range [][2]*schemas.Schema{{inv, ev}, {ev, inv}, {must(schemas.For[Counted]()), must(schemas.For[Named]())}} {
		_, ok := schemas.CommonInstance(pair[0], pair[1])
		require.False(t, ok)
	}
	// The instance found is one both accept.
	got, ok = schemas.CommonInstance(must(schemas.For[Counted]()), must(schemas.For[Counted]()))
	require.True(t, ok)
	require.JSONEq(t, `{"count": 3}`, string(got))
}
