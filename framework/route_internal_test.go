package framework

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
)

// Routing between several registered types walks the content as it is
// with each route's fast path (judgeContent) until one takes it. These
// tests serve the same deliveries through routers of several type sets
// with the fast path and through the same routers without it (Prepare,
// then the full validator per route), and require the same answers,
// errors, values, annotations and review verdicts.

// fastEventTwin has fastEvent's schema: content that matches one matches
// both (ErrAmbiguousRoute).
type fastEventTwin struct {
	Name string `json:"name" validate:"required"`
	Date string `json:"date" validate:"datetime=2006-01-02"`
}

// fastLevel has an enum of numbers: its fast path is lenient (a string
// may stand for a number), so it answers Unsure where it cannot decide.
type fastLevel struct {
	Name  string `json:"name"`
	Level int    `json:"level" jsonschema:"enum=1,enum=2,enum=3"`
}

// fastOpen takes any object with a name (additionalProperties is not
// false): it matches much of what the others match.
type fastOpen struct {
	Name string `json:"name"`
}

// typeSet registers one set of types on a router, recording into rec.
type typeSet struct {
	name     string
	register func(r *Router, rec func(context.Context, any))
}

func handleRecorded[T any](r *Router, rec func(context.Context, any), opts ...HandleOption) {
	Handle(r, func(ctx context.Context, v T) error { rec(ctx, v); return nil }, opts...)
}

func routingTypeSets() []typeSet {
	review := WithReview(ReviewPolicy{RequiresHumanReview: true, Threshold: 0.9}, func(context.Context, Review[fixtures.Invoice]) error { return nil })
	return []typeSet{
		{"invoice+event", func(r *Router, rec func(context.Context, any)) { // the example's
			handleRecorded[fixtures.Invoice](r, rec, review)
			handleRecorded[fastEvent](r, rec)
		}},
		{"event+invoice", func(r *Router, rec func(context.Context, any)) {
			handleRecorded[fastEvent](r, rec)
			handleRecorded[fixtures.Invoice](r, rec)
		}},
		{"four", func(r *Router, rec func(context.Context, any)) {
			handleRecorded[fixtures.Invoice](r, rec)
			handleRecorded[fastEvent](r, rec)
			handleRecorded[fastStamped](r, rec)
			handleRecorded[fastDated](r, rec)
		}},
		{"twins", func(r *Router, rec func(context.Context, any)) {
			handleRecorded[fastEvent](r, rec)
			handleRecorded[fixtures.Invoice](r, rec)
			handleRecorded[fastEventTwin](r, rec)
		}},
		{"lenient+open", func(r *Router, rec func(context.Context, any)) {
			handleRecorded[fastLevel](r, rec)
			handleRecorded[fixtures.Invoice](r, rec)
			handleRecorded[fastOpen](r, rec)
			handleRecorded[fastEvent](r, rec, WithKind("event"))
		}},
	}
}

func typeSetNamed(name string) typeSet {
	for _, s := range routingTypeSets() {
		if s.name == name {
			return s
		}
	}
	panic("no type set " + name)
}

// routingPair is a router of a type set with the fast path, and the same
// without it; got records what each handler and error writer saw.
type routingPair struct {
	fast, full *Router
	got        map[*Router]*routed
}

type routed struct {
	value any
	d     *Delivery
	err   string // the error given to the error writer, with its fields
}

// newRoutingPair builds the pair; deliveries are signed with the first
// of secrets.
func newRoutingPair(t testing.TB, set typeSet, secrets ...string) *routingPair {
	t.Helper()
	p := &routingPair{got: map[*Router]*routed{}}
	build := func() *Router {
		s := &routed{}
		r, err := NewRouter(WithSecrets(secrets...), WithLogger(slog.New(slog.DiscardHandler)),
			WithErrorWriter(func(w http.ResponseWriter, req *http.Request, err error) {
				s.err = describeError(err)
				WriteProblem(w, req, err)
			}))
		require.NoError(t, err)
		p.got[r] = s
		set.register(r, func(ctx context.Context, v any) {
			s.value = v
			s.d, _ = DeliveryFrom(ctx)
		})
		return r
	}
	p.fast, p.full = build(), build()
	for _, rt := range p.full.order {
		rt.fast = nil
	}
	return p
}

