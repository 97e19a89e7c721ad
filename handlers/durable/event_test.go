package durable_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/framework/retabtest"
)

// TestEventIDDeduplication: in durable mode a re-sent event (same id,
// signed again later, its body not byte-identical) is answered as a
// duplicate and stored once; the worker runs the event handler once.
func TestEventIDDeduplication(t *testing.T) {
	e := openEngine(t, fast(t.TempDir())...)
	r, err := framework.NewRouter(framework.WithSecrets(secret), framework.WithLogger(quiet()), framework.WithDispatcher(e))
	require.NoError(t, err)
	var runs atomic.Int32
	framework.HandleEvent(r, framework.EventWorkflowRunCompleted, func(ctx context.Context, run framework.WorkflowRun) error {
		d, _ := framework.DeliveryFrom(ctx)
		require.Equal(t, "evt_retried", d.Event.ID)
		require.Equal(t, "run_1", run.ID)
		runs.Add(1)
		return nil
	})
	srv := serve(t, r)
	post := func(data string, at time.Time) (int, string) {
		d, err := retabtest.NewEvent(framework.EventWorkflowRunCompleted, json.RawMessage(data),
			retabtest.WithSecret(secret), retabtest.WithEventID("evt_retried"), retabtest.WithSignedAt(at))
		require.NoError(t, err)
		req, err := d.NewRequest(context.Background(), srv.URL)
		require.NoError(t, err)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var ans struct {
			Status string `json:"status"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&ans))
		return resp.StatusCode, ans.Status
	}
	code, status := post(`{"id":"run_1","lifecycle":{"status":"completed"}}`, time.Now())
	require.Equal(t, http.StatusAccepted, code)
	require.Equal(t, "accepted", status)
	code, status = post(`{"id":"run_1","lifecycle":{"status":"completed"},"metadata":{}}`, time.Now().Add(time.Second))
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "duplicate", status)

	run(t, e, r)
	waitFor(t, 20*time.Second, "the event handled", func() bool { return runs.Load() == 1 })
	code, status = post(`{"id":"run_1"}`, time.Now())
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "duplicate", status)
	require.Equal(t, int32(1), runs.Load())
}
