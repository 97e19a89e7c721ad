package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// FuzzSummarize feeds listen's summary of an incoming body (untrusted
// bytes) anything: it must not panic, and what it reports must be sane.
func FuzzSummarize(f *testing.F) {
	for _, s := range [][]byte{
		fixtures.Envelope(fixtures.Read(fixtures.QuickstartCompletion)),
		fixtures.ContentEnvelope(fixtures.SeedContent),
		fixtures.ContentEnvelope(`{"a": {"b": [1, {"c": 2}]}, "reasoning___a": "x", "d": null}`),
		fixtures.ContentEnvelope(`[1, 2]`),
		fixtures.ContentEnvelope(`{"a": 1} trailing`),
		[]byte(`{"completion":{"choices":[{"message":{"content":{"x":1}}}]},"file_payload":{"filename":"f","url":"data:;base64,="}}`),
		[]byte(`{}`), []byte(`not json`), []byte(`{"completion":null}`),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := summarize(body)
		if s.FileBytes < 0 || s.Choices < 0 || s.Annotations < 0 {
			t.Fatalf("negative count: %+v", s)
		}
		seen := map[string]bool{}
		for _, k := range s.ContentKeys {
			if seen[k] || strings.HasPrefix(k, "reasoning___") {
				t.Fatalf("bad content keys %q", s.ContentKeys)
			}
			seen[k] = true
		}
		l := line(&meta{DeliveryID: "dlv_0123456789abcdef", Status: 200, Summary: s}, "x.json", nil, true)
		if strings.Contains(l, "\n") {
			t.Fatalf("summary line spans lines: %q", l)
		}
		if _, err := json.Marshal(s); err != nil {
			t.Fatal(err)
		}
	})
}
