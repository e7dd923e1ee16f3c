package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	"bytes": func(n any) string {
		switch v := n.(type) {
		case uint64:
			return dumpfacts.Bytes(v)
		case int64:
			return dumpfacts.Bytes(uint64(max(v, 0)))
		case int:
			return dumpfacts.Bytes(uint64(max(v, 0)))
		case uint32:
			return dumpfacts.Bytes(uint64(v))
		}
		return fmt.Sprint(n)
	},
	"clock": func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"day":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"join":  strings.Join,
	"first": firstN,
	// shownFrames is the crashing thread's whole stack, the first 12
	// frames of the others.
	"shownFrames": func(t dumpfacts.Thread) []dumpfacts.StackFrame {
		if t.Crashed {
			return t.Stack
		}
		return t.Stack[:min(12, len(t.Stack))]
	},
	"summary":    summary,
	"uptime":     func(s *int64) string { return dumpfacts.Duration(*s) },
	"facts":      facts,
	"hex":        func(v uint32) string { return fmt.Sprintf("%#x", v) },
	"short":      shortInstance,
	"linkNames":  linkNames,
	"linkLabel":  linkLabel,
	"code":       codeSpans,
	"seriesText": SeriesText,
	"seconds":    func(ms int64) string { return fmt.Sprintf("%.1f s", float64(ms)/1000) },
	"deref": func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	},
}).ParseFS(templateFS, "templates/*.tmpl"))

// WriteHTML renders the incident as one self-contained HTML page.
func (inc *Incident) WriteHTML(w io.Writer) error {
	return templates.ExecuteTemplate(w, "incident.html.tmpl", inc)
}

// Write renders the incident in format (FormatJSON, FormatMarkdown or
// FormatHTML).
func (inc *Incident) Write(w io.Writer, format string) error {
	switch format {
	case FormatJSON:
		return WriteJSON(w, inc)
	case FormatMarkdown:
		return inc.WriteMarkdown(w)
	case FormatHTML:
		return inc.WriteHTML(w)
	}
	return fmt.Errorf("report: unknown format %q (want json, md or html)", format)
}

// shortInstance is an instance id cut to what a person compares (the full
// id is in the element's title).
func shortInstance(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}

// linkNames are a trigger's link names in a stable order.
func linkNames(links map[string]string) []string {
	names := make([]string, 0, len(links))
	for n := range links {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// linkLabel is a link name for a person: "search_results" → "search results".
func linkLabel(name string) string { return strings.ReplaceAll(name, "_", " ") }

// codeSpans renders text with `backquoted` commands as <code>, everything
// escaped.
func codeSpans(s string) template.HTML {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && i < len(parts)-1 {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
			continue
		}
		if i%2 == 1 {
			b.WriteString("`")
		}
		b.WriteString(template.HTMLEscapeString(p))
	}
	return template.HTML(b.String())
}