// describeError writes an error with the routing fields a caller can read
// (errors.As), so that two errors compare field by field.
func describeError(err error) string {
	var b strings.Builder
	b.WriteString(err.Error())
	var re *RouteError
	if errors.As(err, &re) {
		fmt.Fprintf(&b, " | route kind=%q registered=%q candidates=%q reasons=%q", re.Kind, re.Registered, re.Candidates, re.Reasons)
	}
	var ve *ViolationError
	if errors.As(err, &ve) {
		fmt.Fprintf(&b, " | violations kind=%q matches=%q total=%d %+v", ve.Kind, ve.Matches, ve.Total(), ve.Violations)
	}
	return b.String()
}

// routingPaths route by schema match, by a named kind (the invoice, the
// event) and by an unknown kind.
var routingPaths = []string{"/webhook", "/webhook/invoice", "/webhook/fast_event", "/webhook/unknown"}

// compare serves content through both routers on each of paths (nil:
// routingPaths) and requires the same outcome; it counts the statuses.
func (p *routingPair) compare(t *testing.T, secret string, content []byte, statuses map[int]int, paths ...string) {
	t.Helper()
	body := fixtures.ContentEnvelope(string(content))
	if paths == nil {
		paths = routingPaths
	}
	for _, path := range paths {
		var answers [2]*httptest.ResponseRecorder
		for k, r := range []*Router{p.fast, p.full} {
			*p.got[r] = routed{}
			mux := http.NewServeMux()
			mux.Handle("POST /webhook", r)
			mux.Handle("POST /webhook/{kind}", r)
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Retab-Signature", Sign(secret, body))
			answers[k] = httptest.NewRecorder()
			mux.ServeHTTP(answers[k], req)
		}
		f, s := p.got[p.fast], p.got[p.full]
		require.Equal(t, answers[1].Code, answers[0].Code, "%s %s", path, content)
		require.Equal(t, answers[1].Body.String(), answers[0].Body.String(), "%s %s", path, content)
		require.Equal(t, s.err, f.err, "%s %s", path, content)
		require.Equal(t, s.value, f.value, "%s %s", path, content)
		require.Equal(t, s.d == nil, f.d == nil, "%s %s", path, content)
		if s.d != nil {
			require.Equal(t, s.d.Kind, f.d.Kind)
			require.Equal(t, s.d.Annotations, f.d.Annotations, "%s", content)
			require.Equal(t, s.d.Review, f.d.Review, "%s", content)
			require.Equal(t, s.d.Content, f.d.Content)
		}
		statuses[answers[0].Code]++
	}
}

// routingContents are seeds of every type set's types, their mutants,
// and contents at the edges of the fast path's answers.
func routingContents(mutants int) [][]byte {
	seeds := [][]byte{
		fixtures.InvoiceContent(fixtures.TypicalLines),
		fixtures.InvoiceContent(1),
		[]byte(fixtures.SeedContent),
		[]byte(`{"number": "A-1", "at": "2024-05-01T10:00:00Z"}`),
		[]byte(`{"reference": "R-7", "issued": "2024-05-01", "due": null, "total": 1211.50, "taxes": [10, 2.5e1, 3.0]}`),
		[]byte(`{"name": "x", "level": 2}`),
	}
	var out [][]byte
	for i, seed := range seeds {
		out = append(out, seed)
		out = append(out, fixtures.Mutants(seed, mutants, uint64(40+i))...)
	}
	return append(out,
		[]byte(`{"name": "x", "date": "2023-12-31", "reasoning___root": "r", "reasoning___date": {"why": 1.0}}`),
		[]byte(`{"name": "x", "extra": 1, "date": "2023-12-31", "date": "2023-12-31"}`),     // refused, then repeated
		[]byte(`{"name": "x", "extra": 1, "date": "2023-12-31"} trailing`),                  // refused, then not JSON
		[]byte(`{"name": "x", "extra": 1, "reasoning___extra": "r", "date": "2023-12-31"}`), // refused, then annotated
		[]byte(`{"name": "x", "date": "2023-12-31", "level": 2.0}`),
		[]byte(`{"name": "x", "level": "2"}`),
		[]byte(`{"name": "x", "level": 2.0}`),
		[]byte(`{"name": "x"}`),
		[]byte(`{}`),
		[]byte(`[]`),
		[]byte(`"x"`),
		[]byte(`not json`),
		[]byte(`{"n\u0061me": "x", "date": "2023-12-31"}`),
	)
}

