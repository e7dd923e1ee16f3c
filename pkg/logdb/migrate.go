package logdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bboltMagic is the magic number in a go.etcd.io/bbolt file's meta page,
// after the 16-byte page header: the format dumpflow's queue files and
// small-blob database had before this package.
const bboltMagic = 0xED0CDAED

// isBbolt reports whether the file begins like a bbolt database.
func isBbolt(h []byte) bool {
	return len(h) >= 24 && binary.LittleEndian.Uint32(h[16:20]) == bboltMagic
}

// migrate converts the bbolt database at s.path into a log with the same
// buckets (top-level only), keys, values and sequences. The original is
// kept as PATH.bbolt: it is hard-linked there first, then the log is
// written beside it and renamed over PATH, so a crash at any point leaves
// either the bbolt file (migrated again next time) or the complete log.
// bbolt's own lock on the file is held throughout, so a process of an
// older dumpflow still using it is waited for (up to busyTimeout). The
// caller holds this package's lock.
func (s *store) migrate(busyTimeout time.Duration) error {
	old, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: busyTimeout, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("logdb: migrate bbolt file %s: %w", s.path, err)
	}
	defer old.Close()
	backup := s.path + ".bbolt"
	if err := os.Remove(backup); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("logdb: migrate %s: %w", s.path, err)
	}
	if err := os.Link(s.path, backup); err != nil {
		return fmt.Errorf("logdb: migrate %s: keep the original: %w", s.path, err)
	}
	img := &store{path: s.path, buckets: map[string]*bucket{}}
	err = old.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			nb := newBucket(string(name))
			nb.seq = b.Sequence()
			img.buckets[nb.name] = nb
			return b.ForEach(func(k, v []byte) error {
				if v == nil {
					return fmt.Errorf("nested bucket %q in %q is not supported", k, name)
				}
				nb.tree.ReplaceOrInsert(&entry{key: bytes.Clone(k), val: append([]byte{}, v...), n: len(v)})
				return nil
			})
		})
	})
	if err == nil {
		var f *os.File
		// A failed directory sync is let pass: the bbolt file, should its
		// name come back after a power loss, is migrated again.
		f, err = installFile(s.path, ".compact", func(f *os.File) error {
			_, _, err := img.writeSnapshot(f)
			return err
		})
		if f != nil {
			err = f.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("logdb: migrate bbolt file %s: %w", s.path, err)
	}
	return nil
}
