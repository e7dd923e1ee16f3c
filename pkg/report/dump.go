package report

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// DumpReport is the per-dump document the analyzer stores at
// layout.DumpReportKey: the analysis fields of `analyzer analyze` at the
// top level, plus the capture that produced the dump.
type DumpReport struct {
	// Capture is the DumpCaptured message the analysis answers.
	Capture *messages.DumpCaptured `json:"capture,omitempty"`
	*dumpfacts.Analysis
	// AnalysisError says why there is no analysis (an unreadable dump, or
	// none asked for).
	AnalysisError string `json:"analysis_error,omitempty"`
	// AnalyzedAt is when the analysis was made.
	AnalyzedAt time.Time `json:"analyzed_at"`
}

// DecodeDumpReport parses a stored DumpReport.
func DecodeDumpReport(b []byte) (*DumpReport, error) {
	d := new(DumpReport)
	if err := json.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("report: decode dump report: %w", err)
	}
	return d, nil
}

// Formats the renderers accept.
const (
	FormatJSON     = "json"
	FormatMarkdown = "md"
	FormatHTML     = "html"
)

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteDump renders one dump's analysis in format (FormatJSON,
// FormatMarkdown or FormatHTML). title names the dump (a file or key).
func WriteDump(w io.Writer, a *dumpfacts.Analysis, title, format string) error {
	switch format {
	case FormatJSON, "":
		return WriteJSON(w, a)
	case FormatMarkdown:
		return writeDumpMarkdown(w, a, title)
	case FormatHTML:
		return templates.ExecuteTemplate(w, "dump.html.tmpl", dumpPage{Title: title, A: a})
	}
	return fmt.Errorf("report: unknown format %q (want json, md or html)", format)
}

type dumpPage struct {
	Title string
	A     *dumpfacts.Analysis
}
