// Package sqlitequeue is dumpflow's embedded, durable queue backend: one
// SQLite database per queue (DIR/NAME.sqlite, in WAL mode, through the
// pure-Go modernc.org/sqlite driver) with the peek-lock semantics of an
// Azure Service Bus queue — lock duration and renewal, delivery count,
// dead-lettering after MaxDeliveries with reason queue.ReasonMaxDeliveries,
// explicit dead-lettering with reason and description, scheduled delivery
// and duplicate detection by message ID within a window. It is selected by
// a file:// URL (see OpenURL); docs/operations.md shows how to read a
// queue file with the sqlite3 command-line tool.
//
// maragu.dev/goqite, a queue on SQLite, was considered: it deletes and
// extends by message ID without a lock token (a receiver whose lock
// expired could complete a message another receiver holds), keeps
// messages past their maximum receive count in place instead of in a
// dead-letter queue, and has no duplicate detection, so it does not give
// the port's guarantees; this package uses database/sql directly.
//
// # Durability
//
// Every state change (send, lock, settle, renew, resubmit) is committed
// before the call returns; with synchronous=FULL the write-ahead log is
// fsync'd at every commit. Changes a process makes while a commit is in
// progress share the next transaction, each in a savepoint of its own
// (group commit: one fsync for many sends or settlements). A process
// killed at any point (kill -9) leaves the file in its state before or
// after the interrupted transaction, never in between; messages it held
// locked are redelivered when their locks expire, with DeliveryCount
// incremented.
//
// # Damage
//
// SQLite checksums neither rows nor database pages, so each message row
// carries the CRC-32C of its content (ID, body, properties, enqueue and
// schedule times), checked whenever it is read. A row that fails it is
// never delivered: Receive moves it to the dead-letter queue with reason
// ReasonCorruptMessage, keeping its bytes, and returns a
// *CorruptMessageError naming the file, the row and the message ID. SQLite
// does checksum its write-ahead log, but drops a damaged committed
// transaction silently when it rebuilds its index after a crash; the first
// process to open a queue file therefore checks the log itself and
// refuses to open it (a *WALError) when a committed transaction in it is
// damaged. Damage to SQLite's own structures is reported by SQLite as
// SQLITE_CORRUPT; every such error names the file and the recovery command.
// All of these wrap ErrCorrupt.
//
// # Several processes
//
// On one machine, ingest, worker and analyzer are separate processes that
// share the "captures" and "analysis" queues. SQLite serialises their
// writers: every transaction starts with BEGIN IMMEDIATE, and a process
// that finds the file locked waits up to Options.BusyTimeout (SQLite's
// busy_timeout), then fails with ErrBusy. Within a process, every Queue on
// one file shares one connection. A waiting Receive sees its own process's
// sends at once and other processes' within Options.PollInterval; an idle
// poll is a read and never takes the write lock.
//
// Lock expiry and scheduling use the wall clock of the machine; processes
// sharing a queue must share that clock (they do on one machine). Options
// are not stored in the file: every process sharing a queue should open it
// with the same options.
//
// The file must be on a local file system (SQLite's WAL mode needs shared
// memory between the processes, which network file systems do not give).
package sqlitequeue
