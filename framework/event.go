package framework

import (
	"encoding/json"
	"time"
)

// Event is Retab's signed event envelope: {"id": "evt_...", "type":
// "workflow.run.completed", "environment": "test", "created_at": RFC 3339,
// "data": {...}}.
type Event struct {
	// ID is the event's id, the same on every retry of one event: the
	// de-duplication key of events.
	ID string
	// Type is the event type, such as "workflow.run.completed".
	Type string
	// Environment is the environment the body names, equal to the
	// X-Retab-Environment header once the router accepted it.
	Environment string
	// OrganizationID is the sending organisation, when present.
	OrganizationID string
	// CreatedAt is when the event was created (zero when absent or not
	// RFC 3339).
	CreatedAt time.Time
	// Data is the event's data object, as sent.
	Data json.RawMessage
}
