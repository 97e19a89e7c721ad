package retabtest

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"path"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/retabhook/retabhook/framework"
)

// Result is what [Serve] observed: the answer, decoded, and what the
// handler received.
type Result struct {
	// Status is the HTTP status answered.
	Status int
	// Header and Body are the answer as written.
	Header http.Header
	Body   []byte
	// Problem is the decoded RFC 9457 document when the answer is
	// application/problem+json; nil otherwise.
	Problem *framework.ProblemDocument
	// Ack is the decoded success body when the answer is 2xx JSON; nil
	// otherwise.
	Ack *Ack
	// Delivery is the delivery as a handler registered through a
	// [Recorder] received it (its Value holds the decoded T); nil when no
	// such handler ran during the request (as with a router given a
	// framework.Dispatcher, whose workers run handlers later).
	Delivery *framework.Delivery
	// HandlerErr is the error that handler returned.
	HandlerErr error
}

// Ack is the body the router answers a handled delivery with.
type Ack struct {
	Status     string `json:"status"`
	Kind       string `json:"kind"`
	DeliveryID string `json:"delivery_id"`
}

// Serve runs the delivery through h (a framework.Router, or the mux it is
// mounted on) as a POST to target ("/webhook", "/webhook/invoice") and
// returns the status, the decoded problem document or acknowledgement,
// and, when the handler was registered through a [Recorder], the delivery
// it received. Serve calls h directly, with no network.
//
// A bare *framework.Router reads no path of its own: it is mounted under
// a pattern such as "POST /webhook/{kind}", and the {kind} wildcard names
// the kind. So when h is a bare router and the target's path has a last
// segment under a prefix ("/webhook/purchase_order"), Serve mounts h as
// the documented receiver does, on an http.ServeMux under "/webhook/{kind}",
// and the kind in the target is honoured: the delivery goes to that kind's
// type or is refused, never routed by schema match instead. A target of
// one segment ("/webhook", "/") names no kind and reaches h as it is. A
// target whose kind a mux cannot read (a path that is not clean, or a
// pattern written in place of a path, "/webhook/{kind}") makes Serve
// panic with a message saying to mount the router under {kind}. Any other
// handler (a mux, or a handler that wraps a router) is served as it is:
// it routes paths itself, as it will in production.
func Serve(h http.Handler, d *Delivery, target string) *Result {
	s := &slot{}
	req := d.Request(target)
	req = req.WithContext(context.WithValue(req.Context(), slotKey{}, s))
	if r, ok := h.(*framework.Router); ok {
		h = mountUnderKind(r, req, target)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	res := &Result{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
	mt, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type"))
	switch {
	case mt == "application/problem+json":
		var p framework.ProblemDocument
		if json.Unmarshal(res.Body, &p) == nil {
			res.Problem = &p
		}
	case mt == "application/json" && res.Status >= 200 && res.Status < 300:
		var a Ack
		if json.Unmarshal(res.Body, &a) == nil {
			res.Ack = &a
		}
	}
	s.mu.Lock()
	res.Delivery, res.HandlerErr = s.delivery, s.err
	s.mu.Unlock()
	return res
}

// mountUnderKind returns r mounted on a mux under "<prefix>/{kind}" when
// req's path names a kind (a last segment under a prefix), r itself when
// it names none, and panics when a mux could not read the kind.
func mountUnderKind(r *framework.Router, req *http.Request, target string) http.Handler {
	p := req.URL.Path
	dir, kind := path.Split(p)
	if dir == "/" || kind == "" {
		return r // "/webhook", "/", "/webhook/": no kind
	}
	refuse := func(why string) {
		panic(fmt.Sprintf("retabtest: Serve: target %q names a kind in its path, but %s; "+
			"a bare framework.Router reads the kind only from a mux's {kind} wildcard: "+
			"mount the router under {kind} (mux.Handle(\"POST /webhook/{kind}\", r)) and serve the mux, "+
			"or write the kind plainly (\"/webhook/invoice\")", target, why))
	}
	if path.Clean(p) != p {
		refuse("the path is not clean (a mux would redirect it)")
	}
	if strings.ContainsAny(p, "{}") {
		refuse("it is a pattern, not a path")
	}
	pattern := dir + "{kind}"
	mux := http.NewServeMux()
	func() {
		defer func() {
			if recover() != nil {
				refuse(pattern + " is not a mux pattern")
			}
		}()
		mux.Handle(pattern, r)
	}()
	if _, got := mux.Handler(req); got != pattern {
		refuse("a mux does not match it to " + pattern)
	}
	return mux
}

type slotKey struct{}

// slot is where a Recorder's handler leaves what it received for the
// Serve call whose request it runs under.
type slot struct {
	mu       sync.Mutex
	filled   bool
	delivery *framework.Delivery
	err      error
}

// Recorder wraps a typed handler and records every call: the value, the
// whole delivery (framework.DeliveryFrom) and the error returned.
// Register its Handle method in place of the handler:
//
//	rec := retabtest.Record(handleInvoice)
//	framework.Handle(r, rec.Handle)
//
// It is safe for concurrent use.
type Recorder[T any] struct {
	next func(context.Context, T) error

	mu    sync.Mutex
	calls []Call[T]
}

// Call is one call of a [Recorder]'s handler.
type Call[T any] struct {
	// Value is the value the handler received.
	Value T
	// Delivery is the delivery it ran for (nil when the handler was called
	// outside a router).
	Delivery *framework.Delivery
	// Err is what the handler returned.
	Err error
}

// Record returns a [Recorder] around next; a nil next accepts every
// delivery (returns nil).
func Record[T any](next func(ctx context.Context, v T) error) *Recorder[T] {
	return &Recorder[T]{next: next}
}

// Handle is the handler to register: it calls the wrapped handler and
// records the call.
// A panic is recorded as a *framework.PanicError and raised again, so the
// router answers it as it would without the recorder.
func (r *Recorder[T]) Handle(ctx context.Context, v T) (err error) {
	defer func() {
		p := recover()
		if p != nil {
			err = &framework.PanicError{Value: p, Stack: debug.Stack()}
		}
		r.record(ctx, v, err)
		if p != nil {
			panic(p)
		}
	}()
	if r.next != nil {
		err = r.next(ctx, v)
	}
	return err
}

func (r *Recorder[T]) record(ctx context.Context, v T, err error) {
	d, _ := framework.DeliveryFrom(ctx)
	r.mu.Lock()
	r.calls = append(r.calls, Call[T]{Value: v, Delivery: d, Err: err})
	r.mu.Unlock()
	if s, ok := ctx.Value(slotKey{}).(*slot); ok {
		s.mu.Lock()
		if !s.filled {
			s.filled, s.delivery, s.err = true, d, err
		}
		s.mu.Unlock()
	}
}

// Calls returns the calls so far, oldest first.
func (r *Recorder[T]) Calls() []Call[T] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call[T](nil), r.calls...)
}

// Last returns the latest call; ok is false when there was none.
func (r *Recorder[T]) Last() (c Call[T], ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.calls) == 0 {
		return c, false
	}
	return r.calls[len(r.calls)-1], true
}

// Reset forgets the calls recorded so far.
func (r *Recorder[T]) Reset() {
	r.mu.Lock()
	r.calls = nil
	r.mu.Unlock()
}
