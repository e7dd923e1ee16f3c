package worker

import (
	"errors"
	"syscall"
)

// localStorageFailure reports whether err is the local disk under the
// bucket refusing writes: full, over quota, read-only, or a file too large.
// Such a failure is permanent for the retry loop: each retry would ask Kudu
// for a new dump — another freeze of the process — that could not be stored
// either (issue 22: a full disk caused four freezes for one failure).
func localStorageFailure(err error) bool {
	for _, e := range []error{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EFBIG} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
