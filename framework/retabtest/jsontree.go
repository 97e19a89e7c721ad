package retabtest

import (
	"math"
	"strings"

	"github.com/retabhook/retabhook/internal/jsontree"
)

// node is a JSON value as internal/jsontree keeps it, parsed as written:
// keys in order (a repeated key too), numbers as written, so the content
// a test gives is sent byte for byte in meaning (and 3.0 stays 3.0).
type node = jsontree.Value

// parseTree decodes exactly one JSON value.
func parseTree(b []byte) (*node, error) { return jsontree.ParseAsWritten(b) }

// floatIntegers rewrites every integer literal as a float (3 -> 3.0), as
// Retab's strict schemas (integer turned into number) produce.
func floatIntegers(n *node) {
	if n.Kind == jsontree.Number && !strings.ContainsAny(n.Text, ".eE") {
		n.Text += ".0"
	}
	for _, v := range n.Elems {
		floatIntegers(v)
	}
	for _, v := range n.Vals {
		floatIntegers(v)
	}
}

// sameLeaf reports whether two leaves hold the same value (numbers
// compared by value: 3 equals 3.0).
func sameLeaf(n, o *node) bool { return n != nil && o != nil && n.Equal(o) }

// likelihoods mirrors n's shape with, at each leaf, the share of votes
// that agree with n (1.0 when there are no votes), rounded to 5 decimals
// and printed as Retab (Python) prints a float. Annotation keys are left
// out.
func likelihoods(n *node, votes []*node) *node {
	switch n.Kind {
	case jsontree.Object:
		out := jsontree.NewObject()
		for i, k := range n.Keys {
			if isAnnotationKey(k) {
				continue
			}
			sub := make([]*node, len(votes))
			for j, v := range votes {
				sub[j] = v.Get(k)
			}
			out.Keys = append(out.Keys, k)
			out.Vals = append(out.Vals, likelihoods(n.Vals[i], sub))
		}
		return out
	case jsontree.Array:
		out := jsontree.NewArray()
		for i, item := range n.Elems {
			sub := make([]*node, len(votes))
			for j, v := range votes {
				if elems := v.Elements(); i < len(elems) {
					sub[j] = elems[i]
				}
			}
			out.Elems = append(out.Elems, likelihoods(item, sub))
		}
		return out
	}
	score := 1.0
	if len(votes) > 0 {
		agree := 0
		for _, v := range votes {
			if sameLeaf(n, v) {
				agree++
			}
		}
		score = float64(agree) / float64(len(votes))
	}
	return jsontree.NewNumber(jsontree.FormatFloat(math.Round(score*1e5) / 1e5))
}

// pythonText is n as Retab writes message.content: Python's json.dumps
// defaults (", " and ": " separators, non-ASCII escaped as \uXXXX), with
// the numbers as the test wrote them.
func pythonText(n *node) []byte { return jsontree.Dumps{NumbersAsWritten: true}.Append(nil, n) }

// compact is n as compact JSON, UTF-8 kept.
func compact(n *node) []byte { return jsontree.AppendCompact(nil, n) }

// jsonString returns s encoded as a compact JSON string.
func jsonString(s string) []byte { return jsontree.AppendString(make([]byte, 0, len(s)+2), s) }
