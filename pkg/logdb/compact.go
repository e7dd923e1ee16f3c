package logdb

import (
	"fmt"
	"os"
	"slices"
)

// compactMin is the smallest log worth compacting: below it, rewriting
// costs more than the space it frees.
const compactMin = 4 << 20

// wantsCompaction reports whether the log has grown to more than twice
// what a compacted file would hold (and past compactMin, and past the
// point of the last failed attempt).
func (s *store) wantsCompaction() bool {
	return s.end > compactMin && s.end > 2*s.live+compactMin/2 && s.end > s.compactFailedAt*2
}

// compact replaces the log with a new file holding only the live data:
// written beside it, synced, then renamed over it, so a crash leaves one
// or the other whole. Other processes notice the new file (a new inode)
// at their next sync and reload it. The caller holds the lock.
func (s *store) compact() error {
	var end int64
	var moves []move
	f, err := installFile(s.path, ".compact", func(f *os.File) (err error) {
		end, moves, err = s.writeSnapshot(f)
		return err
	})
	if f == nil {
		s.compactFailedAt = s.end
		return fmt.Errorf("logdb: compact %s: %w", s.path, err)
	}
	// A failed directory sync is let pass: the old file, should its name
	// come back after a power loss, holds the same data.
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		s.reset()
		return fmt.Errorf("logdb: compact %s: %w", s.path, err)
	}
	_ = s.f.Close()
	s.f, s.ino, s.end, s.alloc, s.compactFailedAt = f, inode(st), end, st.Size(), 0
	for _, m := range moves {
		m.e.off = m.off
	}
	return nil
}

type move struct {
	e   *entry
	off int64
}

// writeSnapshot writes the header and every bucket's sequence and entries
// to f in records of about 1 MiB. It returns the end of the data and the
// new places of the values read from the file.
func (s *store) writeSnapshot(f *os.File) (int64, []move, error) {
	if _, err := f.WriteAt(newHeader(), 0); err != nil {
		return 0, nil, err
	}
	pos := int64(headerSize)
	var moves, chunk []move
	w := &recordWriter{}
	w.reset()
	flush := func() error {
		if w.empty() {
			return nil
		}
		rec := w.finish()
		if _, err := f.WriteAt(rec, pos); err != nil {
			return err
		}
		for _, m := range chunk {
			moves = append(moves, move{e: m.e, off: pos + m.off})
		}
		chunk = chunk[:0]
		pos += int64(len(rec))
		w.reset()
		return nil
	}
	names := make([]string, 0, len(s.buckets))
	for name := range s.buckets {
		names = append(names, name)
	}
	slices.Sort(names)
	var err error
	for _, name := range names {
		b := s.buckets[name]
		w.create(name)
		if b.seq > 0 {
			w.seq(name, b.seq)
		}
		b.tree.Ascend(func(e *entry) bool {
			var v []byte
			if v, err = s.value(e); err != nil {
				return false
			}
			off := w.put(name, e.key, v)
			if e.val == nil && e.n > 0 {
				chunk = append(chunk, move{e: e, off: int64(off)})
			}
			if len(w.buf) >= 1<<20 {
				err = flush()
			}
			return err == nil
		})
		if err != nil {
			return 0, nil, err
		}
	}
	if err := flush(); err != nil {
		return 0, nil, err
	}
	return pos, moves, nil
}
