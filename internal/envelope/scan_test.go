package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// equalEnvelopes compares two decoded envelopes field by field (a nil and
// an empty URL are the same).
func equalEnvelopes(t *testing.T, want, got *Envelope) {
	t.Helper()
	require.Equal(t, want.Completion, got.Completion)
	require.Equal(t, want.User, got.User)
	require.Equal(t, string(want.Metadata), string(got.Metadata))
	require.Equal(t, want.FilePayload == nil, got.FilePayload == nil)
	if want.FilePayload != nil {
		require.Equal(t, want.FilePayload.Filename, got.FilePayload.Filename)
		require.True(t, bytes.Equal(want.FilePayload.URL, got.FilePayload.URL), "url %q != %q", want.FilePayload.URL, got.FilePayload.URL)
	}
}

// checkAgainstStd is the property the fuzz test checks: when scan decodes
// a body, encoding/json decodes it without error to the same envelope.
func checkAgainstStd(t *testing.T, body []byte) {
	t.Helper()
	got, ok := scan(body)
	want, err := decodeStd(body)
	if !ok {
		return
	}
	require.NoError(t, err, "scan accepted a body encoding/json refuses: %q", body)
	equalEnvelopes(t, want, got)
}

var tricky = []string{
	`{"completion":{"id":"a","choices":[{"index":0,"message":{"content":"{\"x\":1}"}}]}}`,
	`{"completion":{"id":"a"},"completion":{"model":"m"}}`,
	`{"Completion":{"id":"a"}}`,
	`{"completion":{"ID":"a","id":"b"}}`,
	`{"\u0063ompletion":{"id":"a"}}`,
	`{"completion":null}`,
	`{"completion":{"id":"a"},"completion":null}`,
	`{"completion":{"created":"123"}}`,
	`{"completion":{"created":"abc"}}`,
	`{"completion":{"created":1.5e3}}`,
	`{"completion":{"choices":[{"index":1.0}]}}`,
	`{"completion":{"choices":[{"index":-0}]}}`,
	`{"completion":{"choices":[{"index":99999999999999999999}]}}`,
	`{"completion":{"choices":[null,{"index":2,"finish_reason":null}]}}`,
	`{"completion":{"choices":[{"message":null}]}}`,
	`{"completion":{"choices":[{"message":{"content":null}}]}}`,
	`{"completion":{"choices":[{"message":{"content":{"a":[1,2]}}}]}}`,
	`{"completion":{"choices":[]}}`,
	`{"completion":{"choices":null}}`,
	`{"completion":{"choices":{}}}`,
	`{"completion":{"id":5}}`,
	`{"completion":{"id":null}}`,
	`{"completion":{},"user":null,"file_payload":null,"metadata":null}`,
	`{"completion":{},"user":"\u00e9t\u00e9 \ud83d\ude00 \ud800","file_payload":{"filename":"a\/b","url":"data:x;base64,QQ=="}}`,
	"{\"completion\":{},\"user\":\"\xff\xfe\"}",
	"{\"completion\":{},\"file_payload\":{\"url\":\"caf\xc3\xa9\"}}",
	"{\"completion\":{},\"file_payload\":{\"url\":\"bad\xc3\"}}",
	`{"completion":{},"file_payload":{"url":null,"filename":null}}`,
	`{"completion":{},"metadata":{"k":[1,{"a":null}]},"extra":[true,false,null,-1.5e-3]}`,
	`{"completion":{},"uſer":"x"}`,
	`{"completion":{}} `,
	`{"completion":{}} x`,
	`{"completion":{},}`,
	`{"completion":{"id":"a\x"}}`,
	"{\"completion\":{\"id\":\"a\nb\"}}",
	`{"completion":{"likelihoods":{"a":0.5},"usage":{"total_tokens":3}}}`,
	`[]`,
	`null`,
	``,
	`{`,
}

func TestScanMatchesEncodingJSON(t *testing.T) {
	for _, body := range tricky {
		t.Run(body, func(t *testing.T) { checkAgainstStd(t, []byte(body)) })
	}
	for _, name := range []string{fixtures.QuickstartCompletion, fixtures.ConsensusCompletion} {
		body := fixtures.Envelope(fixtures.Read(name))
		env, ok := scan(body)
		require.True(t, ok, "%s: the fast path must handle Retab's real output", name)
		want, err := decodeStd(body)
		require.NoError(t, err)
		equalEnvelopes(t, want, env)
	}
	body := fixtures.TypicalDelivery()
	_, ok := scan(body)
	require.True(t, ok)
	checkAgainstStd(t, body)
}

func TestDecode(t *testing.T) {
	env, err := Decode([]byte(`{"completion":{"id":"a"},"completion":{"model":"m"}}`))
	require.NoError(t, err)
	require.Equal(t, "a", env.Completion.ID, "a repeated object merges, as encoding/json does")
	require.Equal(t, "m", env.Completion.Model)

	env, err = Decode([]byte(`{"COMPLETION":{"Id":"x"}}`))
	require.NoError(t, err)
	require.Equal(t, "x", env.Completion.ID)

	_, err = Decode([]byte(`{"completion":{"id":"a"},"completion":null}`))
	require.ErrorIs(t, err, ErrNoCompletion)
	_, err = Decode([]byte(`{"user":"x"}`))
	require.ErrorIs(t, err, ErrNoCompletion)
	_, err = Decode([]byte(`{"completion":{"id":5}}`))
	require.ErrorIs(t, err, ErrMalformed)
	var te *json.UnmarshalTypeError
	require.True(t, errors.As(err, &te))
	_, err = Decode([]byte(`{"completion":{}`))
	require.ErrorIs(t, err, ErrMalformed)

	body := fixtures.LargeDelivery(1 << 20)
	env, err = Decode(body)
	require.NoError(t, err)
	url := env.FilePayload.URL
	require.True(t, bytes.HasPrefix(url, []byte("data:application/pdf;base64,")))
	start := bytes.Index(body, url[:64])
	require.GreaterOrEqual(t, start, 0)
	require.Same(t, &body[start], &url[0], "the URL is a slice of the body, not a copy")
	require.Equal(t, len(url), cap(url), "appending to the URL must not write into the body")
}

func TestContent(t *testing.T) {
	for _, tc := range []struct {
		content string
		want    string
		err     error
	}{
		{`"{\"a\":1}"`, `{"a":1}`, nil},
		{`  {"a":1} `, `{"a":1}`, nil},
		{`null`, ``, ErrNullContent},
		{``, ``, ErrNullContent},
		{`""`, ``, ErrEmptyContent},
		{`" \n "`, ``, ErrEmptyContent},
		{`[1]`, ``, ErrContentType},
		{`"caf\u00e9 \ud800"`, "café \uFFFD", nil},
	} {
		c := &Completion{Choices: []Choice{{}}}
		c.Choices[0].Message.Content = json.RawMessage(tc.content)
		got, err := c.Content(0)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.content)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, tc.want, string(got))
	}
	_, err := (&Completion{}).Content(0)
	require.ErrorIs(t, err, ErrNoChoice)
}

func FuzzScan(f *testing.F) {
	for _, body := range tricky {
		f.Add([]byte(body))
	}
	f.Add(fixtures.Envelope(fixtures.Read(fixtures.QuickstartCompletion)))
	f.Add(fixtures.ContentEnvelope(fixtures.SeedContent))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAgainstStd(t, body)
		env, err := Decode(body)
		_, stdErr := decodeStd(body)
		if stdErr != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		if err == nil {
			require.NotNil(t, env.Completion)
		}
	})
}
