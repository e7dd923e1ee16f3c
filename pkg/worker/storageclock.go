package worker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
)

// clockPrefix holds one small blob per site that the kill budget rewrites
// to read the storage's time.
const clockPrefix = "state/clock/"

// storageNow returns the storage's current time, as the ModTime (Azure:
// Last-Modified) of a blob it has just written for site. Every worker
// sharing a bucket decides kill budgets on this one clock: workers' own
// clocks may disagree by more than a budget window (issue 22), and a worker
// whose clock runs ahead would see every other worker's kills as expired.
// Only the blob port's API is used (NewWriter, Attributes).
func storageNow(ctx context.Context, b blob.Bucket, site string) (time.Time, error) {
	key := clockPrefix + layout.Segment(strings.ToLower(site))
	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "text/plain", Overwrite: true, Size: 1})
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the storage clock (%s): %w", key, err)
	}
	if _, err := w.Write([]byte{'\n'}); err != nil {
		_ = w.Abort()
		return time.Time{}, fmt.Errorf("reading the storage clock (%s): %w", key, err)
	}
	if err := w.Close(); err != nil {
		return time.Time{}, fmt.Errorf("reading the storage clock (%s): %w", key, err)
	}
	a, err := b.Attributes(ctx, key)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the storage clock (%s): %w", key, err)
	}
	if a.ModTime.IsZero() {
		return time.Time{}, fmt.Errorf("reading the storage clock (%s): the backend reports no modification time", key)
	}
	return a.ModTime.UTC(), nil
}
