// Package fileblob is the local-directory blob.Bucket backend: dumpflow's
// embedded default, selected by a file:// URL such as
// file:///var/lib/dumpflow/blobs.
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
// that blob.ValidateKey reserves: tmp/ for writers' temporary files, and
// leases/ for lease records.
//
// A key may not name both a blob and a prefix of other keys ("a" and
// "a/b"), since one path cannot be a file and a directory; such a write
// fails with an error wrapping blob.ErrInvalidKey. Directories emptied by
// Delete are left in place.
//
// Files are created with mode 0600 and directories with 0700: memory dumps
// hold secrets.
//
// # Commit
//
// A Writer streams into a temporary file under DIR/.dumpflow/tmp (same file
// system, so no copy on commit). Close appends the trailer and closes the
// file, then commits in three steps:
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
//  3. A second sync makes the new name, and any directory created for it,
//     durable; only then does Close return nil.
//
// The syncs are group commits: concurrent Closes share them (see
// groupSync), so a burst of N small commits costs about two syncs, not 2N
// fsyncs plus directory fsyncs. Linux's syncfs writes back all dirty data
// and metadata of the file system holding DIR and flushes the device cache
// before returning; since Linux 5.8 it reports writeback errors, which
// fail the commit. It also writes back other dirty files of that file
// system (a dump being streamed into the same bucket, for instance), which
// costs time, never correctness. On systems other than Linux the fallback
// is sync(2), whose completion POSIX does not promise: the durability
// contract above holds on Linux only.
//
// Readers and List never look inside DIR/.dumpflow, so no partial blob is
// ever visible. Temporary files left by a crashed writer are removed by
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
// Memory use is constant whatever the blob size: writes go straight to the
// file and ReadAt reads only what it is asked for.
package fileblob
