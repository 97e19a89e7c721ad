package envelope

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
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
// a body, encoding/json decodes it without error to the same envelope,
// with the same contents, decoded in the scan as encoding/json decodes
// each string content (with room handed in or not: a dirty one).
func checkAgainstStd(t *testing.T, body []byte) {
	t.Helper()
	want, err := decodeStd(body)
	scratch := []byte("left over from an earlier body")
	for _, room := range []*[]byte{nil, &scratch} {
		got, ok := scan(body, nil, room, nil)
		if !ok {
			return
		}
		require.NoError(t, err, "scan accepted a body encoding/json refuses: %q", body)
		equalEnvelopes(t, want, got)
		require.Equal(t, contentsOf(t, want), contentsOf(t, got), "%q", body)
		if m, ok := got.DecodedMetadata(); ok {
			var std map[string]any
			require.NoError(t, json.Unmarshal(want.Metadata, &std), "%q", body)
			require.Equal(t, std, m, "the metadata decoded in the scan: %q", body)
		} else if len(got.Metadata) > 0 && got.Metadata[0] == '{' {
			_, decoded := Metadata(got.Metadata)
			require.False(t, decoded, "metadata Metadata decodes is decoded in the scan: %q", body)
		}
		if got.Completion == nil {
			continue
		}
		for i, ch := range got.Completion.Choices {
			raw := ch.Message.Content
			if len(raw) == 0 || raw[0] != '"' {
				require.False(t, i < len(got.texts) && got.texts[i].ok, "choice %d's content is not a string: %q", i, body)
				continue
			}
			var str string
			require.NoError(t, json.Unmarshal(raw, &str))
			require.True(t, got.texts[i].ok, "choice %d's string content was decoded in the scan: %q", i, body)
			require.Equal(t, str, string(got.texts[i].b), "%q", body)
		}
	}
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
	`{"completion":{"choices":[ ]}}`,
	`{"completion":{"choices":[{"index":0},{"index":1},{"index":2,"message":{"content":"{}"}},null,{"finish_reason":"stop"}]}}`,
	`{"completion":{"choices":[ {"index":0} , {"index":1} ]}}`,
	`{"completion":{"choices":[{"index":0} {"index":1}]}}`,
	`{"completion":{"choices":[{"index":0},]}}`,
	`{"completion":{"choices":[{"index":0},}}`,
	`{"completion":{"choices":[{"index":0}`,
	`{"completion":{"choices":[1]}}`,
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
	`{"completion":{},"metadata":{"k":"v","n":1e400}}`,
	`{"completion":{},"metadata":{"k":"v","k":"w","K":"x","\u006b":"y"}}`,
	`{"completion":{},"metadata":{"s":"caf\u00e9 \ud800","e":{},"a":[],"n":null,"t":true}}`,
	`{"completion":{},"metadata":{"k":[1,2}}`,
	`{"completion":{},"metadata":{}}`,
	`{"completion":{},"metadata":[1]}`,
	`{"completion":{},"metadata":"x"}`,
	`{"completion":{},"uſer":"x"}`,
	`{"completion":{"liKelihoods":{"a":1},"uſage":{"t":1},"ID":"x","Key":1}}`,
	`{"completion":{"choices":[{"meſſage":{"content":"{}"},"ſ":1}]},"K":2}`,
	`{"completion":{}} `,
	`{"completion":{}} x`,
	`{"completion":{},}`,
	`{"completion":{"id":"a\x"}}`,
	"{\"completion\":{\"id\":\"a\nb\"}}",
	`{"completion":{"likelihoods":{"a":0.5},"usage":{"total_tokens":3}}}`,
	`{"completion":{"requires_human_review":true}}`,
	`{"completion":{"requires_human_review":false}}`,
	`{"completion":{"requires_human_review":null}}`,
	`{"completion":{"requires_human_review":"yes"}}`,
	`{"completion":{"requires_human_review":truex}}`,
	`{"completion":{"requires_human_review":true,"requires_human_review":false}}`,
	`[]`,
	`null`,
	``,
	`{`,
}

