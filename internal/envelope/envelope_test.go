package envelope_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/envelope"
	"github.com/retabhook/retabhook/internal/fixtures"
)

func TestDecodeQuickstart(t *testing.T) {
	env, err := envelope.Decode(fixtures.Envelope(fixtures.Read(fixtures.QuickstartCompletion)))
	require.NoError(t, err)
	assert.Equal(t, "chatcmpl-Bzg9crFsttMJG9nZR3QZvPk9uFJ6s", env.Completion.ID)
	assert.Equal(t, "1754039748", env.Completion.Created.String())
	content, err := env.Completion.Content(0)
	require.NoError(t, err)
	assert.Contains(t, string(content), `"invoice_number": "1437"`)
	require.NotNil(t, env.User)
	assert.Equal(t, "ops@example.com", *env.User)
	assert.Equal(t, "doc.txt", env.FilePayload.Filename)
}

func TestDecodeTolerance(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr error
		content string
		cErr    error
	}{
		{"repeated key, last wins", `{"completion":{"id":"a","id":"b","choices":[{"message":{"content":"{}"}}]}}`, nil, "{}", nil},
		{"unknown fields", `{"new_field":[1,2],"completion":{"x":{"y":1},"choices":[{"message":{"content":"{\"a\":1}","parsed":{"a":1}}}]}}`, nil, `{"a":1}`, nil},
		{"object content", `{"completion":{"choices":[{"message":{"content":{"a":1}}}]}}`, nil, `{"a":1}`, nil},
		{"null content", `{"completion":{"choices":[{"message":{"content":null}}]}}`, nil, "", envelope.ErrNullContent},
		{"absent content", `{"completion":{"choices":[{"message":{}}]}}`, nil, "", envelope.ErrNullContent},
		{"blank content", `{"completion":{"choices":[{"message":{"content":"  "}}]}}`, nil, "", envelope.ErrEmptyContent},
		{"array content", `{"completion":{"choices":[{"message":{"content":[1]}}]}}`, nil, "", envelope.ErrContentType},
		{"no choices", `{"completion":{"choices":[]}}`, nil, "", envelope.ErrNoChoice},
		{"no completion", `{"user":null}`, envelope.ErrNoCompletion, "", nil},
		{"not JSON", `{"completion"`, envelope.ErrMalformed, "", nil},
		{"wrong type", `{"completion":{"choices":{}}}`, envelope.ErrMalformed, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := envelope.Decode([]byte(tt.body))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			c, err := env.Completion.Content(0)
			if tt.cErr != nil {
				require.ErrorIs(t, err, tt.cErr)
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, tt.content, string(c))
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(fixtures.Envelope(fixtures.Read(fixtures.QuickstartCompletion)))
	f.Add(fixtures.ContentEnvelope(fixtures.SeedContent))
	f.Add([]byte(`{"completion":{"choices":[{"message":{"content":"\ud800"}}]}}`))
	f.Add([]byte(`{"completion":{"created":1e400,"choices":[null]}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := envelope.Decode(body)
		if err != nil {
			if !errors.Is(err, envelope.ErrMalformed) && !errors.Is(err, envelope.ErrNoCompletion) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if env.Completion == nil {
			t.Fatal("nil completion without error")
		}
		for i := range len(env.Completion.Choices) + 1 {
			c, err := env.Completion.Content(i)
			if err == nil && len(c) == 0 {
				t.Fatal("empty content without error")
			}
		}
	})
}

// TestErrorsNameNoGoTypes checks that what Decode refuses is said in JSON
// terms: the member and the JSON type, never a Go struct or field.
func TestErrorsNameNoGoTypes(t *testing.T) {
	for body, want := range map[string]string{
		`{"completion":"x"}`:                                        `"completion" must be an object, not string`,
		`{"completion":{"choices":{}}}`:                             `"completion.choices" must be an array, not object`,
		`{"completion":{"choices":[{"index":"0"}]}}`:                `"completion.choices.index" must be an integer, not string`,
		`{"completion":{"id":"c"},"file_payload":{"filename":[1]}}`: `"file_payload.filename" must be a string, not array`,
		`{"completion":{"id":"c"},"user":{"name":"x"}}`:             `"user" must be a string, not object`,
		`[]`: `the body must be an object, not array`,
	} {
		_, err := envelope.Decode([]byte(body))
		require.ErrorIs(t, err, envelope.ErrMalformed, body)
		assert.Contains(t, err.Error(), want, body)
		for _, leak := range []string{"Go ", "struct", "stdEnvelope", "envelope.", "[]envelope"} {
			assert.NotContains(t, err.Error(), leak, body)
		}
	}
}
