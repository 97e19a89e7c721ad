package schemas_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/retabhook/retabhook/internal/fixtures"
	"github.com/retabhook/retabhook/schemas"
)

// quickstartSchema returns the schema of Retab's schema-generate response,
// whose real id and data id are in fixtures.
func quickstartSchema(t testing.TB) []byte {
	t.Helper()
	var resp struct {
		JSONSchema json.RawMessage `json:"json_schema"`
		ID         string          `json:"id"`
		DataID     string          `json:"data_id"`
	}
	require.NoError(t, json.Unmarshal(fixtures.Read(fixtures.QuickstartSchemaResp), &resp))
	require.Equal(t, fixtures.QuickstartSchemaID, resp.ID)
	require.Equal(t, fixtures.QuickstartSchemaDataID, resp.DataID)
	return resp.JSONSchema
}

func TestIDsMatchRetab(t *testing.T) {
	doc := quickstartSchema(t)
	id, dataID, err := schemas.IDs(doc)
	require.NoError(t, err)
	require.Equal(t, fixtures.QuickstartSchemaID, id)
	require.Equal(t, fixtures.QuickstartSchemaDataID, dataID)

	// The same through Parse, whose document is re-indented: ids do not
	// depend on formatting or member order.
	s, err := schemas.Parse(doc)
	require.NoError(t, err)
	require.Equal(t, fixtures.QuickstartSchemaID, s.ID())
	require.Equal(t, fixtures.QuickstartSchemaDataID, s.DataID())
}

// TestIDVectors holds documents whose ids were computed with Python's
// json.dumps(sort_keys=True), hashlib.blake2b(digest_size=8) and the
// cleaning Retab applies for the data id.
func TestIDVectors(t *testing.T) {
	cases := []struct{ doc, id, dataID string }{
		// A property named "description" or "title" is a name, not a
		// keyword: the data id keeps it.
		{`{"type":"object","properties":{"description":{"type":"string","description":"a field named description"},"title":{"type":"string","title":"T"}},"required":["description","title"],"X-SystemPrompt":"Be careful"}`, "sch_id_2f4b4d6e0eee6928", "sch_data_id_6339f2b16f7beb42"},
		// Cleaning descends into properties, items, $defs, allOf and
		// anyOf only; it drops x- keys in any case, the empty key, empty
		// objects, and removed keywords in any case (READONLY).
		{`{"type":"object","properties":{"a":{"oneOf":[{"type":"string","description":"kept: oneOf is not cleaned"},{"type":"null"}]},"b":{"anyOf":[{"type":"string","description":"removed"},{"type":"null"}]},"m":{"type":"object","additionalProperties":{"type":"string","description":"kept"}}},"x-custom":1,"X-Other":2,"READONLY":true,"items":{},"":"empty key"}`, "sch_id_3677a00ac4f58b23", "sch_data_id_bf467bcdaa814918"},
		// Escapes, astral characters, numbers printed as Python prints
		// them (1.50 -> 1.5, 1e2 -> 100.0, 3.0 stays a float), $defs
		// names kept even when they look like X- keys.
		{`{"title":"Caf\u00e9 \ud83d\ude00","type":"object","properties":{"price":{"type":"number","minimum":1.50,"maximum":1e2,"default":0},"n":{"type":"integer","enum":[1,2,3.0]}},"$defs":{"Empty":{},"X-Def":{"type":"string","X-FieldPrompt":"p"}}}`, "sch_id_f24ca79e8b1c193a", "sch_data_id_d9f54064e830eb58"},
		{`{"type":"object","properties":{"lines":{"type":"array","items":{"type":"object","properties":{"qty":{"type":"integer","description":"d"}},"required":["qty"],"examples":[{"qty":1}]}}},"patternProperties":{"^x":{"description":"kept"}},"allOf":[{"description":"removed","title":"t"}]}`, "sch_id_313b612cba3cb5ce", "sch_data_id_d1327e2f0212af93"},
	}
	for _, c := range cases {
		id, dataID, err := schemas.IDs([]byte(c.doc))
		require.NoError(t, err)
		require.Equal(t, c.id, id, c.doc)
		require.Equal(t, c.dataID, dataID, c.doc)
	}
}

func TestIDsOfDerivedSchema(t *testing.T) {
	s, err := schemas.For[CalendarEvent]()
	require.NoError(t, err)
	id, dataID, err := schemas.IDs(s.JSON())
	require.NoError(t, err)
	require.Equal(t, id, s.ID())
	require.Equal(t, dataID, s.DataID())

	// A description changes the id, not the data id.
	d, err := schemas.For[CalendarEvent](schemas.WithDescription("An event on a calendar"))
	require.NoError(t, err)
	require.NotEqual(t, s.ID(), d.ID())
	require.Equal(t, s.DataID(), d.DataID())
}

func TestIDsRefusesInvalidJSON(t *testing.T) {
	for _, doc := range []string{``, `{`, `{"a":1,}`, `{"a":"\ud800x"} x`, "{\"a\":\"\xff\"}"} {
		_, _, err := schemas.IDs([]byte(doc))
		require.ErrorIs(t, err, schemas.ErrInvalidSchema, doc)
	}
}
