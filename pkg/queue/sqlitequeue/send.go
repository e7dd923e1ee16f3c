package sqlitequeue

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Send stores msg durably before returning: the transaction that holds it
// is committed and SQLite has fsync'd the write-ahead log. Operations that
// arrive while a commit is in progress share the next transaction (group
// commit, see commit.go), so concurrent senders share one fsync. A message whose ID was
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
	c := content{
		id:          msg.ID,
		body:        body,
		properties:  props,
		scheduledAt: fromTime(msg.ScheduledAt),
	}
	window := q.opts.DedupeWindow.Nanoseconds()
	err := q.file.do(ctx, func(b *batch) error { return b.send(q.file.stmts, c, window) })
	if err != nil {
		return fmt.Errorf("sqlitequeue: send %q to %s: %w", msg.ID, q.name, explain(q.path, err))
	}
	q.file.notify()
	return nil
}

// send stores c unless its ID was sent within window (ns; ≤ 0 disables
// duplicate detection).
func (b *batch) send(st *sendStmts, c content, window int64) error {
	ctx, tx := b.ctx, b.tx
	if window > 0 {
		cutoff := b.now - window
		if !b.pruned {
			// Forget IDs older than the window, a bounded number per
			// transaction so that no send waits for a long purge.
			if _, err := tx.StmtContext(ctx, st.prune).ExecContext(ctx, cutoff); err != nil {
				return err
			}
			b.pruned = true
		}
		res, err := tx.StmtContext(ctx, st.remember).ExecContext(ctx, c.id, b.now, cutoff)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return nil // a duplicate: dropped, and Send succeeds
		}
	}
	c.enqueuedAt = b.now
	return insertMessage(ctx, tx.StmtContext(ctx, st.insert), &c, max(b.now, c.scheduledAt))
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
