package sqlitequeue

import (
	"context"
	"errors"
	"fmt"
)

// Verify checks the whole queue file: SQLite's own structures (PRAGMA
// quick_check) and the checksum of every message and dead-letter row. It
// returns nil for a sound file, else an error wrapping ErrCorrupt that
// lists what is damaged (each damaged row as a *CorruptMessageError). It
// reads every row, so it takes time in proportion to the file; it changes
// nothing.
func (q *Queue) Verify(ctx context.Context) error {
	if err := q.begin(); err != nil {
		return err
	}
	defer q.end()
	var errs []error
	rows, err := q.file.db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return fmt.Errorf("sqlitequeue: verify %s: %w", q.path, explain(q.path, err))
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return fmt.Errorf("sqlitequeue: verify %s: %w", q.path, explain(q.path, err))
		}
		if line != "ok" {
			errs = append(errs, fmt.Errorf("%w: %s: quick_check: %s", ErrCorrupt, q.path, line))
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("sqlitequeue: verify %s: %w", q.path, explain(q.path, err))
	}
	for _, table := range []string{"messages", "dead_letters"} {
		bad, err := q.verifyTable(ctx, table)
		if err != nil {
			return fmt.Errorf("sqlitequeue: verify %s: %w", q.path, explain(q.path, err))
		}
		errs = append(errs, bad...)
	}
	return errors.Join(errs...)
}

func (q *Queue) verifyTable(ctx context.Context, table string) ([]error, error) {
	rows, err := q.file.db.QueryContext(ctx, `SELECT seq, id, body, properties, enqueued_at, scheduled_at, checksum FROM `+table+` ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var bad []error
	for rows.Next() {
		var (
			seq, stored int64
			c           content
		)
		if err := rows.Scan(&seq, &c.id, &c.body, &c.properties, &c.enqueuedAt, &c.scheduledAt, &stored); err != nil {
			return nil, err
		}
		if sum := c.checksum(); sum != stored {
			bad = append(bad, &CorruptMessageError{File: q.path, Table: table, Seq: seq, ID: c.id, Stored: stored, Computed: sum})
		}
	}
	return bad, rows.Err()
}