// repeated are bodies with a known key repeated, at each path the
// envelope reads: the last occurrence wins whole (see the package doc).
// The differential test and the fuzz corpus have them beside tricky.
var repeated = []string{
	`{"completion":{"choices":[{"index":1,"message":{"content":"A"}}],"choices":[{}]}}`,
	`{"completion":{"choices":[{"index":1,"message":{"content":"A"}},{"index":2}],"choices":[{"index":3}]}}`,
	`{"completion":{"choices":[{"index":1,"message":{"content":"A"}}],"choices":[]}}`,
	`{"completion":{"choices":[{"index":1,"message":{"content":"A"}}],"choices":null}}`,
	`{"completion":{"choices":[],"choices":[{"index":1,"message":{"content":"A"}}]}}`,
	`{"completion":{"id":"a","choices":[{"message":{"content":"A"}}]},"completion":{"model":"m"}}`,
	`{"completion":{"model":"m"},"completion":{"id":"a","choices":[{"message":{"content":"A"}}]}}`,
	`{"completion":{"choices":[{"message":{"content":"A"}}]},"completion":null}`,
	`{"completion":null,"completion":{"choices":[{"message":{"content":"A"}}]}}`,
	`{"completion":{"choices":[{"index":1,"finish_reason":"stop","message":{"content":"A"},"index":2}]}}`,
	`{"completion":{"choices":[{"message":{"content":"A"},"message":{}}]}}`,
	`{"completion":{"choices":[{"message":{"content":"A"},"message":null}]}}`,
	`{"completion":{"choices":[{"message":{},"message":{"content":"B"}}]}}`,
	`{"completion":{"choices":[{"message":{"content":"A","content":"B"}}]}}`,
	`{"completion":{"choices":[{"message":{"content":{"a":1},"content":{"b":2}}}]}}`,
	`{"completion":{"choices":[{"message":{"content":"A","content":null}}]}}`,
	`{"completion":{},"file_payload":{"filename":"a.pdf","url":"data:,A"},"file_payload":{"filename":"b.pdf"}}`,
	`{"completion":{},"file_payload":{"filename":"a.pdf","url":"data:,A"},"file_payload":null}`,
	`{"completion":{},"file_payload":{"url":"data:,A","url":"data:,B"}}`,
	`{"completion":{},"user":"a","user":"b","metadata":{"k":1},"metadata":{"j":2}}`,
	`{"completion":{"usage":{"a":1},"likelihoods":{"a":1},"created":1,"usage":{"b":2},"likelihoods":{"b":2},"created":2}}`,
}

func TestScanMatchesEncodingJSON(t *testing.T) {
	for _, body := range slices.Concat(tricky, repeated) {
		t.Run(body, func(t *testing.T) { checkAgainstStd(t, []byte(body)) })
	}
	for _, name := range []string{fixtures.QuickstartCompletion, fixtures.ConsensusCompletion} {
		body := fixtures.Envelope(fixtures.Read(name))
		env, ok := scan(body, nil, nil, nil)
		require.True(t, ok, "%s: the fast path must handle Retab's real output", name)
		want, err := decodeStd(body)
		require.NoError(t, err)
		equalEnvelopes(t, want, env)
	}
	body := fixtures.TypicalDelivery()
	_, ok := scan(body, nil, nil, nil)
	require.True(t, ok)
	checkAgainstStd(t, body)
}

func TestDecode(t *testing.T) {
	env, err := Decode([]byte(`{"completion":{"id":"a"},"completion":{"model":"m"}}`))
	require.NoError(t, err)
	require.Equal(t, "", env.Completion.ID, "a repeated object is replaced whole, not merged as encoding/json would")
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

// lastWins re-encodes body with each repeated key's earlier occurrences
// dropped (decoded into maps, which keep the last): an independent
// statement of the rule, for bodies whose keys do not collide in case.
func lastWins(t *testing.T, body []byte) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	out, err := json.Marshal(v)
	require.NoError(t, err)
	return out
}

