package bench

import (
	"io"
	"net/http"
)

// maxFloorBody is the largest body Floor reads (the router's default
// body limit).
const maxFloorBody = 64 << 20

// Floor is the least any receiver must do with a delivery: read the body
// into a buffer of its declared size and compare its HMAC-SHA256 with
// the X-Retab-Signature header in constant time. It decodes nothing, so
// it is the floor the other receivers are measured against.
type Floor struct {
	// Secret is the webhook secret.
	Secret string
}

// ServeHTTP implements http.Handler.
func (f *Floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.ContentLength > maxFloorBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	size := 512
	if r.ContentLength > 0 {
		size = int(r.ContentLength) + 1 // room to read the EOF
	}
	body, err := readAll(io.LimitReader(r.Body, maxFloorBody+1), size)
	if err != nil || len(body) > maxFloorBody {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if !signed(f.Secret, r, body) {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"status":"processed"}`+"\n")
}

// readAll reads r to its end into a buffer of capacity size, growing it
// only when r holds more.
func readAll(r io.Reader, size int) ([]byte, error) {
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
