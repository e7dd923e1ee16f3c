//go:build linux

package fileblob

import "golang.org/x/sys/unix"

// syncFS flushes the whole file system holding the open file fd to stable
// storage with syncfs(2): all dirty file data and metadata (inodes,
// directory entries) of that file system, then a device cache flush. Since
// Linux 5.8 it reports writeback errors that occurred since the file was
// opened; before, it always succeeded.
func syncFS(fd int) error { return unix.Syncfs(fd) }

// renameNoReplace renames oldName in directory oldDir to newName in newDir
// unless newName exists (an error matching fs.ErrExist), atomically:
// renameat2(2) with RENAME_NOREPLACE. File systems without it answer an
// error matching errNoRenameat2.
func renameNoReplace(oldDir int, oldName string, newDir int, newName string) error {
	return unix.Renameat2(oldDir, oldName, newDir, newName, unix.RENAME_NOREPLACE)
}

// errNoRenameat2 reports whether err means renameat2 is unsupported.
func errNoRenameat2(err error) bool { return err == unix.EINVAL || err == unix.ENOSYS }

// openat2Beneath opens rel relative to directory dfd without leaving it or
// following symbolic links: openat2(2) with RESOLVE_BENEATH and
// RESOLVE_NO_SYMLINKS (Linux 5.6).
func openat2Beneath(dfd int, rel string, flags int, mode uint32) (int, error) {
	return unix.Openat2(dfd, rel, &unix.OpenHow{
		Flags:   uint64(flags),
		Mode:    uint64(mode),
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
}

// startWriteback asks the kernel to start writing [off, off+n) of the
// file fd to disk now, without waiting (sync_file_range(2) with
// SYNC_FILE_RANGE_WRITE), so that a blob being streamed never piles up
// dirty pages for the next commit's syncfs to flush.
func startWriteback(fd int, off, n int64) {
	_ = unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WRITE)
}
