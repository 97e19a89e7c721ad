package schemas_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/schemas"
)

func TestDate(t *testing.T) {
	d, err := schemas.ParseDate("2024-02-29")
	require.NoError(t, err)
	require.Equal(t, schemas.Date{Year: 2024, Month: time.February, Day: 29}, d)
	require.Equal(t, "2024-02-29", d.String())
	require.True(t, d.IsValid())
	require.Equal(t, schemas.Date{Year: 2024, Month: time.March, Day: 1}, d.AddDays(1))
	require.Equal(t, schemas.Date{Year: 2023, Month: time.December, Day: 31}, schemas.Date{Year: 2024, Month: time.January, Day: 1}.AddDays(-1))
	require.True(t, d.Before(d.AddDays(1)))
	require.True(t, d.AddDays(1).After(d))
	require.Equal(t, 0, d.Compare(d))
	paris, err := time.LoadLocation("Europe/Paris")
	if err == nil {
		require.Equal(t, "2024-02-29T00:00:00+01:00", d.In(paris).Format(time.RFC3339))
	}
	require.Equal(t, d, schemas.DateOf(time.Date(2024, 2, 29, 23, 59, 0, 0, time.UTC)))

	for _, bad := range []string{"2023-02-29", "2024-13-01", "24-01-01", "2024/01/01", "22/01/2024", "2024-1-1", "2024-01-01T00:00:00Z", ""} {
		_, err := schemas.ParseDate(bad)
		require.ErrorIs(t, err, schemas.ErrInvalidDate, bad)
	}
	require.False(t, schemas.Date{Year: 2023, Month: 2, Day: 30}.IsValid())
	require.False(t, schemas.Date{}.IsValid())
	require.True(t, schemas.Date{}.IsZero())
}

func TestDateJSON(t *testing.T) {
	type Doc struct {
		Issued schemas.Date  `json:"issued"`
		Due    *schemas.Date `json:"due"`
		None   schemas.Date  `json:"none"`
		Skip   schemas.Date  `json:"skip,omitzero"`
	}
	var d Doc
	require.NoError(t, json.Unmarshal([]byte(`{"issued":"2023-12-31","due":null,"none":null}`), &d))
	require.Equal(t, Doc{Issued: schemas.Date{Year: 2023, Month: 12, Day: 31}}, d)
	b, err := json.Marshal(d)
	require.NoError(t, err)
	require.Equal(t, `{"issued":"2023-12-31","due":null,"none":null}`, string(b))

	require.NoError(t, json.Unmarshal([]byte(`{"due":"2024-01-15"}`), &d))
	require.Equal(t, "2024-01-15", d.Due.String())

	for _, bad := range []string{`{"issued":"31/12/2023"}`, `{"issued":20231231}`, `{"issued":"2023-02-30"}`, `{"issued":"2023-12-31\""}`} {
		err := json.Unmarshal([]byte(bad), &d)
		require.ErrorIs(t, err, schemas.ErrInvalidDate, bad)
	}
	_, err = json.Marshal(schemas.Date{Year: 2023, Month: 2, Day: 30})
	require.ErrorIs(t, err, schemas.ErrInvalidDate)

	// As text: map keys, query parameters.
	m := map[schemas.Date]int{{Year: 2024, Month: 1, Day: 2}: 1}
	b, err = json.Marshal(m)
	require.NoError(t, err)
	require.Equal(t, `{"2024-01-02":1}`, string(b))
	var back map[schemas.Date]int
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, m, back)
	var z schemas.Date
	require.NoError(t, z.UnmarshalText(nil))
	require.True(t, z.IsZero())
}

func TestAmount(t *testing.T) {
	a, err := schemas.ParseAmount("12113.67")
	require.NoError(t, err)
	require.Equal(t, "12113.67", a.String())
	cents, err := a.Minor(2)
	require.NoError(t, err)
	require.Equal(t, int64(1211367), cents)
	require.Equal(t, a, schemas.NewAmount(1211367, 2))
	require.InDelta(t, 12113.67, a.Float64(), 1e-9)

	for in, want := range map[string]string{
		"1368.00": "1368", "0.10": "0.1", "-0": "0", "1e3": "1000", "1.5E-2": "0.015", "-12.50": "-12.5", "0": "0", "100": "100",
	} {
		got, err := schemas.ParseAmount(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got.String(), in)
	}
	x, _ := schemas.ParseAmount("1368.00")
	y, _ := schemas.ParseAmount("1368")
	require.Equal(t, x, y) // comparable: canonical text

	// Exact sums, where float64 drifts.
	sum := schemas.Amount{}
	for range 10 {
		sum = sum.Add(schemas.NewAmount(1, 1))
	}
	require.Equal(t, "1", sum.String())
	require.Equal(t, "-0.05", schemas.NewAmount(5, 2).Sub(schemas.NewAmount(1, 1)).String())
	require.Equal(t, -1, schemas.NewAmount(99, 2).Cmp(schemas.NewAmount(1, 0)))
	require.Equal(t, 0, x.Cmp(y))
	require.Equal(t, "3387.09", schemas.NewAmount(112903, 2).Rat().Mul(schemas.NewAmount(112903, 2).Rat(), schemas.NewAmount(3, 0).Rat()).FloatString(2))

	_, err = schemas.NewAmount(1005, 3).Minor(2)
	require.ErrorIs(t, err, schemas.ErrInvalidAmount)
	_, err = schemas.NewAmount(1, -30).Minor(2)
	require.ErrorIs(t, err, schemas.ErrInvalidAmount)
	for _, bad := range []string{"", "abc", "1,5", "0x10", "1e999999", "NaN", `"12"`, "01"} {
		_, err := schemas.ParseAmount(bad)
		require.ErrorIs(t, err, schemas.ErrInvalidAmount, bad)
	}
}

func TestAmountJSON(t *testing.T) {
	type Line struct {
		Amount schemas.Amount  `json:"amount"`
		Tax    *schemas.Amount `json:"tax"`
	}
	var l Line
	require.NoError(t, json.Unmarshal([]byte(`{"amount": 12113.670, "tax": null}`), &l))
	require.Equal(t, "12113.67", l.Amount.String())
	require.Nil(t, l.Tax)
	b, err := json.Marshal(l)
	require.NoError(t, err)
	require.Equal(t, `{"amount":12113.67,"tax":null}`, string(b))
	require.ErrorIs(t, json.Unmarshal([]byte(`{"amount": "12"}`), &l), schemas.ErrInvalidAmount)
	var a schemas.Amount
	require.NoError(t, a.UnmarshalText([]byte("2.50")))
	txt, err := a.MarshalText()
	require.NoError(t, err)
	require.Equal(t, "2.5", string(txt))
	require.Error(t, a.UnmarshalText([]byte("x")))
}
