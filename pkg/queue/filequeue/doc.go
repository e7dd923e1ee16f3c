// Package filequeue is dumpflow's embedded, durable queue backend: one
// pkg/logdb database file per queue (DIR/NAME.queue) with the peek-lock
// semantics of an Azure Service Bus queue — lock duration and renewal,
// delivery count, dead-lettering after MaxDeliveries with reason
// queue.ReasonMaxDeliveries, explicit dead-lettering with reason and
// description, scheduled delivery and duplicate detection by message ID
// within a window. It is selected by a file:// URL (see OpenURL).
//
// # Durability
//
// Every state change (send, lock, settle, renew) is one logdb transaction,
// appended to the file and fdatasync'd before the call returns (concurrent
// ones share the append and the sync). A process killed at any point
// (kill -9) leaves the file in its state before or after the interrupted
// transaction, never in between; messages it held locked are redelivered
// when their locks expire, with DeliveryCount incremented. A queue file in
// the bbolt format of earlier versions is converted when first opened (the
// original is kept as DIR/NAME.queue.bbolt).
//
// # Several processes
//
// On one machine, ingest, worker and analyzer are separate processes that
// share the "captures" and "analysis" queues, so a queue file must be
// usable by several processes at once. The file is shared through
// pkg/logdb: a process takes the file's lock (DIR/NAME.queue.lock) when it
// has work, keeps it (group-committed transactions) while work keeps
// coming and no other process waits, releases it when idle or when another
// process announces that it waits, and retries a busy lock with jittered
// 0.2–5 ms sleeps up to Options.BusyTimeout (then ErrBusy); a waiting
// process announces itself through a lock on DIR/NAME.queue.waiters.
// Goroutines of one process take turns through one gate shared by every
// Queue on the same path.
//
// A waiting Receive sees its own process's sends at once and other
// processes' sends within Options.PollInterval. See the package benchmarks
// for throughput.
//
// Lock expiry and scheduling use the wall clock of the machine; processes
// sharing a queue must share that clock (they do on one machine). Options
// are not stored in the file: every process sharing a queue should open it
// with the same options.
//
// The file must be on a local file system with working flock(2) (not NFS).
package filequeue
