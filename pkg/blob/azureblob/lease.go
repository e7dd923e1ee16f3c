package azureblob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"

	port "github.com/dumpflow/dumpflow/pkg/blob"
)

// lockBlobPrefix holds the lock blobs that leases are taken on.
const lockBlobPrefix = port.ReservedPrefix + "leases/"

// lockBlobName is the lock blob for a lease key. Hashing keeps the name
// within Azure's length limit whatever the key.
func lockBlobName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return lockBlobPrefix + hex.EncodeToString(sum[:])
}

// AcquireLease implements blob.Driver; see the package comment.
func (d *driver) AcquireLease(ctx context.Context, key string, ttl time.Duration) (port.Lease, error) {
	bb := d.c.NewBlockBlobClient(lockBlobName(key))
	lc, err := lease.NewBlobClient(bb, nil) // a fresh random lease id
	if err != nil {
		return nil, fmt.Errorf("azureblob: lease on %q: %w", key, err)
	}
	secs := int32(ttl / time.Second)
	for created := false; ; created = true {
		_, err = lc.AcquireLease(ctx, secs, nil)
		switch {
		case err == nil:
			return &leaseHandle{lc: lc, key: key}, nil
		case bloberror.HasCode(err, bloberror.LeaseAlreadyPresent):
			return nil, fmt.Errorf("%w: %q: %w", port.ErrLeaseHeld, key, err)
		case isNotFound(err) && !created:
			if err := createLockBlob(ctx, bb); err != nil {
				return nil, fmt.Errorf("azureblob: creating lock blob for %q: %w", key, err)
			}
		default:
			return nil, fmt.Errorf("azureblob: acquiring lease on %q: %w", key, err)
		}
	}
}

// createLockBlob creates an empty lock blob unless one exists already.
func createLockBlob(ctx context.Context, bb *blockblob.Client) error {
	any := azcore.ETagAny
	_, err := bb.Upload(ctx, streaming.NopCloser(emptyReader{}), &blockblob.UploadOptions{
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: &any}},
	})
	if err == nil || isExists(err) || bloberror.HasCode(err, bloberror.LeaseIDMissing) {
		return nil // created, or created (and perhaps leased) by a racing acquirer
	}
	return err
}

// emptyReader is an empty io.ReadSeeker.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error)       { return 0, io.EOF }
func (emptyReader) Seek(int64, int) (int64, error) { return 0, nil }

// leaseHandle is one holder's lease on a lock blob.
type leaseHandle struct {
	lc  *lease.BlobClient
	key string
}

// Renew implements blob.Lease.
func (l *leaseHandle) Renew(ctx context.Context) error {
	_, err := l.lc.RenewLease(ctx, nil)
	switch {
	case err == nil:
		return nil
	case lost(err):
		return fmt.Errorf("%w: %q: %w", port.ErrLeaseLost, l.key, err)
	default:
		return fmt.Errorf("azureblob: renewing lease on %q: %w", l.key, err)
	}
}

// Release implements blob.Lease.
func (l *leaseHandle) Release(ctx context.Context) error {
	_, err := l.lc.ReleaseLease(ctx, nil)
	if err == nil || lost(err) {
		return nil
	}
	return fmt.Errorf("azureblob: releasing lease on %q: %w", l.key, err)
}

// lost reports whether a lease operation failed because this holder no
// longer has the lease.
func lost(err error) bool {
	return isNotFound(err) || bloberror.HasCode(err,
		bloberror.LeaseIDMismatchWithLeaseOperation,
		bloberror.LeaseNotPresentWithLeaseOperation,
		bloberror.LeaseIsBrokenAndCannotBeRenewed,
		bloberror.LeaseLost)
}