// TestRepeatedKeyLastWins: at every path, a repeated key's last occurrence
// replaces the earlier ones whole, on the fast path and on encoding/json's.
func TestRepeatedKeyLastWins(t *testing.T) {
	for _, body := range repeated {
		t.Run(body, func(t *testing.T) {
			_, ok := scan([]byte(body), nil, nil, nil)
			require.False(t, ok, "a repeated key goes to encoding/json")
			want, err := decodeStd(lastWins(t, []byte(body)))
			require.NoError(t, err)
			got, err := decodeStd([]byte(body))
			require.NoError(t, err)
			equalEnvelopes(t, want, got)
		})
	}

	content := func(body string) (string, error) {
		env, err := Decode([]byte(body))
		if err != nil {
			return "", err
		}
		c, err := env.Completion.Content(0)
		return string(c), err
	}
	env, err := Decode([]byte(repeated[0]))
	require.NoError(t, err)
	require.Len(t, env.Completion.Choices, 1)
	require.Equal(t, 0, env.Completion.Choices[0].Index, "the second choices' element is not merged into the first's")
	_, err = env.Completion.Content(0)
	require.ErrorIs(t, err, ErrNullContent)

	for _, tc := range []struct {
		body, want string
		err        error
	}{
		{`{"completion":{"choices":[{"message":{"content":"A"},"message":{}}]}}`, "", ErrNullContent},
		{`{"completion":{"choices":[{"message":{"content":"A"},"message":null}]}}`, "", ErrNullContent},
		{`{"completion":{"choices":[{"message":{"content":"A","content":"B"}}]}}`, "B", nil},
		{`{"completion":{"choices":[{"message":{"content":{"a":1},"content":{"b":2}}}]}}`, `{"b":2}`, nil},
		{`{"completion":{"choices":[{"message":{"content":"A"}}]},"completion":{"id":"x"}}`, "", ErrNoChoice},
		{`{"completion":{"choices":[{"message":{"content":"A"}}]},"COMPLETION":{"id":"x"}}`, "", ErrNoChoice},
		{`{"completion":{"choices":[{"message":{"content":"A"}}]},"completion":null}`, "", ErrNoCompletion},
		{`{"completion":{"choices":[{"message":{"content":"A"}}],"Choices":[{"message":{}}]}}`, "", ErrNullContent},
	} {
		got, err := content(tc.body)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, tc.body)
			continue
		}
		require.NoError(t, err, tc.body)
		require.Equal(t, tc.want, got, tc.body)
	}

	env, err = Decode([]byte(`{"completion":{},"file_payload":{"filename":"a.pdf","url":"data:,A"},"file_payload":{"filename":"b.pdf"}}`))
	require.NoError(t, err)
	require.Equal(t, "b.pdf", env.FilePayload.Filename)
	require.Empty(t, env.FilePayload.URL, "the first file_payload's url does not survive the second")
}

