package logdb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLog feeds arbitrary bytes after a valid header to Check and to a
// database: neither may panic or allocate beyond the file; a file Check
// accepts opens with the same keys, and any other is ErrCorrupt.
func FuzzLog(f *testing.F) {
	var w recordWriter
	w.reset()
	w.create("b")
	w.put("b", []byte("k"), []byte("v"))
	w.put("b", []byte("big"), make([]byte, 100))
	w.seq("b", 7)
	w.delete("b", []byte("k"))
	f.Add(w.finish())
	f.Add([]byte{})
	f.Add([]byte{5, 0, 0, 0, 1, 2, 3, 4, 1, 1, 'b'})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "db")
		file := append(newHeader(), data...)
		if err := os.WriteFile(path, file, 0o600); err != nil {
			t.Fatal(err)
		}
		r, cerr := Check(path)
		if cerr != nil && !errors.Is(cerr, ErrCorrupt) {
			t.Fatalf("Check: %v, want nil or ErrCorrupt", cerr)
		}
		db := Open(path, Options{})
		defer db.Close()
		keys := 0
		err := db.View(context.Background(), func(tx *Tx) error {
			for _, b := range tx.s.buckets {
				keys += b.tree.Len()
			}
			return nil
		})
		switch {
		case cerr != nil && !errors.Is(err, ErrCorrupt):
			t.Fatalf("Check said %v; View: %v", cerr, err)
		case cerr == nil && (err != nil || keys != r.Keys):
			t.Fatalf("Check: %+v; View: %d keys, %v", r, keys, err)
		}
	})
}
