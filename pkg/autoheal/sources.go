package autoheal

import "fmt"

// Observation sources, as SourceNote.Source names them.
const (
	SourceMemoryWatch = "memory watch (Kudu process detail)"
	SourceMetrics     = "Azure Monitor metrics (per instance, per minute)"
	SourceCPUWatch    = "CPU watch (Kudu process detail, total_cpu_time)"
	SourceWebLogs     = "web server logs (W3C, per request)"
)

// webLogsNote is the note of request triggers read from web server logs.
const webLogsNote = "while the site logs to the file system (LogFiles/http/RawLogs); late by as long as HTTP.sys buffers its log"

// SourceNote says where one trigger of one rule is observed, and how that
// source changes when it fires compared with App Service's in-process
// auto-heal (docs/autoheal.md, "Observation sources").
type SourceNote struct {
	Rule    string `json:"rule"`
	Trigger string `json:"trigger"`
	Source  string `json:"source"`
	// Fallback marks the source a request trigger falls back to when the
	// site does not write web server logs.
	Fallback bool `json:"fallback,omitempty"`
	// Never is set when the source cannot make the trigger fire at all.
	Never bool `json:"never,omitempty"`
	// Note explains an approximation or why it never fires.
	Note string `json:"note,omitempty"`
}

// SourceNotes lists, for every enabled rule, each trigger's source. A
// request trigger has two: web server logs, per request, when the site
// writes them; and the Azure Monitor metrics it falls back to otherwise
// (Fallback set), with what they cannot express.
func (f *File) SourceNotes() []SourceNote {
	var out []SourceNote
	for _, r := range f.Rules {
		if !r.IsEnabled() {
			continue
		}
		addSource := func(trigger, source string, never bool, note string) {
			out = append(out, SourceNote{Rule: r.Name, Trigger: trigger, Source: source, Never: never, Note: note})
		}
		// add notes a request trigger: web logs first, metrics as fallback.
		add := func(trigger, source string, never bool, note string) {
			addSource(trigger, SourceWebLogs, false, webLogsNote)
			out = append(out, SourceNote{Rule: r.Name, Trigger: trigger, Source: source, Fallback: true, Never: never, Note: note})
		}
		t := r.Triggers
		if t.PrivateBytesInKB > 0 {
			addSource("privateBytesInKB", SourceMemoryWatch, false, "")
		}
		if t.Requests != nil {
			add("requests", SourceMetrics, false, "counted per minute: may fire up to a minute late")
		}
		if t.SlowRequests != nil {
			add("slowRequests", SourceMetrics, false, "the minute's average response time stands for each of its requests")
		}
		for i, s := range t.SlowRequestsWithPath {
			name := fmt.Sprintf("slowRequestsWithPath[%d]", i)
			if s.Path != "" {
				add(name, SourceMetrics, true, "metrics carry no request paths")
			} else {
				add(name, SourceMetrics, false, "the minute's average response time stands for each of its requests")
			}
		}
		for i, s := range t.StatusCodes {
			name := fmt.Sprintf("statusCodes[%d]", i)
			switch {
			case s.Path != "":
				add(name, SourceMetrics, true, "metrics carry no request paths")
			case s.SubStatus != 0 || s.Win32Status != 0:
				add(name, SourceMetrics, true, "metrics carry no sub-status or win32 status")
			case s.Status%100 != 0:
				add(name, SourceMetrics, true, fmt.Sprintf("metrics count status classes only (Http%dxx), never status %d", s.Status/100, s.Status))
			default:
				add(name, SourceMetrics, false, fmt.Sprintf("every %dxx response counts as %d", s.Status/100, s.Status))
			}
		}
		for i, s := range t.StatusCodesRange {
			name := fmt.Sprintf("statusCodesRange[%d]", i)
			lo, hi, _ := ParseStatusRange(s.StatusCodes)
			classIn := false
			for c := 200; c <= 500; c += 100 {
				classIn = classIn || (c >= lo && c <= hi)
			}
			switch {
			case s.Path != "":
				add(name, SourceMetrics, true, "metrics carry no request paths")
			case !classIn:
				add(name, SourceMetrics, true, fmt.Sprintf("metrics count status classes only (as 200, 300, 400, 500); none lies in %s", s.StatusCodes))
			case lo%100 != 0 || hi%100 != 99:
				add(name, SourceMetrics, false, "metrics count whole status classes: a class counts when its code (200, 300, 400, 500) lies in the range")
			default:
				add(name, SourceMetrics, false, "")
			}
		}
	}
	if p := f.Proactive; p != nil && p.Enabled {
		if p.MemoryLimitBytes > 0 {
			out = append(out, SourceNote{Rule: ProactiveRule, Trigger: "proactive.memory", Source: SourceMemoryWatch})
		}
		out = append(out, SourceNote{Rule: ProactiveRule, Trigger: "proactive.requests", Source: SourceWebLogs, Note: webLogsNote},
			SourceNote{Rule: ProactiveRule, Trigger: "proactive.requests", Source: SourceMetrics, Fallback: true,
				Note: "the minute's average response time stands for each of its requests"})
	}
	for _, r := range f.CPURules {
		if r.IsEnabled() {
			out = append(out, SourceNote{Rule: r.Name, Trigger: "cpu", Source: SourceCPUWatch})
		}
	}
	return out
}
