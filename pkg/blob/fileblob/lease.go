package fileblob

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
)

// leaseRecord is the content of a lease file. An empty or unreadable
// record means the lease is free.
type leaseRecord struct {
	Key     string    `json:"key"`
	Holder  string    `json:"holder,omitempty"`
	Expires time.Time `json:"expires"`
}

// AcquireLease implements blob.Driver; see the package comment.
func (b *driver) AcquireLease(ctx context.Context, key string, ttl time.Duration) (blob.Lease, error) {
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	l := &lease{b: b, key: key, ttl: ttl, holder: hex.EncodeToString(rnd[:])}
	err := b.withLease(ctx, key, func(rec *leaseRecord, now time.Time) (bool, error) {
		if rec.Holder != "" && now.Before(rec.Expires) {
			return false, fmt.Errorf("%w: %q until %s", blob.ErrLeaseHeld, key, rec.Expires.Format(time.RFC3339))
		}
		*rec = leaseRecord{Key: key, Holder: l.holder, Expires: now.Add(ttl)}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// lease is one holder's claim.
type lease struct {
	b      *driver
	key    string
	ttl    time.Duration
	holder string
}

// Renew implements blob.Lease.
func (l *lease) Renew(ctx context.Context) error {
	return l.b.withLease(ctx, l.key, func(rec *leaseRecord, now time.Time) (bool, error) {
		if rec.Holder != l.holder {
			return false, fmt.Errorf("%w: %q", blob.ErrLeaseLost, l.key)
		}
		rec.Expires = now.Add(l.ttl)
		return true, nil
	})
}

// Release implements blob.Lease.
func (l *lease) Release(ctx context.Context) error {
	return l.b.withLease(ctx, l.key, func(rec *leaseRecord, now time.Time) (bool, error) {
		if rec.Holder != l.holder {
			return false, nil
		}
		*rec = leaseRecord{Key: l.key}
		return true, nil
	})
}

// withLease runs update on key's lease record while holding an exclusive
// flock on its file, and writes the record back when update says so.
func (b *driver) withLease(ctx context.Context, key string, update func(rec *leaseRecord, now time.Time) (bool, error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(key))
	fn := leaseDir + "/" + hex.EncodeToString(sum[:])
	f, err := b.root.OpenFile(name(fn), os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return fmt.Errorf("fileblob: opening lease record of %q: %w", key, err)
	}
	defer f.Close() // also drops the flock
	if err := flock(ctx, f); err != nil {
		return fmt.Errorf("fileblob: locking lease record of %q: %w", key, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return fmt.Errorf("fileblob: reading lease record of %q: %w", key, err)
	}
	var rec leaseRecord
	if json.Unmarshal(data, &rec) != nil || rec.Key != key {
		rec = leaseRecord{} // torn or foreign: free
	}
	write, err := update(&rec, b.now())
	if err != nil || !write {
		return err
	}
	out, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("fileblob: encoding lease record: %w", err)
	}
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("fileblob: writing lease record of %q: %w", key, err)
	}
	if _, err := f.WriteAt(out, 0); err != nil {
		return fmt.Errorf("fileblob: writing lease record of %q: %w", key, err)
	}
	return nil
}

// flock takes an exclusive flock(2) on f. Holders keep it only for one
// read-modify-write, so it polls rather than blocking, to honour ctx.
func flock(ctx context.Context, f *os.File) error {
	for delay := 100 * time.Microsecond; ; delay = min(2*delay, 10*time.Millisecond) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}
