package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/retabhook/retabhook/internal/atomicfile"
)

// DiskQuarantine is a [QuarantineStore] in a directory of the local disk:
// each entry is two files, <id>.body (the exact bytes) and <id>.json (the
// record), each written to a temporary file, synced and renamed into
// place, then the directory synced, so that a crash leaves either the
// whole entry or none (the record is written last and is what makes an
// entry exist). Several processes may use the same directory at once (the
// receiver and its command line): no file is ever rewritten in place.
//
// The store keeps at most [DiskMaxBytes] bytes and entries at most
// [DiskMaxAge] old, checked on each Put: the oldest entries are dropped
// first, each with a warning log line and a [QuarantineObserver] call.
type DiskQuarantine struct {
	dir      string
	maxBytes int64
	maxAge   time.Duration
	log      *slog.Logger
	obs      QuarantineObserver

	mu      sync.Mutex
	sizes   map[string]int64 // id -> bytes of its two files, as last seen
	ids     []string         // the keys of sizes, sorted: oldest first
	total   int64
	scanned time.Time // last directory scan
}

// DiskQuarantineOption configures [OpenDiskQuarantine].
type DiskQuarantineOption func(*DiskQuarantine) error

// DiskMaxBytes bounds the bytes the store holds (bodies and records).
// Default: [DefaultQuarantineMaxBytes] (1 GiB).
func DiskMaxBytes(n int64) DiskQuarantineOption {
	return func(q *DiskQuarantine) error {
		if n <= 0 {
			return fmt.Errorf("retabhook: DiskMaxBytes(%d): must be positive", n)
		}
		q.maxBytes = n
		return nil
	}
}

// DiskMaxAge bounds how long an entry is kept. Default:
// [DefaultQuarantineMaxAge] (30 days).
func DiskMaxAge(d time.Duration) DiskQuarantineOption {
	return func(q *DiskQuarantine) error {
		if d <= 0 {
			return fmt.Errorf("retabhook: DiskMaxAge(%s): must be positive", d)
		}
		q.maxAge = d
		return nil
	}
}

// DiskLogger sets the logger of the drop lines. Default: slog.Default().
func DiskLogger(l *slog.Logger) DiskQuarantineOption {
	return func(q *DiskQuarantine) error {
		if l == nil {
			return errors.New("retabhook: DiskLogger(nil)")
		}
		q.log = l
		return nil
	}
}

// DiskObserver is told of each entry dropped by the bounds. Default: none.
func DiskObserver(o QuarantineObserver) DiskQuarantineOption {
	return func(q *DiskQuarantine) error {
		if o == nil {
			return errors.New("retabhook: DiskObserver(nil)")
		}
		q.obs = o
		return nil
	}
}

// orphanAge is how old a body without a record (a crash between the two
// renames) or a temporary file must be before Open removes it: younger
// ones may belong to a Put of another process in progress.
const orphanAge = time.Minute

