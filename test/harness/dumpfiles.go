package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/report"
)

// ReportFile is where a file blob store (fileblob) in blobDir keeps an
// incident's index.html: a plain file a browser opens, whose links to the
// dumps and analyses resolve within blobDir.
func ReportFile(blobDir, incident string) string {
	return filepath.Join(blobDir, filepath.FromSlash(layout.ReportKey(incident, report.FormatHTML)))
}

// VerifyDumpFiles checks, as a person with sha256sum would, that every
// .dmp file under blobDir (a file blob store) is a dump of inc whose
// SHA-256 equals the one the worker recorded, both in the per-dump report
// (its DumpCaptured) and in the blob's metadata, and that every captured
// dump of inc is such a file. It returns the number of dumps checked.
func VerifyDumpFiles(ctx context.Context, b blob.Bucket, blobDir string, inc *report.Incident) (int, error) {
	want := map[string]string{} // dump key → recorded SHA-256
	for _, t := range inc.Targets {
		if t.Outcome != messages.OutcomeCaptured {
			continue
		}
		if t.DumpKey == "" || t.AnalysisKey == "" {
			return 0, fmt.Errorf("harness: captured target %s/%s has no dump or analysis key", t.App, t.Instance)
		}
		d, err := readDumpReport(ctx, b, t.AnalysisKey)
		if err != nil {
			return 0, err
		}
		if d.Capture == nil || d.Capture.DumpKey != t.DumpKey {
			return 0, fmt.Errorf("harness: %s does not describe %s", t.AnalysisKey, t.DumpKey)
		}
		a, err := b.Attributes(ctx, t.DumpKey)
		if err != nil {
			return 0, fmt.Errorf("harness: %w", err)
		}
		if md := a.Metadata["sha256"]; md != d.Capture.SHA256 {
			return 0, fmt.Errorf("harness: %s: metadata sha256 %s, report %s", t.DumpKey, md, d.Capture.SHA256)
		}
		want[t.DumpKey] = d.Capture.SHA256
	}
	seen := 0
	err := filepath.WalkDir(blobDir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == ".dumpflow" {
			return fs.SkipDir
		}
		if e.IsDir() || !strings.HasSuffix(p, ".dmp") {
			return nil
		}
		rel, err := filepath.Rel(blobDir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		sum, ok := want[key]
		if !ok {
			return fmt.Errorf("harness: %s is no captured dump of incident %s", p, inc.ID)
		}
		got, err := sha256File(p)
		if err != nil {
			return err
		}
		if got != sum {
			return fmt.Errorf("harness: sha256sum %s = %s, the report records %s", p, got, sum)
		}
		seen++
		return nil
	})
	if err != nil {
		return seen, err
	}
	if seen != len(want) {
		return seen, fmt.Errorf("harness: %d dump files under %s, the report has %d captured dumps", seen, blobDir, len(want))
	}
	return seen, nil
}

func readDumpReport(ctx context.Context, b blob.Bucket, key string) (*report.DumpReport, error) {
	r, _, err := b.NewReader(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("harness: reading %s: %w", key, err)
	}
	return report.DecodeDumpReport(data)
}

// sha256File is what sha256sum prints for the file fn.
func sha256File(fn string) (string, error) {
	f, err := os.Open(fn)
	if err != nil {
		return "", fmt.Errorf("harness: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("harness: reading %s: %w", fn, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
