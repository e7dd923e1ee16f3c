package sqlitequeue

import (
	"context"
	"database/sql"
	"time"
)

// Every change to a queue file goes through one committer per file and
// process: sends, receives, settlements, renewals and resubmissions that
// arrive while a transaction commits wait together and share the next
// one (group commit: one write-ahead-log append and one fsync for all of
// them). Each runs inside a savepoint of its own, so that one failing
// (a lost lock, say) rolls back only its own changes.

// maxBatch bounds how many operations share one transaction.
const maxBatch = 256

// op is one operation waiting for the committer.
type op struct {
	ctx  context.Context // the caller's: an op whose ctx ended before its transaction began is not run
	fn   func(b *batch) error
	done chan error
	// skipped is set by the committer when ctx had ended before the
	// transaction began, so fn did not run.
	skipped bool
	err     error // fn's error; its savepoint was rolled back
}

// batch is what an op's fn works in: the shared transaction and the time
// it began.
type batch struct {
	// ctx is not the caller's: one caller giving up must not abort the
	// others' transaction. SQLite's busy timeout bounds the waits.
	ctx context.Context
	tx  *sql.Tx
	now int64 // Unix ns
	// pruned is set once the duplicate-detection history was pruned in
	// this transaction.
	pruned bool
}

// do runs fn in the committer's next transaction and returns its error,
// or the transaction's. Once fn is queued, do waits for the outcome even
// if ctx ends: the caller must not take a committed change for a lost one.
func (f *sharedFile) do(ctx context.Context, fn func(b *batch) error) error {
	o := &op{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case f.ops <- o:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-o.done
}

// commitLoop is the committer: it takes every op waiting and runs them in
// one transaction, until quit is closed.
func (f *sharedFile) commitLoop() {
	ops := make([]*op, 0, maxBatch)
	for {
		select {
		case <-f.quit:
			return
		case o := <-f.ops:
			ops = append(ops[:0], o)
		}
	more:
		for len(ops) < maxBatch {
			select {
			case o := <-f.ops:
				ops = append(ops, o)
			default:
				break more
			}
		}
		err := f.commit(ops)
		for _, o := range ops {
			switch {
			case o.skipped:
				o.done <- o.ctx.Err()
			case err != nil:
				o.done <- err
			default:
				o.done <- o.err
			}
		}
	}
}

// commit runs ops in one transaction and commits it.
func (f *sharedFile) commit(ops []*op) error {
	ctx := context.Background()
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		return explain(f.path, err)
	}
	defer tx.Rollback()
	b := &batch{ctx: ctx, tx: tx, now: time.Now().UnixNano()}
	isolate := len(ops) > 1
	for _, o := range ops {
		o.skipped = o.ctx.Err() != nil
		if o.skipped {
			continue
		}
		if isolate {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
				return explain(f.path, err)
			}
		}
		o.err = o.fn(b)
		if !isolate && o.err != nil {
			return nil // the deferred rollback undoes what fn did; the op gets o.err
		}
		if isolate {
			if o.err != nil {
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO op"); err != nil {
					return explain(f.path, err)
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE op"); err != nil {
				return explain(f.path, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return explain(f.path, err)
	}
	f.dirty.Store(true)
	return nil
}
