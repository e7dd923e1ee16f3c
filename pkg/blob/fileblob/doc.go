// Package fileblob is the local-directory blob.Bucket backend: dumpflow's
// embedded default, selected by a file:// URL such as
// file:///var/lib/dumpflow/blobs. It is a blob.Driver under blob.Store,
// which applies the rules every backend shares.
//
// # Layout: every blob a plain file
//
// The blob under key "a/b/c.dmp" is the regular file DIR/a/b/c.dmp, and
// its bytes are exactly the blob's content: `sha256sum DIR/a/b/c.dmp`
// prints the SHA-256 the worker recorded for a dump, an incident's
// DIR/reports/{id}/index.html opens in a browser (its links to dumps and
// analyses are relative and resolve inside DIR), and any tool reads the
// JSON manifests. Bucket.Path names a key's file.
//
// Content type, metadata, the content's size and its SHA-256 live in an
// attribute file (a sidecar) per version of a blob, under
// DIR/.dumpflow/attrs/ (see sidecar.go for the format): one line of JSON
// with a CRC-32C of its own, named by the SHA-256 of the key and the inode
// number of the content file it describes. Naming it by inode is what
// keeps a commit atomic with two files: the new version's sidecar is
// written before its content file gets the key's name, and does not
// replace the current version's, so whichever content file the key names
// has its attributes, before, during and after an overwrite, and after a
// crash at any point. Extended attributes were the alternative; they were
// not chosen because ext4 holds at most one block (4 KiB) of them per
// file, less than blob.MaxMetadataSize, and because cp, tar and rsync drop
// them unless asked.
//
// Backend state lives under DIR/.dumpflow/, a name blob.ValidateKey
// reserves and List hides: attrs/ for attribute files, tmp/ for writers'
// temporary files, leases/ for lease records and open.lock.
//
// A key may not name both a blob and a prefix of other keys ("a" and
// "a/b"), since one path cannot be a file and a directory; such a write
// fails with an error wrapping blob.ErrInvalidKey. Directories emptied by
// Delete are left in place. Files are created with mode 0600 and
// directories with 0700: memory dumps hold secrets.
//
// # Commit
//
// A Writer streams into a temporary file in its bucket's directory under
// DIR/.dumpflow/tmp (same file system, so no copy on commit), hashing the
// content with SHA-256 as it goes. Close commits in four steps:
//
//  1. The attribute file of the new version (named by the temporary
//     file's inode) is written.
//  2. A sync of the file system (syncfs(2)) makes content and attributes
//     durable before the content has a name: after a crash, a blob's name
//     never points at missing or partial content, nor at content without
//     attributes.
//  3. The file is renamed to the key's name in one step: renameat2(2) with
//     RENAME_NOREPLACE for create-if-absent, which fails if the name
//     exists, so exactly one of any number of racing writers — in any
//     process — wins and the losers' files are discarded (where the file
//     system lacks RENAME_NOREPLACE, link(2), which fails the same way,
//     then unlink of the temporary name); plain rename(2) for Overwrite,
//     which replaces the old blob atomically. Missing parent directories
//     are created first.
//  4. A second sync makes the new name, and any directory created for it,
//     durable; only then does Close return nil. An overwrite then removes
//     the replaced version's attribute file.
//
// The syncs are group commits: concurrent Closes share them (see
// groupSync), so a burst of N commits costs about two syncs, not 2N
// fsyncs plus directory fsyncs. Linux's syncfs writes back all dirty data
// and metadata of the file system holding DIR and flushes the device cache
// before returning; since Linux 5.8 it reports writeback errors, which
// fail the commit. It also writes back other dirty files of that file
// system, which costs time, never correctness; so that a dump being
// streamed into the bucket never leaves much for it to flush, a writer
// starts the writeback of every 8 MiB it has written (sync_file_range(2)),
// without waiting for it. (Syncing each file and directory with fsync
// instead was measured to cost about twice the CPU per small commit.) On
// systems other than Linux the fallback
// is sync(2), whose completion POSIX does not promise: the durability
// contract above holds on Linux only.
//
// # Crashes
//
// Readers and List never look inside DIR/.dumpflow/tmp, so no partial
// blob is ever visible. Each open Bucket keeps its temporary files in its
// own directory DIR/.dumpflow/tmp/w-<random>, on which it holds an
// exclusive flock(2) while open. The kernel drops the flock when the
// process dies, however it dies, so the next Open — in any process, while
// others keep working — removes every such directory whose flock it can
// take: a killed writer's temporary files are gone at the next start, and
// a live writer's are never touched. Attribute files of commits a crash
// stopped between steps 1 and 3 describe no content file and are never
// read; once a dead writer's directory was found (Open leaves the mark
// DIR/.dumpflow/sweep), the next Open that has the bucket to itself
// removes them (every open bucket holds open.lock shared; the sweep takes
// it exclusively), so the walk over all attribute files is not paid at
// every start.
//
// # Damage
//
// Whole reads are checked against the committed SHA-256: NewReader reads
// a blob of at most 1 MiB (manifests, reports, analyses) whole and checks
// it before returning, and checks a larger one as it is read, failing the
// read that reaches the end instead of returning io.EOF; a ReadAt of a
// whole blob in one call is checked too. Reads of parts of a large blob
// (the analyzer's ranged reads of a dump) cannot be. A mismatch, a content
// file whose size differs from the committed one, a damaged attribute file
// and a file with no attribute file (not written by dumpflow) are all
// reported as a *blob.CorruptError naming the key and the file, never
// served as if intact. List still lists such blobs (with what the file
// system says of them), so they are not silently dropped.
//
// All paths are resolved beneath DIR without following symbolic links
// (openat2(2) with RESOLVE_BENEATH, else an os.Root), so neither a key nor
// a symbolic link planted in DIR can reach a file outside it.
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
// file and ReadAt reads only what it is asked for; NewReader holds at most
// 1 MiB of a blob.
package fileblob
