package main

import (
	"cmp"
	"log/slog"
	"path/filepath"

	"github.com/retabhook/retabhook/framework"
	"github.com/retabhook/retabhook/handlers/durable"
)

// quarantineDir is where the synchronous mode keeps its quarantine: DIR/quarantine
// of --data-dir.
func quarantineDir(c durableConfig) string {
	return filepath.Join(cmp.Or(c.Dir, durable.DefaultDir), "quarantine")
}

// openQuarantine opens the store refused authentic deliveries are kept in:
// the durable engine's when the durable mode is on, so that every instance
// shares it, the local disk otherwise.
func openQuarantine(cfg config, logger *slog.Logger, tel *telemetry, dm *durableMode) (framework.QuarantineStore, error) {
	if dm != nil {
		return dm.engine, nil
	}
	opts := []framework.DiskQuarantineOption{framework.DiskLogger(logger)}
	if tel != nil && tel.collector != nil {
		opts = append(opts, framework.DiskObserver(tel.collector))
	}
	dir := quarantineDir(cfg.Durable)
	q, err := framework.OpenDiskQuarantine(dir, opts...)
	if err == nil {
		logger.Info("quarantine", "dir", dir, "max_bytes", framework.DefaultQuarantineMaxBytes, "max_age", framework.DefaultQuarantineMaxAge)
	}
	return q, err
}
