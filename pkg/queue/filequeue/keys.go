package filequeue

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/logdb"
	"github.com/dumpflow/dumpflow/pkg/queue"
)

// Buckets of a queue file.
//
//	msgs     seq(8)              → record   live messages (available, scheduled or locked)
//	ready    visibleAt(8)+seq(8) → nil      every live message, ordered by when it may be delivered
//	ids      message ID          → sentAt(8) duplicate-detection history
//	idtime   sentAt(8)+ID        → nil      the same history ordered by time, for pruning
//	dead     seq(8)              → record   the dead-letter sub-queue, oldest first
var (
	bucketMsgs   = []byte("msgs")
	bucketReady  = []byte("ready")
	bucketIDs    = []byte("ids")
	bucketIDTime = []byte("idtime")
	bucketDead   = []byte("dead")
	allBuckets   = [][]byte{bucketMsgs, bucketReady, bucketIDs, bucketIDTime, bucketDead}
)

// buckets are the open buckets of one transaction.
type buckets struct {
	msgs, ready, ids, idtime, dead *logdb.Bucket
}

// openBuckets returns tx's buckets, or an error if the file lacks them (it
// is not a queue file, or was damaged).
func openBuckets(tx *logdb.Tx) (*buckets, error) {
	b := &buckets{
		msgs:   tx.Bucket(bucketMsgs),
		ready:  tx.Bucket(bucketReady),
		ids:    tx.Bucket(bucketIDs),
		idtime: tx.Bucket(bucketIDTime),
		dead:   tx.Bucket(bucketDead),
	}
	if b.msgs == nil || b.ready == nil || b.ids == nil || b.idtime == nil || b.dead == nil {
		return nil, fmt.Errorf("%w: missing buckets (not a queue file?)", errCorrupt)
	}
	return b, nil
}

func u64(v uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, v)
}

// readyKey orders by visibility time, then by sequence (FIFO among equals).
// Times before 1970 are clamped to 0 so that the order stays monotonic.
func readyKey(visibleAt int64, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(max(visibleAt, 0)))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

func idTimeKey(sentAt int64, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(max(sentAt, 0)))
	return append(k, id...)
}

// newLockToken makes a token "SEQ.RANDOM": the sequence number finds the
// record, the random part proves this delivery holds its lock.
func newLockToken(seq uint64) string {
	var r [12]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return strconv.FormatUint(seq, 16) + "." + hex.EncodeToString(r[:])
}

// parseLockToken returns the sequence number in a token, or an error
// wrapping queue.ErrLockLost for a token this backend did not issue.
func parseLockToken(tok string) (uint64, error) {
	s, _, ok := strings.Cut(tok, ".")
	if !ok {
		return 0, fmt.Errorf("%w: malformed lock token %.40q", queue.ErrLockLost, tok)
	}
	seq, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: malformed lock token %.40q", queue.ErrLockLost, tok)
	}
	return seq, nil
}

func beUint64(b []byte) uint64 { return binary.BigEndian.Uint64(b[:8]) }
