// Package fileblob is the local-directory blob.Bucket backend: dumpflow's
// embedded default, selected by a file:// URL such as
// file:///var/lib/dumpflow/blobs.
//
// # Two stores
//
// A blob is kept in one of two stores, chosen when it is written:
//
//   - Small blobs — those whose WriterOptions.Size is set (non-zero) and at
//     most SmallBlobMax (64 KiB; Options.SmallBlobMax changes it) — are
//     records of one pkg/logdb database, DIR/.dumpflow/small.db, shared
//     by every goroutine and process. The writer buffers
//     the bytes (never more than Size) and Close commits them in one
//     transaction; concurrent Closes share one transaction and fsync (group
//     commit), so a burst of incident manifests costs tens of microseconds
//     of CPU each instead of a directory, a temporary file and a rename.
//   - Every other blob — streamed with an unknown Size, or larger — is a
//     file, as described under Layout and Commit.
//
// Readers, List, Delete and every guarantee of blob.Bucket see one bucket:
// a key names at most one blob, whichever store holds it, across all
// processes sharing DIR. That rests on one rule: a blob file gets or loses
// its name only while its process holds the database's lock (file commits
// rename inside logdb's Exclusive, after checking that the database has
// no record under the key), and a small commit checks, inside its
// transaction and so under the same lock, that no file exists for the key.
// Overwrites across stores are done under the lock too, in an order that
// leaves the old blob if the process dies midway: the new version is made
// durable first, then the old one removed. If both a file and a record
// exist for a key (only after such a crash), the file is the blob: reads
// and List show it, and the next overwrite or Delete removes both.
//
// Reads look for a file first, without the lock, and only when there is
// none consult the database and then the file again under the lock, so a
// key moving between stores is never missed. A small blob's reader serves
// its content from a copy of the record taken at open; ModTime is the
// commit time and ETag changes with every commit, as for files. The
// record format (record.go) carries a version byte and a CRC-32C; a damaged
// record is reported as ErrCorrupt and skipped by List, like a damaged
// file.
//
// A small blob's durability is logdb's: Close returns nil only after the
// transaction holding it is appended and fdatasync'd. The database's lock
// is released whenever its process is idle or another process waits for
// it (see pkg/logdb), so it never pins the directory to one process. A
// small.db in the bbolt format of earlier versions is converted on first
// use (the original is kept as small.db.bbolt). An operation that needs the
// database while other processes hold it longer than Options.BusyTimeout
// fails with an error wrapping logdb.ErrBusy.
//
// # Layout
//
// The blob under key "a/b/c.dmp" is the regular file DIR/a/b/c.dmp. Its
// bytes are the blob's content followed by a trailer that holds the content
// type and metadata (see format.go), so a stored dump stays readable by
// tools that read from its start. Keeping content and attributes in one
// inode is what makes the commit atomic: a separate metadata side file
// would need a second rename after the content became visible (readers
// could see content without metadata), or a first one before it (a crash in
// between would leave metadata with no content, indistinguishable from a
// writer still at work). Backend state lives under DIR/.dumpflow/, a name
// that blob.ValidateKey reserves: tmp/ for writers' temporary files,
// leases/ for lease records, and small.db (with its companion
// small.db.waiters) for small blobs.
//
// Among blobs stored as files, a key may not name both a blob and a prefix
// of other keys ("a" and "a/b"), since one path cannot be a file and a
// directory; such a write fails with an error wrapping blob.ErrInvalidKey.
// Small blobs have no such limit, as in Azure. Directories emptied by
// Delete are left in place.
//
// Files are created with mode 0600 and directories with 0700: memory dumps
// hold secrets.
//
// # Commit
//
// A Writer of a blob file streams into a temporary file under
// DIR/.dumpflow/tmp (same file system, so no copy on commit). Close appends
// the trailer and closes the file, then commits in three steps:
//
//  1. A sync of the file system (syncfs(2)) makes the content durable
//     before it has a name: after a crash, a blob's name never points at
//     missing or partial content.
//  2. The file is renamed to the key's name in one step: renameat2(2) with
//     RENAME_NOREPLACE for create-if-absent, which fails if the name exists,
//     so exactly one of any number of racing writers — in any process —
//     wins and the loser's file is discarded (where the file system lacks
//     RENAME_NOREPLACE, link(2), which fails the same way, then unlink of
//     the temporary name); plain rename(2) for Overwrite, which replaces the
//     old blob atomically. Missing parent directories are created first.
//     The rename runs under the small-blob database's lock (see Two
//     stores); an overwrite of a small blob deletes its record after the
//     renamed file's name is durable.
//  3. A second sync makes the new name, and any directory created for it,
//     durable; only then does Close return nil.
//
// The syncs are group commits: concurrent Closes share them (see
// groupSync), so a burst of N commits costs about two syncs, not 2N
// fsyncs plus directory fsyncs. Linux's syncfs writes back all dirty data
// and metadata of the file system holding DIR and flushes the device cache
// before returning; since Linux 5.8 it reports writeback errors, which
// fail the commit. It also writes back other dirty files of that file
// system (a dump being streamed into the same bucket, for instance), which
// costs time, never correctness. On systems other than Linux the fallback
// is sync(2), whose completion POSIX does not promise: the durability
// contract above holds on Linux only.
//
// Readers and List never look inside DIR/.dumpflow for files (only into the
// database, for committed records), so no partial blob is ever visible. Temporary files left by a crashed writer are removed by
// Open once a day old.
//
// All paths are resolved through an os.Root, so neither a key nor a symbolic
// link planted in DIR can reach a file outside it.
//
// # Leases
//
// A lease is a small record file DIR/.dumpflow/leases/<sha256 of key>
// holding the holder's random id and the expiry time. Every acquire, renew
// and release reads and rewrites the record while holding flock(2) on it, so
// the check-and-set is atomic across goroutines and processes; the kernel
// drops a flock when its process dies, and the expiry time frees the lease
// itself. Record files are never removed (removing one could let two
// processes lock different inodes); there is one per lease key ever used.
// Renew succeeds while no one else has taken the lease, even past its expiry,
// as Azure's does. Expiry uses the wall clock, which all processes on one
// machine share.
//
// Memory use is constant whatever the blob size: writes of large blobs go
// straight to the file and ReadAt reads only what it is asked for; a small
// blob is held in memory whole, at most SmallBlobMax bytes per writer or
// reader.
package fileblob
