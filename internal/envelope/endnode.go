package envelope

import (
	"encoding/json"
	"fmt"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// EndNode is the body of a workflow End-node webhook: {"document":
// {"filename", "url"} | null, "data": {...} | null}. Its fields may be
// slices of the decoded body.
type EndNode struct {
	// Document is the delivery's file; nil when null or absent.
	Document *FilePayload
	// Data is the extracted object as sent (raw JSON; nil when absent).
	// Retab named it "json" until 2026-02: that key is read when "data"
	// is absent.
	Data json.RawMessage
}

var endNodeKeys = [...]string{"document", "data", "json"}

// DecodeEndNode parses an End-node body, in place like [Decode] (the
// document's data URI is not copied), with encoding/json deciding
// whatever the scan does not handle with certainty.
func DecodeEndNode(body []byte) (*EndNode, error) { return DecodeEndNodeRuns(body, nil) }

// DecodeEndNodeRuns is DecodeEndNode with body's plain runs (see
// [DecodeRuns]).
func DecodeEndNodeRuns(body []byte, runs *jsonscan.PlainRuns) (*EndNode, error) {
	n, ok := scanEndNode(body, runs)
	if !ok {
		var err error
		if n, err = decodeEndNodeStd(body); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	}
	return n, nil
}

func scanEndNode(body []byte, runs *jsonscan.PlainRuns) (*EndNode, bool) {
	s := scanner{b: body, runs: runs}
	i := jsonscan.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	all := new(struct {
		n    EndNode
		fp   FilePayload
		json json.RawMessage
	})
	n := &all.n
	f := s.fields(i, endNodeKeys[:])
	for s.next(&f) {
		switch f.k {
		case 0:
			f.done(s.filePayload(f.v, &n.Document, &all.fp))
		case 1:
			f.done(s.raw(f.v, &n.Data))
		default:
			f.done(s.raw(f.v, &all.json))
		}
	}
	i, ok := f.end()
	if !ok || jsonscan.SkipSpace(body, i) != len(body) {
		return nil, false
	}
	if n.Data == nil {
		n.Data = all.json
	}
	return n, true
}

func decodeEndNodeStd(body []byte) (*EndNode, error) {
	var std struct {
		Document *stdFilePayload `json:"document"` // a repeated document wins whole, as in Decode
		Data     json.RawMessage `json:"data"`
		JSON     json.RawMessage `json:"json"`
	}
	if err := json.Unmarshal(body, &std); err != nil {
		return nil, err
	}
	n := &EndNode{Data: std.Data}
	if n.Data == nil {
		n.Data = std.JSON
	}
	if d := std.Document; d != nil {
		n.Document = &FilePayload{Filename: d.Filename, URL: []byte(d.URL)}
	}
	return n, nil
}
