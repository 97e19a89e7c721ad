package framework

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/retabhook/retabhook/internal/printable"
)

// EnvironmentHeader is the header in which Retab's event envelope names
// its environment ("test" or "production"); it chooses the secrets a
// delivery is verified with ([WithEnvironmentSecrets]).
const EnvironmentHeader = "X-Retab-Environment"

// The environments Retab documents.
const (
	EnvironmentTest       = "test"
	EnvironmentProduction = "production"
)

// DefaultTimestampTolerance is how far a timestamped signature's t may be
// from the receiver's clock, either way, by default: 5 minutes, what
// every service signing in that form asks of receivers.
const DefaultTimestampTolerance = 5 * time.Minute

// The refusals of the environment checks.
var (
	// ErrUnknownEnvironment is answered when the X-Retab-Environment
	// header names an environment that has no secrets here.
	ErrUnknownEnvironment = &Problem{"unknown-environment", "Unknown environment", http.StatusUnauthorized}
	// ErrEnvironmentMismatch is answered when an event's body names
	// another environment than its X-Retab-Environment header (or the
	// header is missing): the delivery is refused even though it is
	// signed.
	ErrEnvironmentMismatch = &Problem{"environment-mismatch", "Environment mismatch", http.StatusUnauthorized}
)

// WithEnvironmentSecrets sets the secrets of one environment ("test",
// "production", or another name the sender puts in X-Retab-Environment).
// A delivery whose X-Retab-Environment header names env is verified with
// these secrets only, instead of those of [WithSecrets]; one without the
// header is verified with every configured secret, and its environment is
// then the one of the secret that matched. Test and production rotate
// independently: give each several secrets during a rotation. The option
// may be given several times; secrets accumulate. Default: none (every
// environment uses [WithSecrets]).
func WithEnvironmentSecrets(env string, secrets ...string) Option {
	return func(c *config) error {
		if env == "" || strings.TrimSpace(env) != env {
			return fmt.Errorf("%w: WithEnvironmentSecrets(%q): the environment needs a name without spaces", ErrNoSecret, env)
		}
		if len(secrets) == 0 {
			return fmt.Errorf("%w: WithEnvironmentSecrets(%q) without a secret", ErrNoSecret, env)
		}
		for i, s := range secrets {
			if s == "" {
				return fmt.Errorf("%w: secret %d of environment %q is empty", ErrNoSecret, len(c.envSecrets[env])+i, env)
			}
		}
		if c.envSecrets == nil {
			c.envSecrets = map[string][]string{}
		}
		c.envSecrets[env] = append(c.envSecrets[env], secrets...)
		return nil
	}
}

// WithSchemes sets the signature schemes the router recognises, tried in
// order on the headers. Default: [HexScheme] then [TimestampScheme] with
// [WithTimestampFormula]'s formula, both reading [WithSignatureHeaders].
func WithSchemes(schemes ...Scheme) Option {
	return func(c *config) error {
		if len(schemes) == 0 {
			return fmt.Errorf("retabhook: WithSchemes needs at least one scheme")
		}
		for _, s := range schemes {
			if s == nil {
				return fmt.Errorf("retabhook: WithSchemes(nil)")
			}
		}
		c.schemes = schemes
		return nil
	}
}

// WithTimestampFormula sets what the default [TimestampScheme] verifies
// v1 over. Default: [FormulaTimestamped], HMAC(secret, t + "." + body):
// Retab's docs give no formula, and that is the construction of every
// service that signs in the "t=<unix>,v1=<hex>" form; it also binds the
// timestamp, so a replay cannot simply carry a fresh t. [FormulaBody]
// verifies HMAC(secret, body), as Retab's other webhooks sign; `retabhook
// listen` reports which of the two a real delivery uses.
func WithTimestampFormula(f Formula) Option {
	return func(c *config) error {
		if f != FormulaTimestamped && f != FormulaBody {
			return fmt.Errorf("retabhook: WithTimestampFormula(%q): want FormulaTimestamped or FormulaBody", f)
		}
		c.formula = f
		return nil
	}
}

// WithTimestampTolerance sets how far a timestamped signature's t may be
// from the receiver's clock, either way; beyond it the delivery is
// answered 401 with the reason "expired" or "future". Exactly the
// tolerance is accepted. Default: [DefaultTimestampTolerance] (5 minutes).
func WithTimestampTolerance(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("retabhook: WithTimestampTolerance(%s): must be positive", d)
		}
		c.tolerance = d
		return nil
	}
}

// WithClock sets the clock timestamped signatures are checked against.
// Default: time.Now.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("retabhook: WithClock(nil)")
		}
		c.now = now
		return nil
	}
}

// secretSet is the secrets a delivery may be verified with, and the pool
// of keyed HMACs that digest bodies with them.
type secretSet struct {
	secrets []string
	envs    []string // environment of each secret; "" for WithSecrets'
	pool    sync.Pool
}

func newSecretSet(secrets, envs []string) *secretSet {
	s := &secretSet{secrets: secrets, envs: envs}
	s.pool.New = func() any { return &hashRoom{h: newBodyHashes(secrets)} }
	return s
}

// hashRoom is what a secret set keeps for a request: the body's hashes,
// and room for a plain hex signature (parseHexSignature), so that neither
// is allocated per request.
type hashRoom struct {
	h   *bodyHashes
	hex hexSignature
}

