package framework

import (
	"encoding/json"
	"testing"
)

// reviewSamples are likelihoods objects (and text that is not one) for
// the review policy's pre-check.
var reviewSamples = []string{
	`{}`, ``, `null`, `{"total":0.95}`, `{"total":0.69}`, `{"total":0.7}`,
	`{"total":7e-1}`, `{"total":70E-2,"a":1}`, `{"lines":[{"q":0.9},{"q":0.2}]}`,
	`{"total":-0}`, `{"total":1e400}`, `{"total":-1e400}`, `{"total":1e-400}`,
	`{"total":"0.1"}`, `{"0.1":0.9}`, `{"a\"0.1":0.9}`, `{"a\\":0.1}`,
	`{"total":0.9} 0.1`, `{"total":0.1`, `{"total":.1}`, `{"total":01}`,
	`{"total":-}`, `{"total":1-2}`, `000100000`, `-01`, `1.5.3`, `[0.5,0.9]`, `0.3`, `{"t":true,"f":false,"n":null}`,
	`{"total":0.9,"x":{"y":[1,2,{"z":0.69999}]}}`, `{"s":"\u0030.1","t":0.8}`,
}

// TestMayHoldBelowAgreesWithTheLeaves checks the pre-check's promise:
// when it says raw holds no likelihood below the threshold, the decoded
// leaves hold none; and that it takes the typical likelihoods.
func TestMayHoldBelowAgreesWithTheLeaves(t *testing.T) {
	for _, raw := range reviewSamples {
		for _, th := range []float64{0.7, 0.5, 1, 1e-300, 0.69999} {
			checkMayHoldBelow(t, []byte(raw), th)
		}
	}
	for _, raw := range []string{`{}`, `{"total":0.95,"lines":[{"q":1}]}`, `{"total":0.7}`, `{"total":"0.1"}`, `{"total":1e400}`} {
		if mayHoldBelow([]byte(raw), 0.7) {
			t.Errorf("mayHoldBelow(%s, 0.7) = true, want false", raw)
		}
	}
	for _, raw := range []string{`{"total":0.69}`, `{"total":-1}`, `{"total":1-2}`, `{"total":-}`} {
		if !mayHoldBelow([]byte(raw), 0.7) {
			t.Errorf("mayHoldBelow(%s, 0.7) = false, want true", raw)
		}
	}
}

func checkMayHoldBelow(t *testing.T, raw []byte, threshold float64) {
	t.Helper()
	if mayHoldBelow(raw, threshold) {
		return
	}
	for _, l := range likelihoodLeaves(json.RawMessage(raw)) {
		if l.Likelihood < threshold {
			t.Fatalf("mayHoldBelow(%q, %v) = false, but leaf %s is %v", raw, threshold, l.Pointer, l.Likelihood)
		}
	}
}

// FuzzMayHoldBelow checks the pre-check against the decoded leaves on
// arbitrary text and thresholds.
func FuzzMayHoldBelow(f *testing.F) {
	for _, raw := range reviewSamples {
		f.Add([]byte(raw), 0.7)
	}
	f.Fuzz(func(t *testing.T, raw []byte, threshold float64) {
		checkMayHoldBelow(t, raw, threshold)
	})
}

// TestReviewReasonTypicalAllocations checks that the typical likelihoods
// ({}) are not decoded to find that no field is below the threshold.
func TestReviewReasonTypicalAllocations(t *testing.T) {
	p := ReviewPolicy{Threshold: 0.7, Fields: []string{"/total"}}
	d := &Delivery{Likelihoods: json.RawMessage(`{}`)}
	if n := testing.AllocsPerRun(100, func() {
		if rr := p.reason(d); rr != nil {
			t.Fatalf("reason = %+v, want nil", rr)
		}
	}); n != 0 {
		t.Errorf("reason of {} allocates %v times, want 0", n)
	}
	d.Likelihoods = json.RawMessage(`{"total":0.5,"other":0.1}`)
	rr := p.reason(d)
	if rr == nil || len(rr.Fields) != 1 || rr.Fields[0].Pointer != "/total" || rr.Fields[0].Likelihood != 0.5 {
		t.Fatalf("reason = %+v, want /total at 0.5", rr)
	}
}
