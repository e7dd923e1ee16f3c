// Package ingesttest holds in-process fakes for testing ingest and its
// building blocks: a blob.Bucket and a send-side queue.Queue kept in memory,
// and an ARM test double for site lookups. They honour the port contracts
// that ingest relies on (create-if-absent, leases, duplicate detection by
// message id) and nothing more; the real embedded backends are
// pkg/blob/fileblob and pkg/queue/sqlitequeue.
package ingesttest
