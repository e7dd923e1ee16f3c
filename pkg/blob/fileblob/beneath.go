package fileblob

import (
	"errors"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// openContent opens a content file for reading. O_NONBLOCK, which does
// nothing for regular files, keeps a FIFO planted under a key's name from
// blocking the open.
const openContent = os.O_RDONLY | unix.O_NONBLOCK

// openat2Missing is set once openat2(2) turned out to be unavailable
// (Linux before 5.6, or a seccomp filter that refuses it).
var openat2Missing atomic.Bool

// openBeneath opens rel, a root-relative name, with one openat2(2) that
// refuses to leave DIR or follow any symbolic link: as safe as os.Root,
// which resolves a name one component (one system call) at a time, and
// cheaper for the deep names of blobs. Where openat2 is unavailable it
// falls back to os.Root.
func (d *driver) openBeneath(rel string, flags int, mode os.FileMode) (*os.File, error) {
	if !openat2Missing.Load() {
		var f *os.File
		err := withFd(d.dirf, func(dfd int) error {
			fd, err := openat2Beneath(dfd, rel, flags|unix.O_CLOEXEC, uint32(mode.Perm()))
			if err != nil {
				return err
			}
			f = os.NewFile(uintptr(fd), d.path(rel))
			return nil
		})
		if !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) {
			if err != nil {
				return nil, &os.PathError{Op: "openat2", Path: d.path(rel), Err: err}
			}
			return f, nil
		}
		openat2Missing.Store(true)
	}
	return d.root.OpenFile(rel, flags, mode)
}
