package framework_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
)

// bill is the reviewed document of these tests.
type bill struct {
	Number string  `json:"number"`
	Total  float64 `json:"total"`
	Vendor string  `json:"vendor"`
}

// reviewed records which handler got what.
type reviewed struct {
	mu       sync.Mutex
	normal   []bill
	reviews  []framework.Review[bill]
	outcomes []framework.Outcome
}

func (rv *reviewed) StartStage(ctx context.Context, _ framework.Stage) (context.Context, func(error)) {
	return ctx, func(error) {}
}

func (rv *reviewed) Finish(_ context.Context, o framework.Outcome) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	rv.outcomes = append(rv.outcomes, o)
}

func reviewRouter(t *testing.T, p framework.ReviewPolicy, opts ...framework.Option) (*framework.Router, *reviewed) {
	t.Helper()
	rv := &reviewed{}
	opts = append([]framework.Option{framework.WithSecrets(retabtest.Secret), framework.WithLogger(quietLogger()), framework.WithObserver(rv)}, opts...)
	r, err := framework.NewRouter(opts...)
	require.NoError(t, err)
	framework.Handle(r, func(_ context.Context, b bill) error {
		rv.mu.Lock()
		defer rv.mu.Unlock()
		rv.normal = append(rv.normal, b)
		return nil
	}, framework.WithReview(p, func(_ context.Context, r framework.Review[bill]) error {
		rv.mu.Lock()
		defer rv.mu.Unlock()
		rv.reviews = append(rv.reviews, r)
		return nil
	}))
	return r, rv
}

var sampleBill = bill{Number: "B-1", Total: 120, Vendor: "ACME"}

func likelihoods(total, vendor float64) retabtest.Option {
	b, _ := json.Marshal(map[string]float64{"number": 1, "total": total, "vendor": vendor})
	return retabtest.WithLikelihoods(b)
}

// TestReviewThreshold: a field below the threshold goes to review, one at
// the threshold does not; fields outside the policy's are not looked at.
func TestReviewThreshold(t *testing.T) {
	p := framework.ReviewPolicy{Threshold: 0.7, Fields: []string{"/total"}}
	tests := []struct {
		name          string
		total, vendor float64
		review        bool
	}{
		{"below", 0.69, 1, true},
		{"at the threshold", 0.7, 1, false},
		{"above", 0.95, 1, false},
		{"another field below", 1, 0.2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rv := reviewRouter(t, p)
			d, err := retabtest.NewDelivery(sampleBill, likelihoods(tt.total, tt.vendor))
			require.NoError(t, err)
			res := retabtest.Serve(r, d, "/webhook")
			require.Equal(t, http.StatusOK, res.Status, "body: %s", res.Body)
			var answer struct{ Status string }
			require.NoError(t, json.Unmarshal(res.Body, &answer))
			require.Len(t, rv.outcomes, 1)
			if tt.review {
				assert.Equal(t, "review", answer.Status)
				assert.True(t, rv.outcomes[0].Review)
				require.Len(t, rv.reviews, 1)
				assert.Empty(t, rv.normal)
				assert.Equal(t, sampleBill, rv.reviews[0].Value)
				assert.Equal(t, []framework.FieldLikelihood{{Pointer: "/total", Likelihood: 0.69}}, rv.reviews[0].Fields)
				assert.False(t, rv.reviews[0].RequiresHumanReview)
			} else {
				assert.Equal(t, "processed", answer.Status)
				assert.False(t, rv.outcomes[0].Review)
				assert.Empty(t, rv.reviews)
				assert.Equal(t, []bill{sampleBill}, rv.normal)
			}
		})
	}
}

// TestReviewAnyField: without Fields every likelihood counts.
func TestReviewAnyField(t *testing.T) {
	r, rv := reviewRouter(t, framework.ReviewPolicy{Threshold: 0.5})
	d, err := retabtest.NewDelivery(sampleBill, likelihoods(0.4, 0.3))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, retabtest.Serve(r, d, "/webhook").Status)
	require.Len(t, rv.reviews, 1)
	assert.Equal(t, []framework.FieldLikelihood{{Pointer: "/total", Likelihood: 0.4}, {Pointer: "/vendor", Likelihood: 0.3}}, rv.reviews[0].Fields)
}

// TestReviewRequiresHumanReview: the completion's flag sends the delivery
// to review when the policy listens to it, and only then.
func TestReviewRequiresHumanReview(t *testing.T) {
	d, err := retabtest.NewDelivery(sampleBill, retabtest.WithRequiresHumanReview())
	require.NoError(t, err)

	r, rv := reviewRouter(t, framework.ReviewPolicy{RequiresHumanReview: true})
	require.Equal(t, http.StatusOK, retabtest.Serve(r, d, "/webhook").Status)
	require.Len(t, rv.reviews, 1)
	assert.True(t, rv.reviews[0].RequiresHumanReview)
	assert.Empty(t, rv.reviews[0].Fields)

	r, rv = reviewRouter(t, framework.ReviewPolicy{Threshold: 0.7})
	require.Equal(t, http.StatusOK, retabtest.Serve(r, d, "/webhook").Status)
	assert.Empty(t, rv.reviews, "the policy does not listen to the flag")
	assert.Len(t, rv.normal, 1)

	plain, err := retabtest.NewDelivery(sampleBill)
	require.NoError(t, err)
	r, rv = reviewRouter(t, framework.ReviewPolicy{RequiresHumanReview: true})
	require.Equal(t, http.StatusOK, retabtest.Serve(r, plain, "/webhook").Status)
	assert.Empty(t, rv.reviews)
}

