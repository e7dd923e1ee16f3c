package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
)

// mdCell escapes text for a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	s = strings.ReplaceAll(s, "\n", " ")
	if s == "" {
		return "—"
	}
	return s
}

var severityIcon = map[string]string{dumpfacts.Critical: "🔴", dumpfacts.Warning: "🟠", dumpfacts.Info: "🔵"}

// WriteMarkdown renders the incident for chat and tickets.
func (inc *Incident) WriteMarkdown(w io.Writer) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	status := "complete"
	if !inc.Complete {
		status = "in progress"
	}
	p("# Incident %s\n\n", inc.ID)
	p("**Status:** %s · **Captured:** %d · **Failed:** %d · **Skipped:** %d · **Killed:** %d · **Pending:** %d\n\n",
		status, inc.Counts.Captured, inc.Counts.Failed, inc.Counts.Skipped, inc.Counts.Killed, inc.Counts.Pending)
	t := inc.Trigger
	p("## Trigger\n\n")
	p("- **Kind:** %s", t.Kind)
	if t.Source != "" {
		p(" (%s)", t.Source)
	}
	p("\n")
	if t.Rule != "" {
		p("- **Rule:** %s\n", t.Rule)
	}
	if t.Severity != "" {
		p("- **Severity:** %s\n", t.Severity)
	}
	if t.Description != "" {
		p("- **Description:** %s\n", t.Description)
	}
	for _, c := range t.Conditions {
		p("- **Condition:** %s\n", c.Summary())
	}
	for _, n := range linkNames(t.Links) {
		p("- **Link:** [%s](%s)\n", linkLabel(n), t.Links[n])
	}
	p("- **Fired:** %s\n", t.FiredAt.UTC().Format("2006-01-02 15:04:05Z"))
	if t.Reason != "" {
		p("- **Reason:** %s\n", t.Reason)
	}
	kill := ""
	if inc.Action.Kill {
		kill = ", then kill"
	}
	p("- **Action:** %s dump%s%s", inc.Action.DumpType, SeriesText(inc.Action.Series), kill)
	if inc.Policy != "" {
		p(" (policy %s)", inc.Policy)
	}
	p("\n\n## Targets\n\n")
	p("| App | Instance | Process | PID | Outcome | Killed | Crash / findings | Links |\n")
	p("|---|---|---|---|---|---|---|---|\n")
	for _, r := range inc.Targets {
		outcome := r.Outcome
		if r.Reason != "" {
			outcome += ": " + r.Reason
		}
		killed := ""
		switch {
		case r.Killed:
			killed = "yes"
		case r.KillNote != "":
			killed = "no: " + r.KillNote
		}
		links := []string{}
		if r.DumpLink != "" {
			links = append(links, fmt.Sprintf("[dump](%s)", r.DumpLink))
		}
		if r.AnalysisLink != "" && (r.Threads > 0 || r.AnalysisError != "") {
			links = append(links, fmt.Sprintf("[analysis](%s)", r.AnalysisLink))
		}
		pid := ""
		if r.PID > 0 {
			pid = fmt.Sprint(r.PID)
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", mdCell(r.App), mdCell(instanceName(r)), mdCell(r.Process+seriesTag(r.Series)), mdCell(pid),
			mdCell(outcome), mdCell(killed), mdCell(summary(r)), mdCell(strings.Join(links, " ")))
	}
	for _, r := range inc.Targets {
		if len(r.Findings) == 0 && r.AnalysisError == "" {
			continue
		}
		p("\n### %s · %s · %s (pid %d)\n\n", r.App, instanceName(r), r.Process, r.PID)
		if r.DumpLink != "" {
			p("Dump: [%s](%s)\n\n", r.DumpLink, r.DumpLink)
		}
		if r.AnalysisError != "" {
			p("- ⚠️ analysis failed: %s\n", r.AnalysisError)
		}
		for _, f := range r.Findings {
			p("- %s %s\n", severityIcon[f.Severity], f.Text)
			if f.Next != "" {
				p("  - **Next:** %s\n", f.Next)
			}
		}
	}
	writeSeriesMarkdown(b, inc.Series)
	p("\n## Timeline\n\n")
	for _, e := range inc.Timeline {
		p("- `%s` %s\n", e.Time.Format("15:04:05Z"), e.Text)
	}
	return b.Flush()
}

// summary is the one-line analysis of a row.
func summary(r Target) string {
	var parts []string
	if r.CrashReason != "" {
		s := r.CrashReason
		if r.CrashLocation != "" {
			s += " in " + r.CrashLocation
		}
		parts = append(parts, s)
	}
	if f := facts(r); f != "" {
		parts = append(parts, f)
	}
	if r.AnalysisError != "" {
		parts = append(parts, "analysis failed")
	}
	return strings.Join(parts, "; ")
}

// facts lists a row's runtimes, thread count and committed memory.
func facts(r Target) string {
	var parts []string
	if len(r.Runtimes) > 0 {
		parts = append(parts, strings.Join(r.Runtimes, ", "))
	}
	if r.Threads > 0 {
		parts = append(parts, fmt.Sprintf("%d threads", r.Threads))
	}
	if r.Committed > 0 {
		parts = append(parts, dumpfacts.Bytes(r.Committed)+" committed")
	}
	return strings.Join(parts, "; ")
}

