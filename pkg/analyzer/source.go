package analyzer

import (
	"context"
	"fmt"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/minidump"
)

// AnalyzeBlob analyzes the dump stored under key with ranged reads only.
// Errors wrapping minidump.ErrFormat mean the dump itself is unreadable.
func AnalyzeBlob(ctx context.Context, bucket blob.Bucket, key string, opts dumpfacts.Options) (*dumpfacts.Analysis, error) {
	ra, err := bucket.NewReaderAt(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("analyzer: open dump %s: %w", key, err)
	}
	defer ra.Close()
	r, err := minidump.NewReader(ra, ra.Size())
	if err != nil {
		return nil, fmt.Errorf("analyzer: dump %s: %w", key, err)
	}
	a, err := dumpfacts.Analyze(ctx, r, opts)
	if err != nil {
		return nil, fmt.Errorf("analyzer: analyze %s: %w", key, err)
	}
	return a, nil
}

// AnalyzeFile analyzes a local dump file.
func AnalyzeFile(ctx context.Context, path string, opts dumpfacts.Options) (*dumpfacts.Analysis, error) {
	r, err := minidump.Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return dumpfacts.Analyze(ctx, r, opts)
}

// SplitBlobURL splits the one-argument blob form "BUCKET-URL#KEY" (for
// example file:///var/lib/dumpflow/blobs#dumps/…/w3wp-4120.dmp or
// https://ACCOUNT.blob.core.windows.net/dumpfiles#dumps/…). ok is false
// for anything else, which callers treat as a local path.
func SplitBlobURL(arg string) (bucketURL, key string, ok bool) {
	if !strings.Contains(arg, "://") {
		return "", "", false
	}
	i := strings.LastIndexByte(arg, '#')
	if i < 0 || i == len(arg)-1 {
		return "", "", false
	}
	return arg[:i], arg[i+1:], true
}
