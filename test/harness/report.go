package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/report"
)

// Final reports whether an incident report is final: every expected job
// reported, and every captured dump's analysis is in it (the analyzer
// re-renders after each message, so an earlier rendering can lack some).
func Final(inc *report.Incident) bool {
	if !inc.Complete {
		return false
	}
	for _, t := range inc.Targets {
		if t.Outcome == messages.OutcomeCaptured && t.DumpType == "" {
			return false
		}
	}
	return true
}

// ReadReport reads and decodes an incident's index.json; blob.ErrNotFound
// before the analyzer first rendered it.
func ReadReport(ctx context.Context, b blob.Bucket, incident string) (*report.Incident, error) {
	r, _, err := b.NewReader(ctx, layout.ReportKey(incident, report.FormatJSON))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("harness: reading report of %s: %w", incident, err)
	}
	var inc report.Incident
	if err := json.Unmarshal(data, &inc); err != nil {
		return nil, fmt.Errorf("harness: report of %s: %w", incident, err)
	}
	return &inc, nil
}

// WaitReport polls the incident's report until it is Final and returns
// it. check, when set, is called between polls and ends the wait with its
// error (e.g. a service that died).
func WaitReport(ctx context.Context, b blob.Bucket, incident string, check func() error) (*report.Incident, error) {
	var last *report.Incident
	for {
		inc, err := ReadReport(ctx, b, incident)
		switch {
		case err == nil:
			last = inc
			if Final(inc) {
				return inc, nil
			}
		case !errors.Is(err, blob.ErrNotFound):
			return nil, err
		}
		if check != nil {
			if err := check(); err != nil {
				return last, err
			}
		}
		select {
		case <-ctx.Done():
			if last == nil {
				return nil, fmt.Errorf("harness: no report for incident %s yet: %w", incident, ctx.Err())
			}
			return last, fmt.Errorf("harness: report of incident %s not final (complete=%t, %+v): %w", incident, last.Complete, last.Counts, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ExportReport copies an incident's report directory (index.html, .md,
// .json and the per-dump analyses under dumps/) from the blob store into
// dir/reports/{incident}/ as plain files, and returns the path of its
// index.html. The report's links to dumps (../../dumps/…) resolve when
// dumpsDir, if not empty, is linked at dir/dumps.
func ExportReport(ctx context.Context, b blob.Bucket, incident, dir, dumpsDir string) (string, error) {
	prefix := "reports/" + layout.Segment(incident) + "/"
	list, err := b.List(ctx, prefix)
	if err != nil {
		return "", fmt.Errorf("harness: listing %s: %w", prefix, err)
	}
	if len(list) == 0 {
		return "", fmt.Errorf("harness: no report under %s", prefix)
	}
	for _, a := range list {
		dst := filepath.Join(dir, filepath.FromSlash(a.Key))
		if !strings.HasPrefix(dst, filepath.Clean(dir)+string(filepath.Separator)) {
			return "", fmt.Errorf("harness: report key %q escapes %s", a.Key, dir)
		}
		if err := copyBlob(ctx, b, a.Key, dst); err != nil {
			return "", err
		}
	}
	if dumpsDir != "" {
		link := filepath.Join(dir, "dumps")
		if _, err := os.Lstat(link); errors.Is(err, os.ErrNotExist) {
			_ = os.Symlink(dumpsDir, link) // best effort: only the dump links depend on it
		}
	}
	return filepath.Join(dir, "reports", layout.Segment(incident), "index.html"), nil
}

func copyBlob(ctx context.Context, b blob.Bucket, key, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	r, _, err := b.NewReader(ctx, key)
	if err != nil {
		return fmt.Errorf("harness: reading %s: %w", key, err)
	}
	defer r.Close()
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("harness: copying %s: %w", key, err)
	}
	return f.Close()
}
