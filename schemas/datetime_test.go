package schemas_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/schemas"
)

func TestDateTime(t *testing.T) {
	for in, want := range map[string]schemas.DateTime{
		"2024-03-15T14:32":           {Date: schemas.Date{Year: 2024, Month: 3, Day: 15}, Hour: 14, Minute: 32},
		"2024-03-15T14:32:05":        {Date: schemas.Date{Year: 2024, Month: 3, Day: 15}, Hour: 14, Minute: 32, Second: 5},
		"2024-03-15T00:00:00.250":    {Date: schemas.Date{Year: 2024, Month: 3, Day: 15}, Nanosecond: 250_000_000},
		"2024-12-31T23:59:59.999999": {Date: schemas.Date{Year: 2024, Month: 12, Day: 31}, Hour: 23, Minute: 59, Second: 59, Nanosecond: 999_999_000},
	} {
		got, err := schemas.ParseDateTime(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		back, err := schemas.ParseDateTime(got.String())
		require.NoError(t, err)
		require.Equal(t, got, back, "String parses back")
	}
	for _, in := range []string{"", "2024-03-15", "2024-03-15T14:32Z", "2024-03-15T14:32:05+01:00", "2024-03-15 14:32",
		"2024-02-30T10:00", "2024-03-15T25:00", "2024-03-15T14:32:05.", "15/03/2024 14:32"} {
		_, err := schemas.ParseDateTime(in)
		require.ErrorIs(t, err, schemas.ErrInvalidDate, in)
	}

	type Receipt struct {
		PrintedAt schemas.DateTime  `json:"printed_at"`
		PaidAt    *schemas.DateTime `json:"paid_at"`
	}
	var r Receipt
	require.NoError(t, json.Unmarshal([]byte(`{"printed_at":"2024-03-15T14:32","paid_at":null}`), &r))
	require.Equal(t, "2024-03-15T14:32:00", r.PrintedAt.String())
	require.Nil(t, r.PaidAt)
	require.Equal(t, time.Date(2024, 3, 15, 14, 32, 0, 0, time.UTC), r.PrintedAt.In(time.UTC))
	b, err := json.Marshal(Receipt{})
	require.NoError(t, err)
	require.JSONEq(t, `{"printed_at":null,"paid_at":null}`, string(b))

	s, err := schemas.For[Receipt]()
	require.NoError(t, err)
	got, _ := propertyNamed(t, s, "printed_at")
	require.Equal(t, "string", got["type"])
	require.NotContains(t, got, "format", `JSON Schema's "date-time" requires a zone`)
	require.NoError(t, validate(t, s, `{"printed_at":"2024-03-15T14:32:05","paid_at":"2024-03-15T14:40"}`))
	var ve *schemas.ValidationError
	require.ErrorAs(t, validate(t, s, `{"printed_at":"2024-03-15T14:32:05Z","paid_at":null}`), &ve)
	require.Equal(t, "/printed_at", ve.Violations[0].Pointer)
	require.Equal(t, "pattern", ve.Violations[0].Keyword)
}

func TestDurationIsRefused(t *testing.T) {
	type Job struct {
		Took time.Duration `json:"took"`
	}
	_, err := schemas.For[Job]()
	require.ErrorIs(t, err, schemas.ErrUnsupportedType)
	require.Contains(t, err.Error(), "Job.Took")
	require.Contains(t, err.Error(), "nanoseconds")
}
