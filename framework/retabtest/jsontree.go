package retabtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// node is a JSON value that keeps its keys in order and its numbers as
// written, so the content a test gives is sent back byte for byte in
// meaning (and 3.0 stays 3.0).
type node struct {
	kind  byte // '{', '[', '"', '0' (number), 't', 'f', 'n' (null)
	keys  []string
	vals  []*node // object values, parallel to keys; array items
	text  string  // string value or number literal
	token any     // scalar token as decoded (for equality)
}

// parseTree decodes exactly one JSON value.
func parseTree(b []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := readNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the top-level value")
	}
	return n, nil
}

func readNode(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("no JSON value")
		}
		return nil, err
	}
	return nodeFrom(dec, tok)
}

func nodeFrom(dec *json.Decoder, tok json.Token) (*node, error) {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: '{'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := readNode(dec)
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, kt.(string))
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &node{kind: '['}
			for dec.More() {
				v, err := readNode(dec)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case string:
		return &node{kind: '"', text: t}, nil
	case json.Number:
		return &node{kind: '0', text: string(t)}, nil
	case bool:
		if t {
			return &node{kind: 't'}, nil
		}
		return &node{kind: 'f'}, nil
	case nil:
		return &node{kind: 'n'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// clone returns a deep copy.
func (n *node) clone() *node {
	c := *n
	c.keys = append([]string(nil), n.keys...)
	c.vals = make([]*node, len(n.vals))
	for i, v := range n.vals {
		c.vals[i] = v.clone()
	}
	return &c
}

// get returns the value of key in an object.
func (n *node) get(key string) *node {
	if n == nil || n.kind != '{' {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// insertBefore inserts key: v in an object, just before the key before
// (or at the end when before is absent; at the start when before is "").
func (n *node) insertBefore(before, key string, v *node) {
	at := len(n.keys)
	if before == "" {
		at = 0
	}
	for i, k := range n.keys {
		if before != "" && k == before {
			at = i
			break
		}
	}
	n.keys = append(n.keys[:at], append([]string{key}, n.keys[at:]...)...)
	n.vals = append(n.vals[:at], append([]*node{v}, n.vals[at:]...)...)
}

// floatIntegers rewrites every integer literal as a float (3 -> 3.0), as
// Retab's strict schemas (integer turned into number) produce.
func (n *node) floatIntegers() {
	if n.kind == '0' && !strings.ContainsAny(n.text, ".eE") {
		n.text += ".0"
	}
	for _, v := range n.vals {
		v.floatIntegers()
	}
}

// equal reports whether two leaves hold the same value (numbers compared
// by value: 3 equals 3.0).
func (n *node) equal(o *node) bool {
	if n == nil || o == nil || n.kind != o.kind {
		return false
	}
	switch n.kind {
	case '"':
		return n.text == o.text
	case '0':
		a, err1 := strconv.ParseFloat(n.text, 64)
		b, err2 := strconv.ParseFloat(o.text, 64)
		return err1 == nil && err2 == nil && a == b || n.text == o.text
	case '{', '[':
		if len(n.vals) != len(o.vals) {
			return false
		}
		for i := range n.vals {
			if n.kind == '{' && n.keys[i] != o.keys[i] || !n.vals[i].equal(o.vals[i]) {
				return false
			}
		}
		return true
	}
	return true
}

// likelihoods mirrors n's shape with, at each leaf, the share of votes
// that agree with n (1.0 when there are no votes), rounded to 5 decimals
// as Retab does. Annotation keys are left out.
func likelihoods(n *node, votes []*node) *node {
	switch n.kind {
	case '{':
		out := &node{kind: '{'}
		for i, k := range n.keys {
			if isAnnotationKey(k) {
				continue
			}
			sub := make([]*node, len(votes))
			for j, v := range votes {
				sub[j] = v.get(k)
			}
			out.keys = append(out.keys, k)
			out.vals = append(out.vals, likelihoods(n.vals[i], sub))
		}
		return out
	case '[':
		out := &node{kind: '['}
		for i, item := range n.vals {
			sub := make([]*node, len(votes))
			for j, v := range votes {
				if v != nil && v.kind == '[' && i < len(v.vals) {
					sub[j] = v.vals[i]
				}
			}
			out.vals = append(out.vals, likelihoods(item, sub))
		}
		return out
	}
	score := 1.0
	if len(votes) > 0 {
		agree := 0
		for _, v := range votes {
			if n.equal(v) {
				agree++
			}
		}
		score = float64(agree) / float64(len(votes))
	}
	return &node{kind: '0', text: pyFloat(math.Round(score*1e5) / 1e5)}
}

// pyFloat formats f as Python's repr does for a float: 1.0, 0.8, 0.93333.
func pyFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// encode writes n as JSON. With python set it uses Python's json.dumps
// defaults, the way Retab writes message.content: ", " and ": "
// separators and non-ASCII characters escaped as \uXXXX; otherwise it is
// compact and keeps UTF-8.
func (n *node) encode(b *bytes.Buffer, python bool) {
	comma, colon := ",", ":"
	if python {
		comma, colon = ", ", ": "
	}
	switch n.kind {
	case '{':
		b.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				b.WriteString(comma)
			}
			writeString(b, k, python)
			b.WriteString(colon)
			n.vals[i].encode(b, python)
		}
		b.WriteByte('}')
	case '[':
		b.WriteByte('[')
		for i, v := range n.vals {
			if i > 0 {
				b.WriteString(comma)
			}
			v.encode(b, python)
		}
		b.WriteByte(']')
	case '"':
		writeString(b, n.text, python)
	case '0':
		b.WriteString(n.text)
	case 't':
		b.WriteString("true")
	case 'f':
		b.WriteString("false")
	default:
		b.WriteString("null")
	}
}

func (n *node) bytes(python bool) []byte {
	var b bytes.Buffer
	n.encode(&b, python)
	return b.Bytes()
}

const hexDigits = "0123456789abcdef"

// writeString writes s as a JSON string; asciiOnly escapes every
// non-ASCII rune as \uXXXX (surrogate pairs above the BMP), like Python's
// ensure_ascii.
func writeString(b *bytes.Buffer, s string, asciiOnly bool) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r == 0x2028 || r == 0x2029 || (asciiOnly && r > 0x7e):
			if r > 0xffff {
				r -= 0x10000
				writeU(b, 0xd800+(r>>10))
				writeU(b, 0xdc00+(r&0x3ff))
				continue
			}
			writeU(b, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

func writeU(b *bytes.Buffer, r rune) {
	b.WriteString(`\u`)
	b.WriteByte(hexDigits[r>>12&0xf])
	b.WriteByte(hexDigits[r>>8&0xf])
	b.WriteByte(hexDigits[r>>4&0xf])
	b.WriteByte(hexDigits[r&0xf])
}

// jsonString returns s encoded as a compact JSON string.
func jsonString(s string) []byte {
	var b bytes.Buffer
	b.Grow(len(s) + 2)
	writeString(&b, s, false)
	return b.Bytes()
}
