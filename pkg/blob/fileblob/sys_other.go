//go:build !linux

package fileblob

import "golang.org/x/sys/unix"

// syncFS flushes all file systems with sync(2), where syncfs(2) does not
// exist. POSIX lets sync return before the writes complete; the systems
// this fallback builds on (macOS, the BSDs) wait for them.
func syncFS(int) error {
	unix.Sync()
	return nil
}

// renameNoReplace is not available: commits fall back to link(2).
func renameNoReplace(int, string, int, string) error { return unix.ENOSYS }

// errNoRenameat2 reports whether err means renameat2 is unsupported.
func errNoRenameat2(err error) bool { return err == unix.ENOSYS }

// openat2Beneath is not available: openBeneath falls back to os.Root.
func openat2Beneath(int, string, int, uint32) (int, error) { return -1, unix.ENOSYS }

// startWriteback does nothing where sync_file_range(2) does not exist.
func startWriteback(int, int64, int64) {}
