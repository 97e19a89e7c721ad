package framework

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/retabhook/retabhook/schemas"
)

// The errors of the API Call mode ([WithAPICallToken]).
var (
	// ErrNoToken is returned by [NewRouter] when an API Call router has no
	// token, or an empty one: the API Call block sends no signature, so
	// its token is the only authentication and is required.
	ErrNoToken = errors.New("retabhook: API Call router without a token (WithAPICallToken or WithAPICallHeaderToken)")
	// ErrMissingToken is answered when the API Call's token header is
	// missing or empty.
	ErrMissingToken = &Problem{"missing-token", "Missing token", http.StatusUnauthorized}
	// ErrInvalidToken is answered when the API Call's token matches none
	// configured.
	ErrInvalidToken = &Problem{"invalid-token", "Invalid token", http.StatusUnauthorized}
)

// apiCall is the configuration of the API Call mode.
type apiCall struct {
	header string   // "Authorization" for bearer tokens
	bearer bool     // the header's value is "Bearer <token>"
	tokens [][]byte // SHA-256 of each token, compared in constant time
	empty  bool     // a token given was empty
}

// WithAPICallToken makes the router serve a Retab workflow's API Call
// block instead of webhooks: the block POSTs its input JSON (the extracted
// object, no envelope, no signature) with the headers configured on it,
// and takes the JSON answer as its output for the next blocks. The
// request must carry "Authorization: Bearer <token>" with one of tokens
// (several during a rotation), compared in constant time. Handlers are
// registered with [HandleCall], func(ctx, Req) (Res, error); the answer
// is 200 with the JSON of the returned Res, and refusals are the usual
// problem documents (422 for an invalid Req). Because a raw object has no
// envelope to recognise, this format is only ever enabled this way, on a
// router of its own mounted on its own path. [NewRouter] fails with
// [ErrNoToken] without a non-empty token, and refuses secrets, formats,
// a dispatcher or de-duplication beside it. Default: off (a webhook
// router).
func WithAPICallToken(tokens ...string) Option {
	return func(c *config) error { return c.addAPICall(http.CanonicalHeaderKey("Authorization"), true, tokens) }
}

// WithAPICallHeaderToken is [WithAPICallToken] for a static header token:
// the request must carry header: token (for example "X-Api-Key: ..."),
// compared in constant time. Default: off.
func WithAPICallHeaderToken(header string, tokens ...string) Option {
	return func(c *config) error {
		if header == "" {
			return fmt.Errorf("%w: WithAPICallHeaderToken needs a header name", ErrNoToken)
		}
		return c.addAPICall(http.CanonicalHeaderKey(header), false, tokens)
	}
}

func (c *config) addAPICall(header string, bearer bool, tokens []string) error {
	if c.apiCall == nil {
		c.apiCall = &apiCall{header: header, bearer: bearer}
	} else if c.apiCall.header != header || c.apiCall.bearer != bearer {
		return errors.New("retabhook: an API Call router takes its tokens from one header")
	}
	for _, t := range tokens {
		if t == "" {
			c.apiCall.empty = true
			continue
		}
		sum := sha256.Sum256([]byte(t))
		c.apiCall.tokens = append(c.apiCall.tokens, sum[:])
	}
	return nil
}

// checkAPICall is NewRouter's check of an API Call router.
func (c *config) checkAPICall() error {
	a := c.apiCall
	switch {
	case a.empty || len(a.tokens) == 0:
		return ErrNoToken
	case len(c.secrets) > 0 || len(c.envSecrets) > 0 || c.schemes != nil:
		return errors.New("retabhook: an API Call router is authenticated by its token; it takes no webhook secrets or schemes (mount a webhook router beside it)")
	case c.insecure:
		return errors.New("retabhook: an API Call router cannot skip verification: its token is its only authentication")
	case c.formats != nil:
		return errors.New("retabhook: an API Call router has one format, the block's JSON; WithFormats does not apply")
	case c.dispatcher != nil || c.deduper != nil:
		return errors.New("retabhook: an API Call is answered with the handler's result: WithDispatcher and de-duplication do not apply")
	}
	c.formats = []Format{apiCallFormat{}}
	c.schemes = []Scheme{}
	return nil
}