func TestRoutingChangesNothing(t *testing.T) {
	const secret = "whsec_route"
	contents := routingContents(60)
	for _, set := range routingTypeSets() {
		t.Run(set.name, func(t *testing.T) {
			p := newRoutingPair(t, set, secret)
			statuses := map[int]int{}
			for _, c := range contents {
				p.compare(t, secret, c, statuses)
			}
			t.Logf("%s: statuses %v", set.name, statuses)
			require.Greater(t, statuses[http.StatusOK], len(contents)/20)
			require.Greater(t, statuses[http.StatusUnprocessableEntity], len(contents)/10)
		})
	}
}

// FuzzRouting is TestRoutingChangesNothing on fuzzed content, for every
// type set.
func FuzzRouting(f *testing.F) {
	const secret = "whsec_route"
	for _, c := range routingContents(0) {
		f.Add(c)
	}
	var pairs []*routingPair
	for _, set := range routingTypeSets() {
		pairs = append(pairs, newRoutingPair(f, set, secret))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		for _, p := range pairs {
			p.compare(t, secret, content, map[int]int{})
		}
	})
}

// TestInvoiceRoutedAsItIs: with the example's two types, the typical
// invoice is taken as it is by the invoice's fast path (no Prepare: the
// instance is the content) and the calendar event is not walked again;
// a calendar event is refused by the invoice's fast path and taken by its
// own; an annotated one is prepared, with the invoice's refusal kept.
func TestInvoiceRoutedAsItIs(t *testing.T) {
	p := newRoutingPair(t, typeSetNamed("invoice+event"), "whsec_route")
	r := p.fast
	inv, ev := r.order[0], r.order[1]
	typical := fixtures.InvoiceContent(fixtures.TypicalLines)
	d, c, err := r.decode(fixtures.ContentEnvelope(string(typical)), nil)
	require.NoError(t, err)
	require.Same(t, inv, c.accepted)
	require.Equal(t, &d.Content[0], &c.clean[0], "the instance is the content: not prepared")
	rt, inst, err := r.choose("", c)
	require.NoError(t, err)
	require.Same(t, inv, rt)
	require.Equal(t, &d.Content[0], &inst[0])

	_, c, err = r.decode(fixtures.ContentEnvelope(fixtures.SeedContent), nil)
	require.NoError(t, err)
	require.Same(t, ev, c.accepted)
	require.True(t, c.refuses(inv))
	rt, _, err = r.choose("", c)
	require.NoError(t, err)
	require.Same(t, ev, rt)

	d, c, err = r.decode(fixtures.ContentEnvelope(`{"name": "x", "date": "2023-12-31", "reasoning___date": "r"}`), nil)
	require.NoError(t, err)
	require.Nil(t, c.accepted)
	require.True(t, c.refuses(inv))
	require.False(t, c.refuses(ev))
	require.Len(t, d.Annotations, 1)
	rt, _, err = r.choose("", c)
	require.NoError(t, err)
	require.Same(t, ev, rt)
}

// TestRoutingTypeSetsCompile: every type of the type sets has a fast path,
// so the tests above (and TestFastPathChangesNothing's) exercise it.
func TestRoutingTypeSetsCompile(t *testing.T) {
	for _, set := range routingTypeSets() {
		p := newRoutingPair(t, set, "whsec_route")
		for _, rt := range p.fast.order {
			require.NotNil(t, rt.fast, "%s: %s", set.name, rt.kind)
		}
	}
}
