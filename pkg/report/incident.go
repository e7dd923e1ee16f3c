package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Row outcomes beyond messages.Outcome*: a target whose job has not
// reported yet.
const (
	OutcomePending = "pending"
)

// Incident is the report model of one incident. Build makes it; the
// writers render it.
type Incident struct {
	ID        string           `json:"incident_id"`
	CreatedAt time.Time        `json:"created_at"`
	Trigger   messages.Trigger `json:"trigger"`
	Action    messages.Action  `json:"action"`
	Policy    string           `json:"policy,omitempty"`
	// Complete is true when every expected job has reported.
	Complete bool     `json:"complete"`
	Counts   Counts   `json:"counts"`
	Jobs     []Job    `json:"jobs"`
	Targets  []Target `json:"targets"`
	// Series groups the dumps of each dump series, with the threads that
	// did not move across it; absent when the incident took none.
	Series   []Series `json:"series,omitempty"`
	Timeline []Event  `json:"timeline"`
}

// Counts summarise the targets.
type Counts struct {
	Captured int `json:"captured"`
	Failed   int `json:"failed"`
	Skipped  int `json:"skipped"`
	Pending  int `json:"pending"`
	Killed   int `json:"killed"`
	Analyzed int `json:"analyzed"`
}

// Job is one expected CaptureJob and how it ended.
type Job struct {
	JobID      string     `json:"job_id"`
	App        string     `json:"app"`
	ResourceID string     `json:"resource_id"`
	Reported   bool       `json:"reported"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Instances  []string   `json:"instances,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// Target is one row of app × instance × process.
type Target struct {
	App         string `json:"app"`
	Instance    string `json:"instance"`
	MachineName string `json:"machine_name,omitempty"`
	Process     string `json:"process,omitempty"`
	PID         int    `json:"pid,omitempty"`
	// Outcome is captured, failed, skipped or pending.
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	// Killed is true when the process was killed after its dump;
	// KillNote explains a kill that was asked for and not done.
	Killed   bool   `json:"killed"`
	KillNote string `json:"kill_note,omitempty"`
	Bytes    int64  `json:"bytes,omitempty"`
	DumpType string `json:"dump_type,omitempty"`
	// DumpKey and AnalysisKey are blob keys; DumpLink and AnalysisLink
	// are the same relative to the report's own directory.
	DumpKey      string `json:"dump_key,omitempty"`
	DumpLink     string `json:"dump_link,omitempty"`
	AnalysisKey  string `json:"analysis_key,omitempty"`
	AnalysisLink string `json:"analysis_link,omitempty"`
	// Analysis summary, when the dump was analyzed.
	CrashReason   string              `json:"crash_reason,omitempty"`
	CrashLocation string              `json:"crash_location,omitempty"`
	Runtimes      []string            `json:"runtimes,omitempty"`
	Threads       int                 `json:"threads,omitempty"`
	Committed     uint64              `json:"committed_bytes,omitempty"`
	Findings      []dumpfacts.Finding `json:"findings,omitempty"`
	AnalysisError string              `json:"analysis_error,omitempty"`
	// Series places the row's dump in its series (Incident.Series).
	Series *messages.SeriesRef `json:"series,omitempty"`
}

// Event is one line of the timeline.
type Event struct {
	Time time.Time `json:"time"`
	Text string    `json:"text"`
}

// Build assembles the incident report from stored state: the manifest,
// the stored JobCompleted messages and the per-dump reports, in any order
// and with duplicates. It reads no clock.
func Build(m *messages.Manifest, jobs []*messages.JobCompleted, dumps []*DumpReport) *Incident {
	inc := &Incident{ID: m.IncidentID, CreatedAt: m.CreatedAt, Trigger: m.Trigger, Action: m.Action, Policy: m.Policy}
	done := map[string]*messages.JobCompleted{}
	for _, j := range jobs {
		if j != nil && j.IncidentID == m.IncidentID {
			done[j.JobID] = j
		}
	}
	byKey := map[string]*DumpReport{}
	for _, d := range dumps {
		if d != nil && d.Capture != nil {
			byKey[d.Capture.DumpKey] = d
		}
	}
	seen := map[string]bool{}
	expected := map[string]bool{}
	for _, mj := range m.Jobs {
		expected[mj.JobID] = true
	}
	// Jobs that reported without being in the manifest still count.
	allJobs := append([]messages.ManifestJob(nil), m.Jobs...)
	for id, j := range done {
		if !expected[id] {
			allJobs = append(allJobs, messages.ManifestJob{JobID: id, Site: j.Site})
		}
	}
	sort.Slice(allJobs, func(i, k int) bool { return allJobs[i].JobID < allJobs[k].JobID })

	inc.Complete = true
	for _, mj := range allJobs {
		app := appName(mj.Site)
		job := Job{JobID: mj.JobID, App: app, ResourceID: mj.Site.ResourceID}
		jc := done[mj.JobID]
		if jc == nil {
			inc.Complete = false
		} else {
			job.Reported = true
			s, f := jc.StartedAt, jc.FinishedAt
			job.StartedAt, job.FinishedAt, job.Instances, job.Error = &s, &f, jc.Instances, jc.Error
			for _, t := range jc.Targets {
				row := Target{App: app, Instance: t.Instance, MachineName: t.MachineName, Process: t.Process, PID: t.PID,
					Outcome: t.Outcome, Reason: t.Reason, DumpKey: t.DumpKey, Bytes: t.Bytes, Series: t.Series}
				if k := t.Kill; k != nil {
					row.Killed = k.Done
					if !k.Done {
						row.KillNote = k.Reason
					}
				}
				if t.DumpKey != "" {
					seen[t.DumpKey] = true
				}
				inc.Targets = append(inc.Targets, fill(m.IncidentID, mj.Site, row, byKey[t.DumpKey]))
			}
			if len(jc.Targets) == 0 && jc.Error != "" {
				inc.Targets = append(inc.Targets, Target{App: app, Instance: "(all)", Outcome: messages.OutcomeFailed, Reason: jc.Error})
			}
		}
		// Dumps of a job that has not reported yet (or that it left out).
		for _, d := range dumps {
			c := d.Capture
			if c == nil || c.JobID != mj.JobID || seen[c.DumpKey] {
				continue
			}
			seen[c.DumpKey] = true
			row := Target{App: app, Instance: c.Instance, MachineName: c.MachineName, Process: c.Process, PID: c.PID,
				Outcome: messages.OutcomeCaptured, DumpKey: c.DumpKey, Bytes: c.Bytes, Series: c.Series}
			inc.Targets = append(inc.Targets, fill(m.IncidentID, mj.Site, row, d))
		}
		if jc == nil && !hasApp(inc.Targets, app) {
			inc.Targets = append(inc.Targets, Target{App: app, Instance: "—", Outcome: OutcomePending, Reason: "the capture job has not reported yet"})
		}
		inc.Jobs = append(inc.Jobs, job)
	}
	sort.SliceStable(inc.Targets, func(i, k int) bool {
		a, b := inc.Targets[i], inc.Targets[k]
		if a.App != b.App {
			return a.App < b.App
		}
		if a.Instance != b.Instance {
			return a.Instance < b.Instance
		}
		if a.PID != b.PID {
			return a.PID < b.PID
		}
		return seriesIndex(a.Series) < seriesIndex(b.Series)
	})
	for _, t := range inc.Targets {
		switch t.Outcome {
		case messages.OutcomeCaptured:
			inc.Counts.Captured++
		case messages.OutcomeFailed:
			inc.Counts.Failed++
		case messages.OutcomeSkipped:
			inc.Counts.Skipped++
		default:
			inc.Counts.Pending++
		}
		if t.Killed {
			inc.Counts.Killed++
		}
		if t.CrashReason != "" || t.Threads > 0 {
			inc.Counts.Analyzed++
		}
	}
	if ss := buildSeries(inc.Targets, byKey); len(ss) > 0 {
		inc.Series = ss
	}
	inc.Timeline = timeline(m, allJobs, done, dumps)
	if inc.Jobs == nil {
		inc.Jobs = []Job{}
	}
	if inc.Targets == nil {
		inc.Targets = []Target{}
	}
	return inc
}

func hasApp(ts []Target, app string) bool {
	for _, t := range ts {
		if t.App == app {
			return true
		}
	}
	return false
}

// appName is the app, with its slot when not production.
func appName(s messages.Site) string {
	if s.Slot != "" {
		return s.Name + "/" + s.Slot
	}
	return s.Name
}

// fill adds links and the analysis summary to a captured row.
func fill(incident string, site messages.Site, row Target, d *DumpReport) Target {
	if row.DumpKey != "" {
		row.DumpLink = relLink(incident, row.DumpKey)
	}
	if row.Outcome == messages.OutcomeCaptured && row.PID > 0 {
		row.AnalysisKey = layout.SeriesDumpReportKey(incident, site.Segment(), row.Instance, row.Process, row.PID, seriesIndex(row.Series))
		row.AnalysisLink = relLink(incident, row.AnalysisKey)
	}
	if d == nil {
		return row
	}
	if d.Capture != nil {
		row.DumpType = d.Capture.DumpType
		if row.MachineName == "" {
			row.MachineName = d.Capture.MachineName
		}
	}
	row.AnalysisError = d.AnalysisError
	a := d.Analysis
	if a == nil {
		return row
	}
	row.DumpType = a.Dump.Type
	if a.Crash != nil {
		row.CrashReason, row.CrashLocation = a.Crash.Reason, a.Crash.Location
		if a.Crash.Symbol != "" {
			row.CrashLocation = a.Crash.Symbol // the function, when symbols named it
		}
	}
	for _, rt := range a.Runtimes {
		row.Runtimes = append(row.Runtimes, rt.Name)
	}
	row.Threads = len(a.Threads)
	if a.Process != nil && a.Process.ThreadCount > row.Threads {
		row.Threads = a.Process.ThreadCount // the dump's total, when the list was cut
	}
	if a.Memory != nil {
		row.Committed = a.Memory.Committed
	}
	row.Findings = a.Findings
	return row
}

// relLink turns a blob key into a link relative to reports/{incident}/.
func relLink(incident, key string) string {
	own := "reports/" + layout.Segment(incident) + "/"
	if strings.HasPrefix(key, own) {
		return strings.TrimPrefix(key, own)
	}
	return "../../" + key
}

func timeline(m *messages.Manifest, jobs []messages.ManifestJob, done map[string]*messages.JobCompleted, dumps []*DumpReport) []Event {
	var ev []Event
	add := func(t time.Time, format string, args ...any) {
		if !t.IsZero() {
			ev = append(ev, Event{t.UTC(), fmt.Sprintf(format, args...)})
		}
	}
	what := m.Trigger.Kind
	if m.Trigger.Rule != "" {
		what += " " + m.Trigger.Rule
	}
	add(m.Trigger.FiredAt, "Trigger fired: %s", what)
	add(m.CreatedAt, "Incident created: %d capture job(s), %s dumps%s%s", len(m.Jobs), m.Action.DumpType, SeriesText(m.Action.Series), killNote(m.Action.Kill))
	for _, mj := range jobs {
		if jc := done[mj.JobID]; jc != nil {
			add(jc.StartedAt, "%s: capture started on %d instance(s)", appName(jc.Site), len(jc.Instances))
			captured, failed, killed := 0, 0, 0
			for _, t := range jc.Targets {
				switch t.Outcome {
				case messages.OutcomeCaptured:
					captured++
				case messages.OutcomeFailed:
					failed++
				}
				if t.Kill != nil && t.Kill.Done {
					killed++
				}
			}
			msg := fmt.Sprintf("%s: job finished, %d captured, %d failed", appName(jc.Site), captured, failed)
			if killed > 0 {
				msg += fmt.Sprintf(", %d killed", killed)
			}
			if jc.Error != "" {
				msg += " (" + jc.Error + ")"
			}
			add(jc.FinishedAt, "%s", msg)
		}
	}
	for _, d := range dumps {
		if c := d.Capture; c != nil {
			add(c.CapturedAt, "%s: dumped %s (pid %d) on %s, %s%s", appName(c.Site), c.Process, c.PID, c.Instance, dumpfacts.Bytes(uint64(max(c.Bytes, 0))), seriesTag(c.Series))
			switch {
			case d.AnalysisError != "":
				add(d.AnalyzedAt, "%s: %s (pid %d) could not be analyzed", appName(c.Site), c.Process, c.PID)
			case d.Analysis != nil && d.Analysis.Crash != nil:
				add(d.AnalyzedAt, "%s: %s (pid %d) analyzed: %s", appName(c.Site), c.Process, c.PID, d.Analysis.Crash.Reason)
			case d.Analysis != nil:
				add(d.AnalyzedAt, "%s: %s (pid %d) analyzed: no exception (live snapshot)", appName(c.Site), c.Process, c.PID)
			}
		}
	}
	sort.SliceStable(ev, func(i, k int) bool {
		if !ev[i].Time.Equal(ev[k].Time) {
			return ev[i].Time.Before(ev[k].Time)
		}
		return ev[i].Text < ev[k].Text
	})
	if ev == nil {
		ev = []Event{}
	}
	return ev
}

// seriesIndex is a row's place in its series, 0 outside a series.
func seriesIndex(r *messages.SeriesRef) int {
	if r == nil {
		return 0
	}
	return r.Index
}

func killNote(kill bool) string {
	if kill {
		return ", then kill (collect-kill)"
	}
	return ""
}
