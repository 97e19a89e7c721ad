// Package atomicfile writes files that a crash leaves whole or absent: the
// bytes go to a synced temporary file in the same directory, which is then
// renamed into place. The quarantine's disk store and the embedded
// server's attach file use it.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// Write writes data to path with mode perm through a synced temporary
// file beside it (named ".tmp-*", so that readers of the directory can
// skip it), renamed into place. Call SyncDir to make the rename itself
// durable.
func Write(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// SyncDir syncs a directory, so that the renames in it survive a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}
