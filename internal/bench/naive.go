// Package bench holds what retabhook's benchmarks compare the framework
// with: the webhook handler a user would write by hand with net/http and
// encoding/json (Naive), the floor (Floor: read the body, check the HMAC),
// the HTTP load generator the load script drives, and the medians and
// ratios of benchmark output (ParseBench, WriteRatios). It is not part of
// the public API.
package bench

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// naiveEnvelope is the WebhookRequest as a hand-written receiver models
// it: the fields it reads, with the content kept as the string Retab sends.
type naiveEnvelope struct {
	Completion struct {
		ID      string `json:"id"`
		Model   string `json:"model"`
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	} `json:"completion"`
	User        *string `json:"user"`
	FilePayload struct {
		Filename string `json:"filename"`
		URL      string `json:"url"`
	} `json:"file_payload"`
	Metadata map[string]any `json:"metadata"`
}

// Naive is the baseline every benchmark compares the framework with: the
// receiver a user writes by hand. It reads the body, compares the
// HMAC-SHA256 with the X-Retab-Signature header in constant time,
// json.Unmarshals the envelope, then json.Unmarshals the content string
// into the struct and calls handle. It validates no schema and no rule.
type Naive struct {
	// Secret is the webhook secret.
	Secret string
	// Handle receives each invoice; nil discards it.
	Handle func(ctx context.Context, inv fixtures.Invoice, file string) error
}

// ServeHTTP implements http.Handler.
func (n *Naive) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if !signed(n.Secret, r, body) {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	var env naiveEnvelope
	if err := json.Unmarshal(body, &env); err != nil || len(env.Completion.Choices) == 0 {
		http.Error(w, "malformed envelope", http.StatusBadRequest)
		return
	}
	var inv fixtures.Invoice
	if err := json.Unmarshal([]byte(env.Completion.Choices[0].Message.Content), &inv); err != nil {
		http.Error(w, "invalid content", http.StatusUnprocessableEntity)
		return
	}
	if n.Handle != nil {
		if err := n.Handle(r.Context(), inv, env.FilePayload.Filename); err != nil {
			http.Error(w, "handler failed", http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"processed"}`+"\n")
}

// signed compares the body's HMAC-SHA256 with the X-Retab-Signature
// header in constant time.
func signed(secret string, r *http.Request, body []byte) bool {
	got, err := hex.DecodeString(strings.TrimSpace(r.Header.Get("X-Retab-Signature")))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return err == nil && hmac.Equal(mac.Sum(nil), got)
}