// TestReviewConsensus: likelihoods computed by the test kit from a
// consensus where one of three votes disagrees on the total (2/3 < 0.7),
// and from a unanimous one (1.0).
func TestReviewConsensus(t *testing.T) {
	p := framework.ReviewPolicy{Threshold: 0.7, Fields: []string{"/total"}}
	other := sampleBill
	other.Total = 210
	split, err := retabtest.NewDelivery(sampleBill, retabtest.WithConsensus(2), retabtest.WithVote(other))
	require.NoError(t, err)
	r, rv := reviewRouter(t, p)
	require.Equal(t, http.StatusOK, retabtest.Serve(r, split, "/webhook").Status)
	require.Len(t, rv.reviews, 1)
	require.Len(t, rv.reviews[0].Fields, 1)
	assert.Equal(t, "/total", rv.reviews[0].Fields[0].Pointer)
	assert.InDelta(t, 2.0/3, rv.reviews[0].Fields[0].Likelihood, 1e-4)

	unanimous, err := retabtest.NewDelivery(sampleBill, retabtest.WithConsensus(3))
	require.NoError(t, err)
	r, rv = reviewRouter(t, p)
	require.Equal(t, http.StatusOK, retabtest.Serve(r, unanimous, "/webhook").Status)
	assert.Empty(t, rv.reviews)
	assert.Len(t, rv.normal, 1)
}

// TestReviewDurable: in the durable mode the answer is 202 with
// review:true, and Process (the workers) calls the review handler.
func TestReviewDurable(t *testing.T) {
	var stored []framework.Submission
	disp := framework.DispatcherFunc(func(_ context.Context, s framework.Submission) (framework.Acceptance, error) {
		s.Body = append([]byte(nil), s.Body...)
		stored = append(stored, s)
		return framework.Acceptance{}, nil
	})
	r, rv := reviewRouter(t, framework.ReviewPolicy{Threshold: 0.7}, framework.WithDispatcher(disp))
	d, err := retabtest.NewDelivery(sampleBill, likelihoods(0.5, 1))
	require.NoError(t, err)
	res := retabtest.Serve(r, d, "/webhook")
	require.Equal(t, http.StatusAccepted, res.Status)
	var answer struct {
		Status string
		Review bool
	}
	require.NoError(t, json.Unmarshal(res.Body, &answer))
	assert.Equal(t, "accepted", answer.Status)
	assert.True(t, answer.Review)
	assert.True(t, rv.outcomes[0].Review)
	assert.Empty(t, rv.reviews, "not during the request")

	require.Len(t, stored, 1)
	pd, err := r.Process(context.Background(), framework.Stored{Kind: "bill", Body: stored[0].Body, Attempt: 1})
	require.NoError(t, err)
	require.NotNil(t, pd.Review)
	require.Len(t, rv.reviews, 1)
	assert.Empty(t, rv.normal)
}

// TestReviewHandlerOutcomes: a review handler's Reject is a 422 like the
// normal handler's.
func TestReviewHandlerOutcomes(t *testing.T) {
	r, err := framework.NewRouter(framework.WithSecrets(retabtest.Secret), framework.WithLogger(quietLogger()))
	require.NoError(t, err)
	framework.Handle(r, func(context.Context, bill) error { return nil },
		framework.WithReview(framework.ReviewPolicy{Threshold: 0.7}, func(context.Context, framework.Review[bill]) error {
			return framework.Reject(errors.New("no one reviews ACME"))
		}))
	d, err := retabtest.NewDelivery(sampleBill, likelihoods(0.1, 1))
	require.NoError(t, err)
	res := retabtest.Serve(r, d, "/webhook")
	require.Equal(t, http.StatusUnprocessableEntity, res.Status)
	require.NotNil(t, res.Problem)
	assert.Equal(t, framework.ErrRejected.Type(), res.Problem.Type)
}

func TestReviewRegistration(t *testing.T) {
	newR := func() *framework.Router {
		r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quietLogger()))
		require.NoError(t, err)
		return r
	}
	noop := func(context.Context, bill) error { return nil }
	review := func(context.Context, framework.Review[bill]) error { return nil }
	for name, p := range map[string]framework.ReviewPolicy{
		"never trips":          {},
		"threshold above 1":    {Threshold: 1.5},
		"not a pointer":        {Threshold: 0.5, Fields: []string{"total"}},
		"fields, no threshold": {RequiresHumanReview: true, Fields: []string{"/total"}},
	} {
		err := framework.HandleSafely(newR(), noop, framework.WithReview(p, review))
		require.ErrorIs(t, err, framework.ErrRegistration, name)
	}
	err := framework.HandleSafely(newR(), noop, framework.WithReview(framework.ReviewPolicy{Threshold: 0.5},
		func(context.Context, framework.Review[Invoice]) error { return nil }))
	require.ErrorIs(t, err, framework.ErrRegistration, "review of another type")
	require.NoError(t, framework.HandleSafely(newR(), noop, framework.WithReview(framework.ReviewPolicy{Threshold: 0.5}, review)))
}
