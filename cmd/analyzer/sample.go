package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/report"
	"github.com/dumpflow/dumpflow/pkg/service"
)

// runRenderSample: analyzer render-sample --out DIR writes the sample
// incident report (index.html, index.md, index.json and the per-dump
// analyses its links name) to DIR, for previews and screenshots.
func runRenderSample(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("render-sample", stderr)
	out := fs.String("out", "", "directory to write the sample report to (required)")
	pos, err := service.Parse(fs, args, noEnv)
	if err != nil {
		return err
	}
	if *out == "" || len(pos) > 0 {
		return fmt.Errorf("%w: analyzer render-sample --out DIR", errUsage)
	}
	m, jobs, dumps := report.Sample()
	inc := report.Build(m, jobs, dumps)
	files := map[string][]byte{}
	for _, f := range []string{report.FormatHTML, report.FormatMarkdown, report.FormatJSON} {
		var buf bytes.Buffer
		if err := inc.Write(&buf, f); err != nil {
			return err
		}
		files["index."+f] = buf.Bytes()
	}
	own := "reports/" + layout.Segment(m.IncidentID) + "/"
	for _, t := range inc.Targets {
		for _, d := range dumps {
			if d.Capture != nil && d.Capture.DumpKey == t.DumpKey && t.AnalysisKey != "" {
				b, err := json.MarshalIndent(d, "", "  ")
				if err != nil {
					return err
				}
				files[strings.TrimPrefix(t.AnalysisKey, own)] = b
			}
		}
	}
	for name, b := range files {
		path := filepath.Join(*out, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, filepath.Join(*out, "index.html"))
	return nil
}