// authenticate checks an API Call's token; it returns the index of
// the token that matched.
func (a *apiCall) authenticate(h http.Header) (int, error) {
	v := strings.TrimSpace(h.Get(a.header))
	if a.bearer {
		scheme, token, ok := strings.Cut(v, " ")
		if strings.EqualFold(v, "Bearer") {
			scheme, ok = v, true
		}
		if v != "" && (!ok || !strings.EqualFold(scheme, "Bearer")) {
			return -1, fmt.Errorf("%w: want Authorization: Bearer <token>", ErrInvalidToken)
		}
		v = strings.TrimSpace(token)
	}
	if v == "" {
		return -1, fmt.Errorf("%w: no %s header", ErrMissingToken, a.header)
	}
	sum := sha256.Sum256([]byte(v))
	matched := -1
	for i, t := range a.tokens {
		if subtle.ConstantTimeCompare(sum[:], t) == 1 && matched < 0 {
			matched = i
		}
	}
	if matched < 0 {
		return -1, fmt.Errorf("%w: the %s token matches none configured (check API_CALL_TOKEN and the header set on the API Call block)", ErrInvalidToken, a.header)
	}
	return matched, nil
}

// apiCallFormat is the API Call block's body: the extracted object itself.
type apiCallFormat struct{}

func (apiCallFormat) Name() string { return "api_call" }

func (apiCallFormat) Decode(body []byte) (*Delivery, error) {
	d := &Delivery{}
	if b := bytes.TrimSpace(body); len(b) == 0 || b[0] != '{' {
		return d, fmt.Errorf("%w: the API Call body is not a JSON object", ErrNoContent)
	}
	d.Content = body
	return d, nil
}

// HandleCall registers a typed request/response handler on an API Call
// router ([WithAPICallToken]): the block's JSON is routed, validated
// against Req's schema and validate tags and decoded like a webhook's
// content, then h runs and the answer is 200 with the JSON of its Res. A
// handler error is answered 500 (its text logged, not sent), and a
// [Reject] error as usual. [Router.Schema] is the block's Request Schema
// and [Router.OutputSchema] its Output Schema. It panics on misuse like
// [Handle] (on a webhook router too); [HandleCallSafely] returns the
// error.
func HandleCall[Req, Res any](r *Router, h func(ctx context.Context, req Req) (Res, error), opts ...HandleOption) {
	if err := HandleCallSafely(r, h, opts...); err != nil {
		panic(err)
	}
}

// HandleCallSafely is [HandleCall] returning an error wrapping
// [ErrRegistration] instead of panicking.
func HandleCallSafely[Req, Res any](r *Router, h func(ctx context.Context, req Req) (Res, error), opts ...HandleOption) error {
	if h == nil {
		return fmt.Errorf("%w: nil handler", ErrRegistration)
	}
	if r.cfg.apiCall == nil {
		return fmt.Errorf("%w: HandleCall needs an API Call router (WithAPICallToken)", ErrRegistration)
	}
	out, err := schemas.ForType(reflect.TypeFor[Res](), r.cfg.schemaOptions...)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrRegistration, reflect.TypeFor[Res](), err)
	}
	call := typedCall(func(ctx context.Context, req Req) error {
		res, err := h(ctx, req)
		if err != nil {
			return err
		}
		b, err := json.Marshal(res)
		if err != nil {
			return fmt.Errorf("the response does not encode to JSON: %w", err)
		}
		d, _ := DeliveryFrom(ctx)
		d.Response = b
		return nil
	})
	return r.register(reflect.TypeFor[Req](), contentDecoder[Req](), call, append(opts, withOutputSchema(out)))
}

func withOutputSchema(s *schemas.Schema) HandleOption { return func(c *handleConfig) { c.output = s } }

// OutputSchema returns the schema of the answers of an API Call kind (the
// block's Output Schema), derived from HandleCall's Res.
func (r *Router) OutputSchema(kind string) (*schemas.Schema, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	rt, ok := r.routes[kind]
	if !ok || rt.output == nil {
		return nil, false
	}
	return rt.output, true
}

// writeResponse answers an API Call with its handler's result.
func writeResponse(w http.ResponseWriter, d *Delivery, out *Outcome) {
	out.Status = http.StatusOK
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(d.Response, '\n'))
}
