package framework

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/retabhook/retabhook/schemas"
)

// DefaultMaxBodyBytes is the default body limit: 64 MiB, room for a
// document of about 45 MiB once base64-encoded in file_payload.url.
const DefaultMaxBodyBytes int64 = 64 << 20

// ErrNoSecret is returned by [NewRouter] when no secret, or an empty one,
// is given and [WithInsecureSkipVerify] is not.
var ErrNoSecret = errors.New("retabhook: no webhook secret configured (WithSecrets), and WithInsecureSkipVerify not given")

// Option configures a [Router].
type Option func(*config) error

type config struct {
	secrets           []string
	insecure          bool
	signatureHeaders  []string
	maxBody           int64
	maxInFlight       int64
	busyTimeout       time.Duration // budget.go
	bodyTimeout       time.Duration // body.go
	minBodyRate       int64         // body.go
	parse             parseLimits   // limits.go
	logger            *slog.Logger
	errorWriter       ErrorWriterFunc
	route             RouteFunc
	middleware        []Middleware
	observer          Observer
	dispatcher        Dispatcher          // dispatch.go
	deduper           Deduper             // dedupe.go
	dedupeKey         DedupeKeyFunc       // dedupe.go
	schemaOptions     []schemas.Option    // schemaopts.go
	envSecrets        map[string][]string // auth.go
	schemes           []Scheme            // auth.go
	formula           Formula             // auth.go
	tolerance         time.Duration       // auth.go
	now               func() time.Time    // auth.go
	formats           []Format            // format.go
	apiCall           *apiCall            // apicall.go
	quarantine        QuarantineStore     // quarantine.go
	quarantineIgnored bool                // quarantine.go
}

// WithSecrets sets the webhook secrets. A delivery signed with any of them
// is accepted, so a rotation can run with the old and the new secret at
// once; logs name the matching one by index (secret_index), never by
// value. There is no default: [NewRouter] fails without a secret. The
// option may be given several times; secrets accumulate.
func WithSecrets(secrets ...string) Option {
	return func(c *config) error {
		for i, s := range secrets {
			if s == "" {
				return fmt.Errorf("%w: secret %d is empty", ErrNoSecret, len(c.secrets)+i)
			}
		}
		c.secrets = append(c.secrets, secrets...)
		return nil
	}
}

// WithInsecureSkipVerify turns signature verification off, for local
// development only. The router logs a warning when it is built. Default:
// off.
func WithInsecureSkipVerify() Option {
	return func(c *config) error { c.insecure = true; return nil }
}

// WithSignatureHeaders sets the headers the default schemes ([HexScheme],
// [TimestampScheme]) read the signature from, first non-empty wins.
// Default: "X-Retab-Signature", then "Retab-Signature".
func WithSignatureHeaders(names ...string) Option {
	return func(c *config) error {
		if len(names) == 0 {
			return errors.New("retabhook: WithSignatureHeaders needs at least one name")
		}
		c.signatureHeaders = names
		return nil
	}
}

// WithMaxBodyBytes sets the largest body accepted; larger ones are
// answered 413 without being read into memory. Default:
// [DefaultMaxBodyBytes] (64 MiB).
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("retabhook: WithMaxBodyBytes(%d): must be positive", n)
		}
		c.maxBody = n
		return nil
	}
}

// WithLogger sets the logger. The router writes one line per delivery
// (Info for 2xx, Warn for 4xx, Error for 5xx) and never logs a secret, a
// signature or document bytes. Default: slog.Default() at the time
// [NewRouter] runs.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("retabhook: WithLogger(nil)")
		}
		c.logger = l
		return nil
	}
}

// WithErrorWriter replaces the function that answers failed deliveries.
// Default: [WriteProblem]. Use [StatusOf] and [NewProblemDocument] to keep
// the status table.
func WithErrorWriter(f ErrorWriterFunc) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("retabhook: WithErrorWriter(nil)")
		}
		c.errorWriter = f
		return nil
	}
}

// WithRoute sets how a delivery picks its registered type when more than
// one is registered. The function returns a kind, or "" to leave the choice
// to schema matching. Default: [RouteByPath]("kind"), which reads the
// {kind} wildcard of a pattern such as "POST /webhook/{kind}" and is ""
// elsewhere; so with the default, a delivery on a plain path is routed by
// schema match: to the one registered type whose schema its content
// validates against.
func WithRoute(f RouteFunc) Option {
	return func(c *config) error {
		if f == nil {
			return errors.New("retabhook: WithRoute(nil)")
		}
		c.route = f
		return nil
	}
}

// WithMiddleware wraps every handler, first given outermost. Default: none
// (the router itself always recovers panics).
func WithMiddleware(m ...Middleware) Option {
	return func(c *config) error { c.middleware = append(c.middleware, m...); return nil }
}

// WithObserver adds observers told of every stage and every delivery, for
// metrics and tracing; an observer that is also a [RequestObserver] is
// told when each request starts. The option may be given several times;
// observers are called in the order given (stage ends and Finish in
// reverse order). Default: none.
func WithObserver(obs ...Observer) Option {
	return func(c *config) error {
		var list []Observer
		switch prev := c.observer.(type) {
		case nil:
		case observers:
			list = append(list, prev...)
		default:
			list = append(list, prev)
		}
		for _, o := range obs {
			if o == nil {
				return errors.New("retabhook: WithObserver(nil)")
			}
			list = append(list, o)
		}
		c.observer = combineObservers(list)
		return nil
	}
}

func defaultConfig() config {
	return config{
		signatureHeaders: defaultSignatureHeaders,
		formula:          FormulaTimestamped,
		tolerance:        DefaultTimestampTolerance,
		maxBody:          DefaultMaxBodyBytes,
		busyTimeout:      DefaultBusyTimeout,
		bodyTimeout:      DefaultBodyTimeout,
		minBodyRate:      DefaultMinBodyRate,
		parse:            parseLimits{depth: DefaultMaxDepth, values: DefaultMaxValues},
		errorWriter:      WriteProblem,
		route:            RouteByPath("kind"),
	}
}

// RouteFunc chooses the kind of a delivery: a registered kind, or "" to
// leave the choice to schema matching. An error is answered as is (wrap a
// [Problem] to choose its status).
type RouteFunc func(r *http.Request, d *Delivery) (string, error)

// RouteByPath routes by the path wildcard name, as in
// "POST /webhook/{kind}" mounted on an http.ServeMux.
func RouteByPath(name string) RouteFunc {
	return func(r *http.Request, _ *Delivery) (string, error) { return r.PathValue(name), nil }
}

// RouteByMetadata routes by a string value in the delivery's metadata
// (metadata set on the Retab automation).
func RouteByMetadata(key string) RouteFunc {
	return func(_ *http.Request, d *Delivery) (string, error) {
		s, _ := d.Metadata[key].(string)
		return s, nil
	}
}

// RouteFirst tries each function in turn and returns the first kind
// chosen.
func RouteFirst(fs ...RouteFunc) RouteFunc {
	return func(r *http.Request, d *Delivery) (string, error) {
		for _, f := range fs {
			k, err := f(r, d)
			if err != nil || k != "" {
				return k, err
			}
		}
		return "", nil
	}
}