// TestEndNodeRepeatedKeys: the End-node body follows the same rule, on
// both paths: a repeated document wins whole.
func TestEndNodeRepeatedKeys(t *testing.T) {
	for _, body := range []string{
		`{"document":{"filename":"a.pdf","url":"data:,A"},"document":{"filename":"b.pdf"},"data":{"x":1}}`,
		`{"document":{"filename":"a.pdf","url":"data:,A"},"document":null,"data":{"x":1}}`,
		`{"data":{"x":1},"data":{"y":2}}`,
		`{"document":{"filename":"a.pdf"},"data":{"x":1}}`,
		`{"json":{"x":1},"data":null}`,
	} {
		t.Run(body, func(t *testing.T) {
			want, err := decodeEndNodeStd(lastWins(t, []byte(body)))
			require.NoError(t, err)
			got, err := DecodeEndNode([]byte(body))
			require.NoError(t, err)
			require.Equal(t, string(want.Data), string(got.Data))
			require.Equal(t, want.Document == nil, got.Document == nil)
			if want.Document != nil {
				require.Equal(t, want.Document.Filename, got.Document.Filename)
				require.Equal(t, string(want.Document.URL), string(got.Document.URL))
			}
			if scanned, ok := scanEndNode([]byte(body), nil); ok {
				require.Equal(t, got, scanned)
			}
		})
	}
	n, err := DecodeEndNode([]byte(`{"document":{"filename":"a.pdf","url":"data:,A"},"document":{"filename":"b.pdf"},"data":{}}`))
	require.NoError(t, err)
	require.Equal(t, "b.pdf", n.Document.Filename)
	require.Empty(t, n.Document.URL, "the first document's url does not survive the second")
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

// contentsOf is every choice's Content, as strings (an error's text for
// a choice without content).
func contentsOf(t *testing.T, env *Envelope) []string {
	t.Helper()
	var out []string
	if env.Completion == nil {
		return nil
	}
	for i := range env.Completion.Choices {
		c, err := env.Content(i)
		if err != nil {
			out = append(out, "error: "+err.Error())
			continue
		}
		out = append(out, string(c))
	}
	return out
}

func FuzzScan(f *testing.F) {
	for _, body := range slices.Concat(tricky, repeated) {
		f.Add([]byte(body))
	}
	f.Add(fixtures.Envelope(fixtures.Read(fixtures.QuickstartCompletion)))
	f.Add(fixtures.ContentEnvelope(fixtures.SeedContent))
	var room Room // reused from one input to the next, as the framework's pool does
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAgainstStd(t, body)
		env, err := Decode(body)
		roomEnv, roomErr := DecodeRuns(body, nil, &room)
		require.Equal(t, err, roomErr)
		require.True(t, reflect.DeepEqual(env, roomEnv), "decoded into a room: %+v, not %+v", roomEnv, env)
		room.Release()
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

// contentSeeds are string contents: escapes of each kind, invalid UTF-8,
// lone surrogates, whitespace only, and long ones around the word loop's
// edges.
var contentSeeds = []string{
	`"{\"a\":1}"`, `""`, `" \n\t "`, `"caf\u00e9 \ud800 \ud83d\ude00"`, "\"\xff\xc3(\xed\xa0\x80\"", `"\/\b\f\r"`,
	`"` + strings.Repeat(`\"k\":\"v\",`, 300) + `"`, `"` + strings.Repeat("é", 100) + `"`, `"a\x"`, `"a`, "\"a\nb\"",
	`{"a":1}`, `null`, `[1]`, `1`,
}

// contentBody is an envelope whose choices have the contents given.
func contentBody(contents ...string) []byte {
	var b strings.Builder
	b.WriteString(`{"completion":{"id":"c","choices":[`)
	for i, c := range contents {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"index":%d,"message":{"role":"assistant","content":%s,"parsed":null}}`, i, c)
	}
	b.WriteString(`]},"metadata":{"k":"v"}}`)
	return []byte(b.String())
}

// TestScanDecodesContents: the contents decoded in the scan are
// encoding/json's strings, for one choice and for more than the room made
// for them, each its own (appending to one does not change the next).
func TestScanDecodesContents(t *testing.T) {
	for _, c := range contentSeeds {
		checkAgainstStd(t, contentBody(c))
		checkAgainstStd(t, contentBody(c, `"x"`, c))
	}
	body := contentBody(`"{\"n\":1}"`, `null`, `"{\"n\":2}"`, `{"n":3}`, `"{\"n\":4}"`)
	var scratch []byte
	env, ok := scan(body, nil, &scratch, nil)
	require.True(t, ok)
	require.Equal(t, []string{`{"n":1}`, "error: " + ErrNullContent.Error(), `{"n":2}`, `{"n":3}`, `{"n":4}`}, contentsOf(t, env))
	first, err := env.Content(0)
	require.NoError(t, err)
	_ = append(first, "appended"...)
	require.Equal(t, `{"n":2}`, contentsOf(t, env)[2])
	for _, c := range []string{`""`, `" \n "`} {
		env, err := Decode(contentBody(c))
		require.NoError(t, err)
		_, err = env.Content(0)
		require.ErrorIs(t, err, ErrEmptyContent, c)
	}
}

// FuzzScanContent: a fuzzed content in an envelope, decoded in the scan,
// is what encoding/json decodes.
func FuzzScanContent(f *testing.F) {
	for _, c := range contentSeeds {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, c []byte) {
		body := contentBody(string(c))
		checkAgainstStd(t, body)
		if _, ok := scan(body, nil, nil, nil); !ok {
			return
		}
		var str string
		if len(c) > 0 && c[0] == '"' && json.Unmarshal(c, &str) == nil {
			env, err := Decode(body)
			require.NoError(t, err)
			got, err := env.Content(0)
			if strings.TrimSpace(str) == "" {
				require.ErrorIs(t, err, ErrEmptyContent)
				return
			}
			require.NoError(t, err)
			require.Equal(t, str, string(got))
		}
	})
}

// TestScanAllocations: the typical delivery's envelope is decoded with
// three allocations (the envelope with its usual objects, the text of all
// its strings, the decoded content) and the metadata's but for the text of
// its strings, with scratch room handed in or not,
// and its strings and contents are copies: they do not change with the
// body, nor with the scratch room.
func TestScanAllocations(t *testing.T) {
	body := fixtures.TypicalDelivery()
	env, ok := scan(body, nil, nil, nil)
	require.True(t, ok)
	metaAllocs := testing.AllocsPerRun(100, func() {
		if _, ok := Metadata(env.Metadata); !ok {
			t.Fatal("metadata not decoded")
		}
	})
	var scratch []byte
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := scan(body, nil, &scratch, nil); !ok {
			t.Fatal("not scanned")
		}
	})
	require.Equal(t, 3+metaAllocs-1, allocs, "the metadata's strings are kept with the envelope's")
	var room Room
	allocs = testing.AllocsPerRun(100, func() {
		if _, err := DecodeRuns(body, nil, &room); err != nil {
			t.Fatal(err)
		}
		room.Release()
	})
	require.Equal(t, 2+metaAllocs-1, allocs, "the envelope and its objects are the room's")
	// A body past the room made for the text, with escapes, more
	// choices than the room made for them.
	long := []byte(`{"completion":{"id":"` + strings.Repeat(`a\u00e9`, 200) + `","model":"m","created":12,"choices":[{"finish_reason":"stop"},{"finish_reason":"\u0073top"},{"finish_reason":"x"}]},"user":"u","file_payload":{"filename":"f.pdf"}}`)
	for _, b := range [][]byte{body, long} {
		want, err := decodeStd(b)
		require.NoError(t, err)
		b = slices.Clone(b)
		got, ok := scan(b, nil, &scratch, nil)
		require.True(t, ok)
		wantContents, gotContents := contentsOf(t, want), contentsOf(t, got)
		for i := range b {
			b[i] = 'x'
		}
		for i := range scratch[:cap(scratch)] {
			scratch[:cap(scratch)][i] = 'y'
		}
		require.Equal(t, wantContents, gotContents)
		require.Equal(t, wantContents, contentsOf(t, got), "the contents are the envelope's own")
		strs := func(env *Envelope) []string {
			out := []string{env.Completion.ID, env.Completion.Object, env.Completion.Model, string(env.Completion.Created), env.Completion.ExtractionID, *env.User, env.FilePayload.Filename}
			for _, ch := range env.Completion.Choices {
				out = append(out, *ch.FinishReason)
			}
			return out
		}
		require.Equal(t, strs(want), strs(got))
	}
}

// TestKeyNamesAreLowerASCII: the scan's names are ASCII without an
// upper-case letter, which object's shortcut relies on (an ASCII key is
// compared, exactly and case-insensitively, with the names of its length
// only).
func TestKeyNamesAreLowerASCII(t *testing.T) {
	for _, names := range [][]string{envelopeKeys[:], completionKeys[:], choiceKeys[:], messageKeys[:], fileKeys[:], endNodeKeys[:]} {
		for _, name := range names {
			for _, c := range []byte(name) {
				require.True(t, c < 0x80 && !('A' <= c && c <= 'Z'), name)
			}
		}
	}
}

// TestLargeContentHeldOnce: a content larger than MaxRoom is decoded into
// room grown once to its token's size, which the envelope keeps (the
// scratch is handed back nil), rather than into room doubled past it and
// then copied; a small content before a large document is still copied
// out of room that is kept for the next body.
func TestLargeContentHeldOnce(t *testing.T) {
	inner := `{"note":"` + strings.Repeat(`a \"quoted\" word, `, 3*MaxRoom/20) + `"}`
	quoted, err := json.Marshal(inner)
	require.NoError(t, err)
	doc := strings.Repeat("QUJD", MaxRoom/2)
	for _, tc := range []struct {
		name      string
		content   string
		keptByEnv bool
	}{
		{"large content", string(quoted), true},
		{"small content before a large document", `"{\"a\":1}"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{"completion":{"id":"c","choices":[{"message":{"content":` + tc.content + `}}]},"file_payload":{"filename":"f.pdf","url":"data:application/pdf;base64,` + doc + `"}}`)
			want, err := decodeStd(body)
			require.NoError(t, err)
			scratch := new([]byte)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			got, ok := scan(body, nil, scratch, nil)
			runtime.ReadMemStats(&after)
			require.True(t, ok)
			require.Equal(t, contentsOf(t, want), contentsOf(t, got))
			allocated := after.TotalAlloc - before.TotalAlloc
			token := len(tc.content)
			require.Less(t, allocated, uint64(token)+64<<10, "allocated %d bytes for a %d-byte content token", allocated, token)
			require.Equal(t, tc.keptByEnv, *scratch == nil)
			if !tc.keptByEnv {
				for i := range (*scratch)[:cap(*scratch)] {
					(*scratch)[:cap(*scratch)][i] = 'y'
				}
				require.Equal(t, contentsOf(t, want), contentsOf(t, got), "the contents are the envelope's own")
			}
		})
	}
}

// TestRoomReleased: an envelope decoded into a Room equals one decoded
// without, the room holds nothing of the body once released (a large
// body is not kept alive by a pooled room), and what the envelope's
// fields point to (strings, contents, raw values, metadata), copied out as
// the framework's delivery copies them, does not change when the room
// decodes the next body.
func TestRoomReleased(t *testing.T) {
	bodies := [][]byte{fixtures.TypicalDelivery(),
		[]byte(`{"completion":{"id":"c2","model":"m2","created":3,"choices":[{"index":0,"finish_reason":"stop","message":{"content":"{\"a\":1}"}},{"index":1,"finish_reason":"len","message":{"content":"{\"b\":2}"}},{"index":2,"message":{"content":{"c":3}}}]},"user":"u2","file_payload":{"filename":"f2.pdf","url":"data:x"},"metadata":{"k":"v"}}`),
		[]byte(`{"completion":{"id":"c3","choices":[]}}`)}
	type copied struct {
		C        Completion // Choices nil
		Choices  []string
		Contents [][]byte
		User     string
		File     FilePayload
		Meta     map[string]any
	}
	copyOut := func(env *Envelope) copied {
		c := copied{C: *env.Completion, File: FilePayload{}}
		c.C.Choices = nil
		for k, ch := range env.Completion.Choices {
			fr := "<nil>"
			if ch.FinishReason != nil {
				fr = *ch.FinishReason
			}
			b, _ := env.Content(k)
			c.Choices = append(c.Choices, fmt.Sprint(ch.Index, fr, string(ch.Message.Content)))
			c.Contents = append(c.Contents, b) // the bytes themselves, not copies
		}
		if env.User != nil {
			c.User = *env.User
		}
		if env.FilePayload != nil {
			c.File = *env.FilePayload
		}
		c.Meta, _ = env.DecodedMetadata()
		return c
	}
	var room Room
	for round := range 3 {
		for i, body := range bodies {
			want, err := Decode(body)
			require.NoError(t, err)
			got, err := DecodeRuns(body, nil, &room)
			require.NoError(t, err)
			require.True(t, reflect.DeepEqual(want, got), "round %d body %d: not the envelope Decode gives", round, i)
			kept := copyOut(got)
			require.True(t, room.Release())
			require.True(t, reflect.ValueOf(room.parts).IsZero(), "round %d body %d: the room holds parts of the body", round, i)
			_, err = DecodeRuns(bodies[(i+1)%len(bodies)], nil, &room)
			require.NoError(t, err)
			room.Release()
			require.True(t, reflect.DeepEqual(copyOut(want), kept), "round %d body %d: what was copied out changed with the next body", round, i)
		}
	}
}
