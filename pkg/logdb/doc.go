// Package logdb is a small embedded key-value database in one file,
// shared by the goroutines of a process and by the processes of one
// machine, with group commit. It stores what the embedded backends need
// durably and often (queue messages, small blobs) at the cost of one
// append and one fdatasync per batch of concurrent updates.
//
// The file is a log: a header, then one record per committed batch of
// writes (puts, deletes, bucket creations, sequence changes), each with its
// length and a CRC-32C. Every process keeps an image of it in memory —
// buckets as ordered trees of keys, values of up to 64 bytes, and the
// place in the file of larger values, which are read back when asked for —
// and brings that image up to date from the records other processes
// appended whenever it takes the lock. That costs memory in every process
// using the file, about 200 bytes per key (100,000 queue messages or small
// blobs: some 20–80 MB, a queue message having four keys), and a start-up
// read of the whole file. When the log holds more than twice its live data
// it is compacted: rewritten to PATH.compact, synced and renamed over PATH
// (processes holding the old file reload the new one). Appends go into
// space filled with zeros ahead of them (1 MiB at a time), so that a sync
// flushes data, not the file's size; the log ends at the first zero record
// header.
//
// Concurrency:
//
//   - Within a process, operations take turns through one gate; updates
//     waiting for it are run together and committed as one record.
//   - Between processes, an exclusive flock(2) on PATH.lock guards the
//     file. A process keeps it while it has operations queued and no other
//     process waits, and releases it otherwise. A process that fails to
//     take it announces itself with a shared flock on PATH.waiters while
//     it retries; a holder checks for announced waiters after every batch
//     and lets them in.
//
// Lock attempts never block: a busy file is retried with jittered sleeps of
// 0.2–5 ms until the caller's context ends or Options.BusyTimeout passes
// (ErrBusy).
//
// Durability: Update returns nil only after its record is written and
// fdatasync'd. Records are appended one at a time, each synced before the
// next, so a crash can only tear the last one, which was never
// acknowledged: it is cut off by the next process to take the lock. A
// damaged record anywhere else is reported as ErrCorrupt. The file must be
// on a local file system with working flock(2).
package logdb
