// Package boltfile shares one go.etcd.io/bbolt file between the goroutines
// of a process and between processes on one machine, with group commit.
//
// bbolt holds an exclusive flock(2) on its file for as long as a *bolt.DB
// is open, and caches file state (meta page, freelist, mmap) that is only
// valid while it holds that lock. A File therefore opens the database when
// an operation needs it and keeps it open only while this process has more
// work queued and no other process is waiting for the file:
//
//   - Under load, one open serves many transactions (no reopen, remap or
//     page faults per operation), and concurrent updates are
//     group-committed: N waiting updates cost one fsync'd commit.
//   - When idle, the file is closed, so other processes can open it.
//   - Fairness: a process that fails to take the lock announces itself by
//     holding a shared flock on a companion file (PATH.waiters) while it
//     retries. A holder checks for announced waiters after every
//     operation and, when there are any, closes the database and lets
//     them in before opening it again.
//
// Lock attempts never block: a busy file is retried with jittered sleeps of
// 0.2–5 ms until the caller's context ends or Options.BusyTimeout passes
// (ErrBusy).
//
// Durability is bbolt's: every committed write transaction is fsync'd
// before Update returns, and a crash at any point leaves the old or the new
// state. The file must be on a local file system with working flock(2).
package boltfile
