package sqlitequeue

import (
	"context"
	"database/sql"
	"time"
)

// SQLite copies the write-ahead log back into the database file in a
// checkpoint, which fsyncs the log and the file. Left to itself it does
// so inside the commit that makes the log pass 1,000 pages: with a
// transaction per few messages, every few hundred sends would wait for two
// more fsyncs. Instead each process checkpoints on a connection of its
// own, off the send path, every checkpointInterval after a commit (a
// PASSIVE checkpoint, which never blocks writers or readers); the writer
// that then finds the whole log copied starts it again from the top.

const (
	checkpointInterval  = 100 * time.Millisecond
	autoCheckpointPages = 16384 // 64 MiB of 4 KiB pages: only if checkpointLoop falls behind
)

// checkpointLoop runs PASSIVE checkpoints on ckpt while commits happen,
// until quit is closed.
func (f *sharedFile) checkpointLoop() {
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-f.quit:
			return
		case <-t.C:
		}
		if !f.dirty.Swap(false) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		// Errors are not fatal: the next commit's checkpoint (or the
		// writer's own at autoCheckpointPages) catches up.
		_, _ = f.ckpt.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		cancel()
	}
}

// openCheckpointer opens the checkpointing connection of path.
func openCheckpointer(path string, busy int64) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, busy))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}
