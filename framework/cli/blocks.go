package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/schemas"
)

// Retab has no schema upload endpoint any more: a schema travels inline,
// in a workflow Extract block's configuration (or as json_schema on each
// extraction), and an API Call block carries a Request Schema and an
// Output Schema. "schemas export -blocks" writes those configurations
// beside the schema files, under DIR/blocks/.

// blocksDir is where export -blocks writes, under the export directory.
const blocksDir = "blocks"

// blockOptions are the flags of export -blocks.
type blockOptions struct {
	model string // the Extract block's model
	url   string // the API Call block's URL; {kind} is replaced by the kind
}

// extractBlock is a workflow Extract block's configuration, with the
// keys of the example in Retab's block reference (workflows/Blocks.mdx):
// model and json_schema.
type extractBlock struct {
	Model      string          `json:"model"`
	JSONSchema json.RawMessage `json:"json_schema"`
}

// apiCallBlock is a workflow API Call block's configuration: url, method
// and headers as in Retab's block reference; request_schema and
// output_schema name the block's Request Schema and Output Schema
// settings (an assumption: the reference shows no JSON for those two).
type apiCallBlock struct {
	URL           string            `json:"url"`
	Method        string            `json:"method"`
	Headers       map[string]string `json:"headers"`
	RequestSchema json.RawMessage   `json:"request_schema"`
	OutputSchema  json.RawMessage   `json:"output_schema"`
}

// blockFiles returns, for one kind, the block files export -blocks
// writes: name (relative to DIR/blocks) to content.
func blockFiles(r *framework.Router, kind string, opts blockOptions) (map[string][]byte, error) {
	s, _ := r.Schema(kind)
	files := map[string][]byte{}
	b, err := encodeBlock(extractBlock{Model: opts.model, JSONSchema: s.JSON()})
	if err != nil {
		return nil, err
	}
	files[kind+".extract.json"] = b
	out, ok := r.OutputSchema(kind)
	header, bearer, apiCall := r.APICallHeader()
	if !ok || !apiCall {
		return files, nil
	}
	headers := map[string]string{"Content-Type": "application/json"}
	if bearer {
		headers[header] = "Bearer ${API_KEY}"
	} else {
		headers[header] = "${API_KEY}"
	}
	b, err = encodeBlock(apiCallBlock{
		URL: strings.ReplaceAll(opts.url, "{kind}", kind), Method: "POST", Headers: headers,
		RequestSchema: s.JSON(), OutputSchema: out.JSON(),
	})
	if err != nil {
		return nil, err
	}
	files[kind+".api_call.json"] = b
	return files, nil
}

// encodeBlock writes a block configuration as indented JSON, keeping the
// schemas' member order and their characters as they are.
func encodeBlock(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeBlocks writes every kind's block files to dir/blocks and returns
// their paths, relative to dir.
func writeBlocks(r *framework.Router, dir string, opts blockOptions) ([]string, error) {
	bd := filepath.Join(dir, blocksDir)
	if err := os.MkdirAll(bd, 0o755); err != nil {
		return nil, err
	}
	var written []string
	for _, kind := range r.Kinds() {
		if _, err := schemaFile(kind); err != nil {
			return nil, err
		}
		files, err := blockFiles(r, kind, opts)
		if err != nil {
			return nil, err
		}
		for _, name := range slices.Sorted(maps.Keys(files)) {
			if err := os.WriteFile(filepath.Join(bd, name), files[name], 0o644); err != nil {
				return nil, err
			}
			written = append(written, filepath.Join(blocksDir, name))
		}
	}
	return written, nil
}

// checkBlocks compares the schemas inside dir/blocks with the registered
// ones, when that directory exists (export -blocks made it). It returns
// the number of stale files and a line per file.
func checkBlocks(r *framework.Router, dir string) (int, []string) {
	opts := blockOptions{}
	bd := filepath.Join(dir, blocksDir)
	if _, err := os.Stat(bd); err != nil {
		return 0, nil
	}
	stale := 0
	var lines []string
	expected := map[string]bool{}
	for _, kind := range r.Kinds() {
		files, err := blockFiles(r, kind, opts)
		if err != nil {
			return 1, []string{err.Error()}
		}
		for _, name := range slices.Sorted(maps.Keys(files)) {
			expected[name] = true
			path := filepath.Join(blocksDir, name)
			got, err := os.ReadFile(filepath.Join(bd, name))
			if err != nil {
				stale++
				lines = append(lines, fmt.Sprintf("%s: missing: run schemas export -blocks", path))
				continue
			}
			if why := sameBlock(got, files[name]); why != "" {
				stale++
				lines = append(lines, fmt.Sprintf("%s: %s", path, why))
				continue
			}
			lines = append(lines, fmt.Sprintf("%s: up to date", path))
		}
	}
	entries, _ := os.ReadDir(bd)
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") && !expected[e.Name()] {
			stale++
			lines = append(lines, fmt.Sprintf("%s: no registered kind writes this block: delete it, or register the type again", filepath.Join(blocksDir, e.Name())))
		}
	}
	return stale, lines
}

// sameBlock compares the schemas of a block file with what export writes
// now, as documents (a reformatted file is fine; the model, URL and
// headers are the user's to edit). It returns "" when they agree, else
// what differs.
func sameBlock(file, want []byte) string {
	var f, w map[string]json.RawMessage
	if err := json.Unmarshal(file, &f); err != nil {
		return "not a JSON object: " + err.Error()
	}
	if err := json.Unmarshal(want, &w); err != nil {
		return err.Error()
	}
	for _, k := range []string{"json_schema", "request_schema", "output_schema"} {
		if w[k] == nil {
			continue
		}
		fs, err1 := schemas.Parse(f[k])
		ws, err2 := schemas.Parse(w[k])
		if err1 != nil || err2 != nil || !fs.Equal(ws) {
			return k + " differs from the registered type's schema: run schemas export -blocks, and paste the block's configuration into Retab again"
		}
	}
	return ""
}