func writeDumpMarkdown(w io.Writer, a *dumpfacts.Analysis, title string) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("# Dump analysis: %s\n\n", title)
	for _, f := range a.Findings {
		p("- %s %s\n", severityIcon[f.Severity], f.Text)
	}
	p("\n| Fact | Value |\n|---|---|\n")
	row := func(k, v string) { p("| %s | %s |\n", k, mdCell(v)) }
	if s := a.System; s != nil {
		row("OS", strings.TrimSpace(s.OS+" "+s.OSVersion+" "+s.ServicePack))
		row("CPU", fmt.Sprintf("%s, %d CPUs (%s)", s.CPU, s.CPUCount, s.CPUInfo))
	}
	if pr := a.Process; pr != nil {
		if pr.PID != nil {
			row("PID", fmt.Sprint(*pr.PID))
		}
		if pr.CreateTime != nil {
			row("Started", *pr.CreateTime)
		}
		row("Main module", pr.MainModule)
	}
	if c := a.Crash; c != nil {
		row("Crash reason", c.Reason)
		row("Crash address", c.Address.String())
		loc := c.Location
		if c.Symbol != "" {
			loc = c.Symbol
		}
		row("Crash location", loc)
		row("Crashing thread", fmt.Sprintf("%#x", c.ThreadID))
		if clr := c.CLR; clr != nil {
			row(".NET exception", strings.TrimSpace(fmt.Sprintf("HRESULT %s %s %s", clr.HResult, clr.Name, clr.Exception)))
		}
	}
	row("Dump", fmt.Sprintf("%s, %s, read %s", a.Dump.Type, dumpfacts.Bytes(uint64(a.Dump.Size)), dumpfacts.Bytes(uint64(a.Dump.BytesRead))))
	if len(a.SymbolsMissing) > 0 {
		row("No symbols for", strings.Join(firstN(a.SymbolsMissing, 10), ", "))
	}
	if a.Managed {
		p("\n> **.NET process:** this analysis reads native frames only. For managed stacks, exceptions and the heap, "+
			"open `%s` on Windows in Visual Studio, WinDbg with SOS (`!pe`, `!clrstack`, `!dumpheap -stat`) or `dotnet-dump analyze`.\n", title)
	}
	if tr := a.Truncated; tr != nil && tr.Threads != nil {
		p("\n## Threads (%d of %d; the rest not analyzed)\n\n", len(a.Threads), tr.Threads.Total)
	} else {
		p("\n## Threads (%d)\n\n", len(a.Threads))
	}
	p("Frames marked *(scan)* were found by stack scanning: they may be stale values, not callers.\n\n")
	for _, t := range a.Threads {
		mark := ""
		if t.Crashed {
			mark = " **(crashed)**"
		}
		if t.DumpWriter {
			mark = " (dump writer)"
		}
		name := ""
		if t.Name != "" {
			name = " " + t.Name
		}
		if t.Crashed {
			// The crashing thread in full, one frame a line, as Breakpad lists it.
			p("- `%#x`%s%s:\n", t.ID, name, mark)
			for i, f := range t.Stack {
				p("  %d. %s%s\n", i, mdCode(f.String()), scanMark(f))
			}
			if t.Error != "" {
				p("  - ⚠️ %s\n", t.Error)
			}
			continue
		}
		var fs []string
		for i, f := range t.Stack {
			if i == 6 {
				fs = append(fs, "…")
				break
			}
			fs = append(fs, mdCode(f.String())+scanMark(f))
		}
		p("- `%#x`%s%s: %s\n", t.ID, name, mark, strings.Join(fs, " ← "))
	}
	p("\n## Modules (%d)\n\n| Name | Base | Size | Version |\n|---|---|---|---|\n", len(a.Modules))
	for _, m := range a.Modules {
		v := ""
		if m.Version != nil {
			v = *m.Version
		}
		p("| %s | %s | %d | %s |\n", mdCell(m.Name), m.Base, m.Size, mdCell(v))
	}
	return b.Flush()
}

// mdCode renders s as an inline code span; C++ names may hold backticks
// (`anonymous namespace'), which a longer fence and padding keep inside.
func mdCode(s string) string {
	if !strings.Contains(s, "`") {
		return "`" + s + "`"
	}
	return "`` " + s + " ``"
}

// scanMark flags a frame found by scanning.
func scanMark(f dumpfacts.StackFrame) string {
	if f.Trust.Uncertain() {
		return " *(scan)*"
	}
	return ""
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(append([]string(nil), s[:n]...), "…")
	}
	return s
}

// instanceName is the machine name a person matches against the portal,
// with the start of the instance id; the id alone when there is no name.
func instanceName(r Target) string {
	if r.MachineName == "" {
		return shortInstance(r.Instance)
	}
	return r.MachineName + " (" + shortInstance(r.Instance) + ")"
}
