// Package backend opens the queue and blob backends named by URL, so that
// the same binaries run on one machine (file:// URLs, the embedded
// defaults) and on Azure (sb:// and https:// URLs) unchanged.
//
//	queue: file:///var/lib/dumpflow/queue       embedded SQLite queues, DIR/NAME.sqlite (sqlitequeue)
//	       sb://NAMESPACE.servicebus.windows.net  Azure Service Bus (servicebus)
//	blob:  file:///var/lib/dumpflow/blobs       local directory (fileblob)
//	       https://ACCOUNT.blob.core.windows.net/CONTAINER  Azure Blob (azureblob)
//
// It is wiring, imported only by cmd/* and test programs; service cores see
// the ports (queue.Queue, blob.Bucket) alone.
package backend

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/azureblob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/queue"
	"github.com/dumpflow/dumpflow/pkg/queue/servicebus"
	"github.com/dumpflow/dumpflow/pkg/queue/sqlitequeue"
)

// Queue names shared by the services.
const (
	CapturesQueue = "captures" // ingest → worker: CaptureJob
	AnalysisQueue = "analysis" // worker → analyzer: DumpCaptured, JobCompleted
)

// DataDir is the local directory of the embedded backends: $DUMPFLOW_DATA,
// else ./dumpflow-data.
func DataDir() string {
	if d := os.Getenv("DUMPFLOW_DATA"); d != "" {
		return d
	}
	return "dumpflow-data"
}

// DefaultQueueURL is the embedded queue under DataDir.
func DefaultQueueURL() string { return FileURL(filepath.Join(DataDir(), "queue")) }

// DefaultBlobURL is the embedded blob store under DataDir.
func DefaultBlobURL() string { return FileURL(filepath.Join(DataDir(), "blobs")) }

// FileURL turns a local path into a file:// URL with an absolute path.
func FileURL(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// OpenQueue opens the queue called name at the backend rawURL names.
func OpenQueue(ctx context.Context, rawURL, name string) (queue.Queue, error) {
	u, err := parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("backend: queue URL: %w", err)
	}
	// Each case returns a typed nil on error; return a nil interface then,
	// so that callers' q != nil checks hold.
	switch u.Scheme {
	case "file":
		q, err := sqlitequeue.OpenURL(ctx, u, name)
		if err != nil {
			return nil, err
		}
		return q, nil
	case "sb":
		q, err := servicebus.OpenURL(ctx, u, name)
		if err != nil {
			return nil, err
		}
		return q, nil
	}
	return nil, fmt.Errorf("backend: queue URL %q: unsupported scheme %q (want file or sb)", redact(u), u.Scheme)
}

// OpenExistingQueue opens a queue for reading what is there (dead letters,
// say) without creating anything: a local queue directory that does not
// exist is an error that names it, not a new empty queue.
func OpenExistingQueue(ctx context.Context, rawURL, name string) (queue.Queue, error) {
	u, err := parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("backend: queue URL: %w", err)
	}
	if u.Scheme == "file" {
		if _, err := os.Stat(filepath.FromSlash(u.Path)); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no local queue at %s: nothing has run with that --queue yet; pass the --queue the services use (default %s)",
				filepath.FromSlash(u.Path), DefaultQueueURL())
		}
	}
	return OpenQueue(ctx, rawURL, name)
}

// OpenBucket opens the blob container rawURL names.
func OpenBucket(ctx context.Context, rawURL string) (blob.Bucket, error) {
	return OpenBucketOptions(ctx, rawURL, nil)
}

// BlobOptions tune the blob backend beyond what its URL says; the zero
// value (or nil) means each backend's defaults.
type BlobOptions struct {
	// UploadMemory bounds the upload buffers shared by every blob being
	// written at once, in bytes (azureblob.Options.UploadMemory); the
	// local directory backend streams to files and ignores it.
	UploadMemory int64
}

// OpenBucketOptions is OpenBucket with options.
func OpenBucketOptions(ctx context.Context, rawURL string, opts *BlobOptions) (blob.Bucket, error) {
	if opts == nil {
		opts = &BlobOptions{}
	}
	u, err := parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("backend: blob URL: %w", err)
	}
	switch u.Scheme {
	case "file":
		b, err := fileblob.OpenURL(ctx, u)
		if err != nil {
			return nil, err
		}
		return b, nil
	case "https", "http":
		b, err := azureblob.OpenURLOptions(ctx, u, &azureblob.Options{UploadMemory: opts.UploadMemory})
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	return nil, fmt.Errorf("backend: blob URL %q: unsupported scheme %q (want file or https)", redact(u), u.Scheme)
}

func parse(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("empty URL")
	}
	// A bare path is a local directory.
	if !strings.Contains(raw, "://") {
		raw = FileURL(raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// redact drops userinfo and query (they may carry secrets) for messages.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	return c.String()
}
