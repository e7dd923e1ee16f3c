package blob

import (
	"errors"
	"fmt"
)

// ErrCorrupt is matched by errors.Is for every *CorruptError.
var ErrCorrupt = errors.New("blob: stored blob is damaged")

// CorruptError reports a blob whose stored bytes or attributes fail their
// checksum or cannot be decoded: it is never served as if it were intact.
// Use errors.As to get the key and the file.
type CorruptError struct {
	// Key is the blob's key.
	Key string
	// Path is the damaged file, when the backend stores files.
	Path string
	// Reason says what check failed.
	Reason string
}

func (e *CorruptError) Error() string {
	where := ""
	if e.Path != "" {
		where = " (file " + e.Path + ")"
	}
	return fmt.Sprintf("blob: %q%s is damaged: %s; restore it from a copy or delete it (docs/operations.md, \"Damaged blobs\")", e.Key, where, e.Reason)
}

// Is reports whether target is ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }
