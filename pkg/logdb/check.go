package logdb

import (
	"fmt"
	"os"
)

// CheckResult describes a database file that passed Check.
type CheckResult struct {
	Buckets int
	Keys    int
	// Size is the length of the file's good records and header; TornBytes
	// the length of a torn last record after them (cut off by the next
	// process to take the lock).
	Size      int64
	TornBytes int64
}

// Check reads the database file at path and verifies its header and every
// record, without taking the lock or changing the file. Errors wrap
// ErrCorrupt for a damaged file.
func Check(path string) (CheckResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return CheckResult{}, fmt.Errorf("logdb: check: %w", err)
	}
	s := &store{path: path, f: f, check: true, buckets: map[string]*bucket{}}
	defer s.reset()
	if err := s.readHeader(); err != nil {
		return CheckResult{}, err
	}
	st, err := f.Stat()
	if err != nil {
		return CheckResult{}, fmt.Errorf("logdb: check: %w", err)
	}
	s.end, s.alloc = headerSize, st.Size()
	if err := s.apply(true); err != nil {
		return CheckResult{}, err
	}
	r := CheckResult{Buckets: len(s.buckets), Size: s.end, TornBytes: s.tornBytes}
	for _, b := range s.buckets {
		r.Keys += b.tree.Len()
	}
	return r, nil
}
