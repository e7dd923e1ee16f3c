package sqlitequeue

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/queue"
)

// newLockToken makes a token "SEQ.RANDOM": the row's seq finds the
// message, the random part proves this delivery holds its lock (it is
// stored in the row's lock_token column while the lock lasts).
func newLockToken(seq int64) string {
	var r [12]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return strconv.FormatInt(seq, 16) + "." + hex.EncodeToString(r[:])
}

// parseLockToken returns the seq in a token, or an error wrapping
// queue.ErrLockLost for a token this backend did not issue.
func parseLockToken(tok string) (int64, error) {
	s, _, ok := strings.Cut(tok, ".")
	if !ok {
		return 0, fmt.Errorf("%w: malformed lock token %.40q", queue.ErrLockLost, tok)
	}
	seq, err := strconv.ParseInt(s, 16, 64)
	if err != nil || seq <= 0 {
		return 0, fmt.Errorf("%w: malformed lock token %.40q", queue.ErrLockLost, tok)
	}
	return seq, nil
}
