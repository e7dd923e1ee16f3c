package sqlitequeue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// maxBatch bounds how many sends share one transaction.
const maxBatch = 256

// sendReq is one Send waiting for the group committer.
type sendReq struct {
	ctx    context.Context
	row    content
	window int64 // dedupe window in ns; ≤ 0 disables detection
	done   chan error
	// skipped is set by the committer when ctx had ended before the
	// transaction began, so the message was not written.
	skipped bool
}

// Send stores msg durably before returning: the transaction that holds it
// is committed and SQLite has fsync'd the write-ahead log. Sends that
// arrive while a commit is in progress share the next transaction (group
// commit), so concurrent senders share one fsync. A message whose ID was
// sent within the dedupe window is dropped and Send returns nil. An
// invalid message fails with an error wrapping queue.ErrInvalidMessage.
func (q *Queue) Send(ctx context.Context, msg queue.Message) error {
	if err := queue.ValidateMessage(msg); err != nil {
		return err
	}
	if err := q.begin(); err != nil {
		return err
	}
	defer q.end()
	props := ""
	if len(msg.Properties) > 0 {
		b, err := json.Marshal(msg.Properties) // map keys sorted: one text per map
		if err != nil {
			return fmt.Errorf("sqlitequeue: send %q: properties: %w", msg.ID, err)
		}
		props = string(b)
	}
	body := msg.Body
	if body == nil {
		body = []byte{} // body is NOT NULL
	}
	r := &sendReq{
		ctx: ctx,
		row: content{
			id:          msg.ID,
			body:        body,
			properties:  props,
			scheduledAt: fromTime(msg.ScheduledAt),
		},
		window: q.opts.DedupeWindow.Nanoseconds(),
		done:   make(chan error, 1),
	}
	select {
	case q.file.sends <- r:
	case <-ctx.Done():
		return fmt.Errorf("sqlitequeue: send %q to %s: %w", msg.ID, q.name, ctx.Err())
	}
	// Wait for the outcome even if ctx ends: the committer may be writing
	// the message, and the caller must not take a stored message for a
	// lost one without being told so.
	if err := <-r.done; err != nil {
		return fmt.Errorf("sqlitequeue: send %q to %s: %w", msg.ID, q.name, err)
	}
	q.file.notify()
	return nil
}

// commitLoop is the group committer: it takes every send waiting and
// stores them in one transaction, until quit is closed.
func (f *sharedFile) commitLoop() {
	batch := make([]*sendReq, 0, maxBatch)
	for {
		select {
		case <-f.quit:
			return
		case r := <-f.sends:
			batch = append(batch[:0], r)
		}
	more:
		for len(batch) < maxBatch {
			select {
			case r := <-f.sends:
				batch = append(batch, r)
			default:
				break more
			}
		}
		err := f.commitSends(batch)
		for _, r := range batch {
			switch {
			case r.skipped:
				r.done <- r.ctx.Err()
			default:
				r.done <- err
			}
		}
	}
}

// commitSends stores batch in one transaction. A request whose context
// ended before the transaction began is left out (and gets its context's
// error); once it is in, its outcome is the transaction's.
func (f *sharedFile) commitSends(batch []*sendReq) error {
	// Context-free on purpose: a commit is not abandoned halfway because
	// one of the callers gave up; SQLite's busy timeout bounds the wait.
	ctx := context.Background()
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return explain(f.path, err)
	}
	defer tx.Rollback()
	now := time.Now().UnixNano()
	pruned := false
	for _, r := range batch {
		r.skipped = r.ctx.Err() != nil
		if r.skipped {
			continue
		}
		if r.window > 0 {
			cutoff := now - r.window
			if !pruned {
				// Forget IDs older than the window, a bounded number per
				// transaction so that no send waits for a long purge.
				_, err := tx.StmtContext(ctx, f.stmts.prune).ExecContext(ctx, cutoff)
				if err != nil {
					return explain(f.path, err)
				}
				pruned = true
			}
			// Remember the ID unless it was seen within the window.
			res, err := tx.StmtContext(ctx, f.stmts.remember).ExecContext(ctx, r.row.id, now, cutoff)
			if err != nil {
				return explain(f.path, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				continue // a duplicate: dropped, and Send succeeds
			}
		}
		c := r.row
		c.enqueuedAt = now
		if err := insertMessage(ctx, tx.StmtContext(ctx, f.stmts.insert), &c, max(now, c.scheduledAt)); err != nil {
			return explain(f.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return explain(f.path, err)
	}
	f.dirty.Store(true)
	return nil
}

// Statements of the send path, prepared once per file: SQLite's parser
// took a sixth of ingest's CPU time when they were parsed on every send.
const (
	sqlPrune = `DELETE FROM sent_ids WHERE id IN
		(SELECT id FROM sent_ids WHERE sent_at <= ? ORDER BY sent_at LIMIT 512)`
	// sqlRemember records an ID unless it was seen within the window
	// (then it changes no row).
	sqlRemember = `INSERT INTO sent_ids (id, sent_at) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET sent_at = excluded.sent_at WHERE sent_ids.sent_at <= ?`
	sqlInsert = `INSERT INTO messages
		(id, body, properties, enqueued_at, scheduled_at, checksum, visible_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
)

// sendStmts are the prepared statements of the send path.
type sendStmts struct {
	prune, remember, insert *sql.Stmt
}

func prepareSend(ctx context.Context, db *sql.DB) (*sendStmts, error) {
	var s sendStmts
	var err error
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{{&s.prune, sqlPrune}, {&s.remember, sqlRemember}, {&s.insert, sqlInsert}} {
		if *p.stmt, err = db.PrepareContext(ctx, p.sql); err != nil {
			return nil, err
		}
	}
	return &s, nil
}

// insertMessage adds c as a new message, deliverable from visibleAt,
// through insert, a statement of sqlInsert.
func insertMessage(ctx context.Context, insert *sql.Stmt, c *content, visibleAt int64) error {
	_, err := insert.ExecContext(ctx, c.id, c.body, c.properties, c.enqueuedAt, c.scheduledAt, c.checksum(), visibleAt)
	return err
}
