package fileblob

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// claimOwnDir creates this bucket's directory for temporary files,
// DIR/.dumpflow/tmp/w-<random>, and holds an exclusive flock(2) on it
// while open. The kernel drops the flock when the process dies, which is
// how the next Open, in any process, tells a dead writer's files from a
// live one's (removeDeadTemps).
func (d *driver) claimOwnDir() error {
	for range 8 {
		var rnd [12]byte
		_, _ = rand.Read(rnd[:])
		n := tmpDir + "/" + ownerTemp + hex.EncodeToString(rnd[:])
		if err := d.root.Mkdir(n, dirPerm); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return fmt.Errorf("fileblob: creating %s: %w", d.path(n), err)
		}
		f, err := d.root.Open(n)
		if err != nil {
			continue // removed by another process's cleanup before we locked it
		}
		// Between Mkdir and the flock another Open may have found the
		// directory unlocked and removed it: then this one is not ours.
		if !tryFlock(f, true) || !sameFile(f, d.root, n) {
			f.Close()
			continue
		}
		d.own, d.owner = f, n
		return nil
	}
	return fmt.Errorf("fileblob: could not claim a temporary directory in %s", d.path(tmpDir))
}

// sameFile reports whether the open file f is still the one named n.
func sameFile(f *os.File, root *os.Root, n string) bool {
	fi1, err1 := f.Stat()
	fi2, err2 := root.Lstat(n)
	return err1 == nil && err2 == nil && os.SameFile(fi1, fi2)
}

// removeDeadTemps removes the temporary directories of buckets whose
// process died (their flock is free) and any other file in tmpDir.
// Errors are ignored: this is housekeeping, retried at the next Open.
func (d *driver) removeDeadTemps() {
	entries, err := fs.ReadDir(d.root.FS(), tmpDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := tmpDir + "/" + e.Name()
		if n == d.owner {
			continue
		}
		if !e.IsDir() {
			_ = d.root.Remove(n)
			continue
		}
		f, err := d.root.Open(n)
		if err != nil {
			continue
		}
		if tryFlock(f, true) {
			// Its process died, perhaps mid-commit: the next Open alone
			// looks for the attribute files it may have left.
			if mark, err := d.root.OpenFile(sweepMark, os.O_WRONLY|os.O_CREATE, filePerm); err == nil {
				mark.Close()
			}
			_ = d.root.RemoveAll(n)
		}
		f.Close()
	}
}

// removeStaleAttrs removes attribute files that describe no current blob:
// those a commit wrote before a crash kept it from renaming its content,
// and those an overwrite or Delete could not remove before its process
// died. Only called while no other process has the bucket open, so no
// commit is under way, and only after a dead process's temporary
// directory was found (sweepMark). Damaged attribute files are kept: reads
// report them.
func (d *driver) removeStaleAttrs() {
	_ = fs.WalkDir(d.root.FS(), attrsDir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		ino, ok := inoOfAttrsName(path.Base(p))
		if !ok {
			return nil
		}
		sc, err := d.readSidecarFile(p)
		if err != nil {
			return nil
		}
		fi, err := d.root.Lstat(name(sc.Key))
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return nil
		}
		if err != nil || inode(fi) != ino {
			_ = d.root.Remove(p)
		}
		return nil
	})
}

// inoOfAttrsName parses the inode number out of an attribute file's name.
func inoOfAttrsName(base string) (uint64, bool) {
	i := strings.LastIndexByte(base, '.')
	if i < 0 {
		return 0, false
	}
	var ino uint64
	if _, err := fmt.Sscanf(base[i+1:], "%x", &ino); err != nil {
		return 0, false
	}
	return ino, true
}

// tryFlock takes a flock(2) on f without waiting and reports whether it
// got it.
func tryFlock(f *os.File, exclusive bool) bool {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	err := withFd(f, func(fd int) error {
		for {
			err := syscall.Flock(fd, how|syscall.LOCK_NB)
			if err != syscall.EINTR {
				return err
			}
		}
	})
	return err == nil
}

// flockWait takes a flock(2) on f, waiting for it. Only used at Open, for
// the open lock, which others hold exclusively only while cleaning up.
func flockWait(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	err := withFd(f, func(fd int) error {
		for {
			err := syscall.Flock(fd, how)
			if err != syscall.EINTR {
				return err
			}
		}
	})
	if err != nil {
		return fmt.Errorf("fileblob: locking %s: %w", f.Name(), err)
	}
	return nil
}
