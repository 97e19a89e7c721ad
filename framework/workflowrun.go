package framework

import (
	"encoding/json"
	"time"
)

// WorkflowRun is the data of a [EventWorkflowRunCompleted] event: Retab's
// public WorkflowRun model (SDK, 2026-08), for
// HandleEvent[framework.WorkflowRun](r, framework.EventWorkflowRunCompleted, h).
// Retab's docs show the event with its data left empty, so the fields
// follow the SDK's model; unknown fields are ignored.
type WorkflowRun struct {
	ID                string            `json:"id"`
	WorkflowID        string            `json:"workflow_id"`
	WorkflowVersionID string            `json:"workflow_version_id"`
	Trigger           RunTrigger        `json:"trigger"`
	Lifecycle         RunLifecycle      `json:"lifecycle"`
	Timing            RunTiming         `json:"timing"`
	Inputs            RunInputs         `json:"inputs"`
	Metadata          map[string]string `json:"metadata"`
}

// RunTrigger says what started a run: Type is manual, api, schedule,
// webhook, email, custom or restart.
type RunTrigger struct {
	Type string `json:"type"`
}

// The statuses of a run's lifecycle.
const (
	RunPending        = "pending"
	RunRunning        = "running"
	RunAwaitingReview = "awaiting_review"
	RunCompleted      = "completed"
	RunError          = "error"
	RunCancelled      = "cancelled"
)

// RunLifecycle is where a run stands. The fields after Status belong to
// one status each: WaitingForBlockIDs to awaiting_review; Message, Stage,
// Category and FailingStepID to error; Reason to cancelled.
type RunLifecycle struct {
	Status             string   `json:"status"`
	WaitingForBlockIDs []string `json:"waiting_for_block_ids,omitempty"`
	Message            string   `json:"message,omitempty"`
	Stage              string   `json:"stage,omitempty"`
	Category           string   `json:"category,omitempty"`
	FailingStepID      string   `json:"failing_step_id,omitempty"`
	Reason             string   `json:"reason,omitempty"`
}

// RunTiming holds a run's times; nil when not reached (yet).
type RunTiming struct {
	CreatedAt   *time.Time `json:"created_at"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
}

// RunInputs are a run's inputs by block id: the documents (metadata only,
// no bytes) and the JSON values.
type RunInputs struct {
	Documents map[string]RunDocument     `json:"documents"`
	JSONData  map[string]json.RawMessage `json:"json_data"`
}

// RunDocument is a document given to a run.
type RunDocument struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
	MIMEType string `json:"mime_type"`
}