// OpenDiskQuarantine opens (creating it, mode 0700) the store in dir.
func OpenDiskQuarantine(dir string, opts ...DiskQuarantineOption) (*DiskQuarantine, error) {
	q := &DiskQuarantine{dir: dir, maxBytes: DefaultQuarantineMaxBytes, maxAge: DefaultQuarantineMaxAge}
	for _, o := range opts {
		if err := o(q); err != nil {
			return nil, err
		}
	}
	if q.log == nil {
		q.log = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("retabhook: quarantine directory: %w", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.scan(true); err != nil {
		return nil, err
	}
	return q, nil
}

// Dir returns the store's directory.
func (q *DiskQuarantine) Dir() string { return q.dir }

func (q *DiskQuarantine) path(id, ext string) string { return filepath.Join(q.dir, id+ext) }

// scan reads the directory into the index; with clean it also removes
// old orphans and temporary files. q.mu is held.
func (q *DiskQuarantine) scan(clean bool) error {
	ents, err := os.ReadDir(q.dir)
	if err != nil {
		return fmt.Errorf("retabhook: reading the quarantine: %w", err)
	}
	records := map[string]bool{}
	for _, e := range ents {
		if id, ok := strings.CutSuffix(e.Name(), ".json"); ok && validQuarantineID(id) {
			records[id] = true
		}
	}
	q.sizes, q.ids, q.total = map[string]int64{}, nil, 0
	for _, e := range ents {
		name := e.Name()
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		id, ext, _ := strings.Cut(name, ".")
		switch {
		case strings.HasPrefix(name, ".tmp-") || (ext == "body" && !records[id]):
			if clean && time.Since(info.ModTime()) > orphanAge {
				_ = os.Remove(filepath.Join(q.dir, name))
			}
			continue
		case !records[id] || (ext != "json" && ext != "body"):
			continue
		}
		if _, ok := q.sizes[id]; !ok {
			q.ids = append(q.ids, id)
		}
		q.sizes[id] += info.Size()
		q.total += info.Size()
	}
	slices.Sort(q.ids)
	q.scanned = time.Now()
	return nil
}

// Put implements [QuarantineStore].
func (q *DiskQuarantine) Put(ctx context.Context, e *QuarantineEntry) error {
	if !validQuarantineID(e.ID) {
		return fmt.Errorf("retabhook: quarantine id %q is not one of NewQuarantineID's", e.ID)
	}
	rec, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("retabhook: encoding the quarantine record: %w", err)
	}
	for _, f := range []struct {
		ext  string
		data []byte
	}{{".body", e.Body}, {".json", rec}} { // the record last: it makes the entry exist
		if err := atomicfile.Write(q.path(e.ID, f.ext), f.data, 0o600); err != nil {
			return fmt.Errorf("retabhook: writing the quarantine: %w", err)
		}
	}
	if err := atomicfile.SyncDir(q.dir); err != nil {
		return fmt.Errorf("retabhook: syncing the quarantine directory: %w", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	n := int64(len(e.Body) + len(rec))
	if _, ok := q.sizes[e.ID]; !ok {
		q.index(e.ID)
	}
	q.total += n - q.sizes[e.ID]
	q.sizes[e.ID] = n
	q.bound(ctx, e.ID)
	return nil
}

// rescanEvery is how often bound rereads the directory, to see what other
// processes added or removed, when its index says the store is full.
const rescanEvery = 10 * time.Second

// bound drops the oldest entries past the bounds, never keep (the entry
// just written). q.mu is held.
func (q *DiskQuarantine) bound(ctx context.Context, keep string) {
	now := time.Now()
	over := q.total > q.maxBytes
	if over && now.Sub(q.scanned) > rescanEvery {
		if err := q.scan(false); err != nil {
			q.log.WarnContext(ctx, "retabhook: quarantine bounds not checked", "error", err.Error())
			return
		}
		over = q.total > q.maxBytes
	}
	for i := 0; i < len(q.ids); { // oldest first: ids begin with the time
		id := q.ids[i]
		if id == keep {
			i++
			continue
		}
		t, _ := quarantineIDTime(id)
		reason := ""
		switch {
		case q.total > q.maxBytes:
			reason = "size"
		case now.Sub(t) > q.maxAge:
			reason = "age"
		default:
			return
		}
		q.drop(ctx, id, reason) // removes q.ids[i]
	}
}

// index adds a new id to q.ids, in order: usually at the end, since ids
// begin with the time. q.mu is held.
func (q *DiskQuarantine) index(id string) {
	if n := len(q.ids); n == 0 || q.ids[n-1] < id {
		q.ids = append(q.ids, id)
		return
	}
	i, _ := slices.BinarySearch(q.ids, id)
	q.ids = slices.Insert(q.ids, i, id)
}

// forget removes id from the index. q.mu is held.
func (q *DiskQuarantine) forget(id string) {
	if _, ok := q.sizes[id]; !ok {
		return
	}
	q.total -= q.sizes[id]
	delete(q.sizes, id)
	if i, ok := slices.BinarySearch(q.ids, id); ok {
		q.ids = slices.Delete(q.ids, i, i+1)
	}
}

// drop removes an entry to stay within the bounds. q.mu is held.
func (q *DiskQuarantine) drop(ctx context.Context, id, reason string) {
	var e QuarantineEntry
	if b, err := os.ReadFile(q.path(id, ".json")); err == nil {
		_ = json.Unmarshal(b, &e)
	}
	e.ID = id
	err := q.remove(id)
	q.forget(id)
	if errors.Is(err, ErrNotQuarantined) {
		return // removed by another process meanwhile
	}
	q.log.WarnContext(ctx, "retabhook: quarantine bound reached; dropped the oldest entry", "quarantine_id", id,
		"reason", reason, "kind", e.Kind, "problem", e.Problem.Type, "max_bytes", q.maxBytes, "max_age", q.maxAge)
	if q.obs != nil {
		q.obs.QuarantineDropped(ctx, e, reason)
	}
}

// Get implements [QuarantineStore].
func (q *DiskQuarantine) Get(_ context.Context, id string) (*QuarantineEntry, error) {
	if !validQuarantineID(id) {
		return nil, fmt.Errorf("%w: %q", ErrNotQuarantined, id)
	}
	rec, err := os.ReadFile(q.path(id, ".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q", ErrNotQuarantined, id)
	}
	if err != nil {
		return nil, fmt.Errorf("retabhook: reading quarantine entry %s: %w", id, err)
	}
	var e QuarantineEntry
	if err := json.Unmarshal(rec, &e); err != nil {
		return nil, fmt.Errorf("retabhook: quarantine entry %s: %w", id, err)
	}
	body, err := os.ReadFile(q.path(id, ".body"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %q", ErrNotQuarantined, id) // deleted meanwhile
	}
	if err != nil {
		return nil, fmt.Errorf("retabhook: reading quarantine entry %s: %w", id, err)
	}
	if int64(len(body)) != e.Size {
		return nil, fmt.Errorf("retabhook: quarantine entry %s: the body has %d bytes, the record says %d", id, len(body), e.Size)
	}
	e.Body = body
	return &e, nil
}

// List implements [QuarantineStore].
func (q *DiskQuarantine) List(context.Context) ([]QuarantineEntry, error) {
	ents, err := os.ReadDir(q.dir)
	if err != nil {
		return nil, fmt.Errorf("retabhook: reading the quarantine: %w", err)
	}
	var out []QuarantineEntry
	for _, de := range ents {
		id, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok || !validQuarantineID(id) {
			continue
		}
		rec, err := os.ReadFile(q.path(id, ".json"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return out, fmt.Errorf("retabhook: reading quarantine entry %s: %w", id, err)
		}
		var e QuarantineEntry
		if err := json.Unmarshal(rec, &e); err != nil {
			return out, fmt.Errorf("retabhook: quarantine entry %s: %w", id, err)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b QuarantineEntry) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Delete implements [QuarantineStore].
func (q *DiskQuarantine) Delete(_ context.Context, id string) error {
	if !validQuarantineID(id) {
		return fmt.Errorf("%w: %q", ErrNotQuarantined, id)
	}
	err := q.remove(id)
	q.mu.Lock()
	q.forget(id)
	q.mu.Unlock()
	return err
}

// remove deletes the record (which ends the entry), then the body.
func (q *DiskQuarantine) remove(id string) error {
	err := os.Remove(q.path(id, ".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %q", ErrNotQuarantined, id)
	}
	if err != nil {
		return fmt.Errorf("retabhook: removing quarantine entry %s: %w", id, err)
	}
	if err := os.Remove(q.path(id, ".body")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("retabhook: removing quarantine entry %s: %w", id, err)
	}
	return nil
}
