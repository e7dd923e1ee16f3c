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