func (s *secretSet) get() *hashRoom { return s.pool.Get().(*hashRoom) }
func (s *secretSet) put(r *hashRoom) {
	r.h.ct = content{} // (nothing refers to it once the request is answered)
	s.pool.Put(r)
}

// newSecretSets builds the set of every environment that has secrets, and
// the set "" (every secret) for deliveries that name no environment.
func newSecretSets(global []string, byEnv map[string][]string) map[string]*secretSet {
	sets := map[string]*secretSet{}
	all, allEnvs := slices.Clone(global), make([]string, len(global))
	names := []string{EnvironmentTest, EnvironmentProduction}
	for env := range byEnv {
		if !slices.Contains(names, env) {
			names = append(names, env)
		}
	}
	slices.Sort(names)
	for _, env := range names {
		own, ok := byEnv[env]
		if !ok {
			own = global
		} else {
			all = append(all, own...)
			for range own {
				allEnvs = append(allEnvs, env)
			}
		}
		if len(own) == 0 {
			continue
		}
		envs := make([]string, len(own))
		for i := range envs {
			envs[i] = env
		}
		sets[env] = newSecretSet(own, envs)
	}
	sets[""] = newSecretSet(all, allEnvs)
	return sets
}

// auth is what the headers say about a delivery's authentication.
type auth struct {
	set    *secretSet
	scheme Scheme
	sig    *Signature
	env    string    // the X-Retab-Environment header
	room   *hashRoom // set's, taken for a hex signature (sig is in it); nil otherwise

	tokenIndex int // the API Call token that matched
}

// take returns the room of the request: the one a hex signature was
// parsed into, else one of the set's. The caller puts it back.
func (a *auth) take() *hashRoom {
	if a.room == nil {
		a.room = a.set.get()
	}
	return a.room
}

// release puts back the room a hex signature was parsed into, for a
// request refused before its body is read.
func (a *auth) release() {
	if a.room != nil {
		a.set.put(a.room)
		a.room, a.sig = nil, nil
	}
}

// authenticate reads the environment and the signature from the headers,
// before the body is read, and checks what can be checked without it: the
// environment has secrets, a scheme recognises the signature header and
// finds it well formed, its timestamp is within the tolerance. It is
// cheap (no allocation beyond a signature other schemes than the hex one
// parse: that one is parsed into room of the set's, auth.room), so a
// request that fails it can be refused before its body is reserved or
// read. The returned auth always has a set (the "" one when the
// environment is unknown).
func (r *Router) authenticate(h http.Header) (auth, error) {
	a := auth{env: strings.TrimSpace(headerValue(h, EnvironmentHeader)), set: r.secretSets[""]}
	if a.env != "" {
		set, ok := r.secretSets[a.env]
		if !ok {
			return a, fmt.Errorf("%w: %s has no secret here (configure WithSecrets or WithEnvironmentSecrets(%q, ...))", ErrUnknownEnvironment, quoteShort(a.env), a.env)
		}
		a.set = set
	}
	if r.cfg.insecure {
		return a, nil
	}
	if r.cfg.apiCall != nil {
		var err error
		a.tokenIndex, err = r.cfg.apiCall.authenticate(h)
		return a, err
	}
	for _, s := range r.cfg.schemes {
		var sig *Signature
		var err error
		if hs, ok := s.(hexScheme); ok {
			if v := hs.value(h); v != "" {
				a.room = a.set.get()
				sig, err = parseHexSignature(v, &a.room.hex)
			}
		} else {
			sig, err = s.Parse(h)
		}
		if err != nil {
			return a, err
		}
		if sig == nil {
			continue
		}
		a.scheme, a.sig = s, sig
		if !sig.Timestamp.IsZero() {
			if err := checkTimestamp(sig.Timestamp, r.cfg.now(), r.cfg.tolerance); err != nil {
				return a, err
			}
		}
		return a, nil
	}
	return a, &SignatureError{Reason: SignatureMissing, Err: ErrMissingSignature}
}

// describe records on d how it was authenticated.
func (a *auth) describe(d *Delivery, secretIndex int) {
	d.SecretIndex = secretIndex
	d.Environment = a.env
	switch {
	case a.scheme != nil:
		d.Scheme, d.Formula, d.SignedAt = a.scheme.Name(), a.sig.Formula, a.sig.Timestamp
	case a.sig == nil && secretIndex >= 0:
		d.Scheme = "token"
	}
	if d.Environment == "" && secretIndex >= 0 && secretIndex < len(a.set.envs) {
		d.Environment = a.set.envs[secretIndex]
	}
}

// checkEnvironment refuses an event whose body names another environment
// than its header.
func (a *auth) checkEnvironment(d *Delivery) error {
	if d.Event == nil || d.Event.Environment == "" && a.env == "" {
		return nil
	}
	if a.env == "" {
		return fmt.Errorf("%w: the event names environment %s but the request has no %s header", ErrEnvironmentMismatch, quoteShort(d.Event.Environment), EnvironmentHeader)
	}
	if d.Event.Environment != a.env {
		return fmt.Errorf("%w: the %s header says %s, the event's body says %s", ErrEnvironmentMismatch, EnvironmentHeader, quoteShort(a.env), quoteShort(d.Event.Environment))
	}
	return nil
}

// quoteShort quotes a value from a request for an error, cut to 40 bytes.
func quoteShort(s string) string { return printable.Quote(s, 40) }
