package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Series is one dump series (messages.Series): the dumps of one process,
// taken some seconds apart, and the threads that did not move across them.
type Series struct {
	ID          string `json:"id"`
	App         string `json:"app"`
	Instance    string `json:"instance"`
	MachineName string `json:"machine_name,omitempty"`
	Process     string `json:"process"`
	PID         int    `json:"pid"`
	// Count and IntervalSeconds are the series asked for.
	Count           int `json:"count"`
	IntervalSeconds int `json:"interval_seconds"`
	// Dumps are the series' rows known so far, in index order.
	Dumps []SeriesDump `json:"dumps"`
	// Analyzed is how many of the dumps have a thread list to compare.
	Analyzed int `json:"analyzed"`
	// PossiblyHung are the threads whose frame 0 was at the same address
	// in every analyzed dump, when at least two are analyzed (see
	// HungNote). Empty, not absent, when none stayed put.
	PossiblyHung []HungThread `json:"possibly_hung"`
	// Note says how PossiblyHung was found and what it cannot tell.
	Note string `json:"note"`
}

// SeriesDump is one dump of a series.
type SeriesDump struct {
	Index   int    `json:"index"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	// CapturedAt is when the dump was stored, and DurationMS how long
	// taking it took (the target is frozen for part of it), from its
	// DumpCaptured.
	CapturedAt   *time.Time `json:"captured_at,omitempty"`
	DurationMS   int64      `json:"duration_ms,omitempty"`
	DumpLink     string     `json:"dump_link,omitempty"`
	AnalysisLink string     `json:"analysis_link,omitempty"`
	// Analyzed is true when the dump's threads were compared.
	Analyzed bool `json:"analyzed"`
}

// HungThread is a thread whose frame 0 did not change across a series.
type HungThread struct {
	ThreadID uint32 `json:"thread_id"`
	// Name is the thread's name, when the dump has one.
	Name string `json:"name,omitempty"`
	// Frame is frame 0 as "module+0xoffset" (or the bare address outside
	// every module); Function names it when symbols did.
	Frame    string `json:"frame"`
	Function string `json:"function,omitempty"`
	// SameFrame is how many of the series' possibly hung threads (this
	// one included) sit at this frame 0: many threads parked at one
	// address are usually a pool waiting for work, one thread alone
	// somewhere is more telling.
	SameFrame int `json:"same_frame"`
}

// HungNote is the report's own words on what "possibly hung" means.
const HungNote = "A thread is listed when its frame 0 (the instruction it was executing) was at the same address in every analyzed dump of the series. " +
	"That is what a hung thread looks like, but an idle thread waiting for work (a thread-pool worker, a timer, an I/O completion port) looks the same: " +
	"look first at threads stopped in the application's own code or waiting on a lock inside a request. " +
	"Only frame 0 is compared: a thread spinning through several functions, or a hang whose top frame moves, is not listed, and neither is a thread missing from any dump."

// seriesRow is a report row that belongs to a series, with its analysis.
type seriesRow struct {
	row      Target
	analysis *dumpfacts.Analysis
	captured *time.Time
	duration int64
}

// buildSeries groups the rows of series by series id, in the targets'
// order, and compares the analyzed dumps of each.
func buildSeries(targets []Target, byKey map[string]*DumpReport) []Series {
	groups := map[string][]seriesRow{}
	var order []string
	for _, t := range targets {
		if t.Series == nil {
			continue
		}
		id := t.Series.ID
		if _, ok := groups[id]; !ok {
			order = append(order, id)
		}
		sr := seriesRow{row: t}
		if d := byKey[t.DumpKey]; d != nil && t.DumpKey != "" {
			if d.Analysis != nil && d.AnalysisError == "" && len(d.Analysis.Threads) > 0 {
				sr.analysis = d.Analysis
			}
			if d.Capture != nil && !d.Capture.CapturedAt.IsZero() {
				at := d.Capture.CapturedAt.UTC()
				sr.captured, sr.duration = &at, d.Capture.DurationMS
			}
		}
		groups[id] = append(groups[id], sr)
	}
	out := make([]Series, 0, len(order))
	for _, id := range order {
		rows := groups[id]
		sort.SliceStable(rows, func(i, k int) bool { return rows[i].row.Series.Index < rows[k].row.Series.Index })
		first := rows[0].row
		s := Series{ID: id, App: first.App, Instance: first.Instance, MachineName: first.MachineName, Process: first.Process, PID: first.PID,
			Count: first.Series.Count, IntervalSeconds: first.Series.IntervalSeconds, PossiblyHung: []HungThread{}}
		var analyses []*dumpfacts.Analysis
		seen := map[int]bool{}
		for _, r := range rows {
			if seen[r.row.Series.Index] {
				continue // the same dump reported twice
			}
			seen[r.row.Series.Index] = true
			sd := SeriesDump{Index: r.row.Series.Index, Outcome: r.row.Outcome, Reason: r.row.Reason, CapturedAt: r.captured, DurationMS: r.duration,
				DumpLink: r.row.DumpLink, Analyzed: r.analysis != nil}
			if r.analysis != nil {
				sd.AnalysisLink = r.row.AnalysisLink
				analyses = append(analyses, r.analysis)
			}
			s.Dumps = append(s.Dumps, sd)
		}
		s.Analyzed = len(analyses)
		if len(analyses) >= 2 {
			s.PossiblyHung = PossiblyHung(analyses)
			s.Note = HungNote
			if truncatedThreads(analyses) {
				s.Note += " Some dumps had more threads than were analyzed: threads beyond the analysis limit were not compared."
			}
		} else {
			s.Note = fmt.Sprintf("Threads are compared once at least two dumps of the series are analyzed (%d so far).", len(analyses))
		}
		out = append(out, s)
	}
	return out
}

// PossiblyHung returns the threads whose frame 0 is at the same address in
// every analysis of as (at least two analyses of one process), in the
// first analysis's thread order. A thread absent from any analysis, or
// without a frame 0 in any, is not listed.
func PossiblyHung(as []*dumpfacts.Analysis) []HungThread {
	out := []HungThread{}
	if len(as) < 2 {
		return out
	}
	rest := make([]map[uint32]dumpfacts.Hex, len(as)-1)
	for i, a := range as[1:] {
		rest[i] = frame0s(a)
	}
	done := map[uint32]bool{}
	for _, t := range as[0].Threads {
		if done[t.ID] || len(t.Stack) == 0 {
			continue
		}
		done[t.ID] = true
		pc := t.Stack[0].Address
		same := true
		for _, m := range rest {
			if got, ok := m[t.ID]; !ok || got != pc {
				same = false
				break
			}
		}
		if same {
			out = append(out, hungThread(t))
		}
	}
	at := map[string]int{}
	for _, h := range out {
		at[h.Frame]++
	}
	for i := range out {
		out[i].SameFrame = at[out[i].Frame]
	}
	return out
}

// frame0s maps each thread id to its frame 0 address (the first entry of
// a duplicated id wins, as in PossiblyHung).
func frame0s(a *dumpfacts.Analysis) map[uint32]dumpfacts.Hex {
	m := make(map[uint32]dumpfacts.Hex, len(a.Threads))
	for _, t := range a.Threads {
		if _, dup := m[t.ID]; dup || len(t.Stack) == 0 {
			continue
		}
		m[t.ID] = t.Stack[0].Address
	}
	return m
}

func hungThread(t dumpfacts.Thread) HungThread {
	f := t.Stack[0]
	h := HungThread{ThreadID: t.ID, Name: t.Name, Frame: f.Address.String()}
	switch {
	case len(t.Frames) > 0 && t.Frames[0] != "":
		h.Frame = t.Frames[0]
	case f.Module != "":
		h.Frame = f.Module + "+" + f.Offset.String()
	}
	if f.Function != "" {
		h.Function = f.Function
		if f.FunctionOffset != 0 {
			h.Function += " + " + f.FunctionOffset.String()
		}
	}
	return h
}

func truncatedThreads(as []*dumpfacts.Analysis) bool {
	for _, a := range as {
		if a.Truncated != nil && a.Truncated.Threads != nil {
			return true
		}
	}
	return false
}

// SeriesText is ", a series of N per target, S s apart" for an action
// with a series, else "".
func SeriesText(s *messages.Series) string {
	if !s.Enabled() {
		return ""
	}
	return fmt.Sprintf(", a series of %d per target, %d s apart", s.Count, s.IntervalSeconds)
}

// seriesTag is " · dump i/n" for a row of a series, else "".
func seriesTag(r *messages.SeriesRef) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf(" · dump %d/%d", r.Index, r.Count)
}

// writeSeriesMarkdown writes the "Dump series" section (nothing without
// series).
func writeSeriesMarkdown(b io.Writer, ss []Series) {
	if len(ss) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("\n## Dump series\n")
	for _, s := range ss {
		where := s.MachineName
		if where == "" {
			where = shortInstance(s.Instance)
		}
		p("\n### %s · %s · %s (pid %d): %d dumps, %d s apart\n\n", s.App, where, s.Process, s.PID, s.Count, s.IntervalSeconds)
		for _, d := range s.Dumps {
			at := ""
			if d.CapturedAt != nil {
				at = " at " + d.CapturedAt.Format("15:04:05Z")
			}
			if d.DurationMS > 0 {
				at += fmt.Sprintf(", took %.1f s", float64(d.DurationMS)/1000)
			}
			line := fmt.Sprintf("- Dump %d/%d: %s%s", d.Index, s.Count, d.Outcome, at)
			if d.Reason != "" {
				line += " (" + d.Reason + ")"
			}
			if d.DumpLink != "" {
				line += fmt.Sprintf(" · [dump](%s)", d.DumpLink)
			}
			if d.AnalysisLink != "" {
				line += fmt.Sprintf(" · [analysis](%s)", d.AnalysisLink)
			}
			p("%s\n", line)
		}
		if s.Analyzed >= 2 {
			p("\n**Possibly hung threads** (frame 0 unchanged in all %d analyzed dumps): %d\n\n", s.Analyzed, len(s.PossiblyHung))
			if len(s.PossiblyHung) > 0 {
				p("| Thread | Frame 0 | Function | Threads at this frame |\n|---|---|---|---|\n")
				for _, h := range s.PossiblyHung {
					id := fmt.Sprintf("%d (%#x)", h.ThreadID, h.ThreadID)
					if h.Name != "" {
						id += " " + h.Name
					}
					p("| %s | `%s` | %s | %d |\n", mdCell(id), strings.ReplaceAll(mdCell(h.Frame), "`", "'"), mdCell(h.Function), h.SameFrame)
				}
				p("\n")
			}
		} else {
			p("\n")
		}
		p("_%s_\n", s.Note)
	}
}
