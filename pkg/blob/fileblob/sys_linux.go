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
