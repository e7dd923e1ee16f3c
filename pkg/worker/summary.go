package worker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Summary is the JSON summary `worker capture` prints as its last stdout
// line (docs/contracts.md). Its names are a contract: add fields, never rename.
type Summary struct {
	Dumps    []SummaryDump    `json:"dumps"`
	Failures []SummaryFailure `json:"failures"`
	Killed   []SummaryKill    `json:"killed"`
	Skipped  []SummaryFailure `json:"skipped"`
}

// SummaryDump is one stored dump.
type SummaryDump struct {
	App        string `json:"app"`
	ResourceID string `json:"resource_id"`
	Instance   string `json:"instance"`
	// MachineName is the instance's machine name (what the portal shows).
	MachineName string `json:"machine_name,omitempty"`
	PID         int    `json:"pid"`
	Process     string `json:"process"`
	Key         string `json:"key"`
	Bytes       int64  `json:"bytes"`
	SHA256      string `json:"sha256"`
	DurationMS  int64  `json:"duration_ms"`
	Attempts    int    `json:"attempts"`
	// Existing is true when the dump was already stored (not taken again).
	Existing bool `json:"existing,omitempty"`
	// Series places the dump in its process's series (--series).
	Series *messages.SeriesRef `json:"series,omitempty"`
}

// SummaryFailure is one target (or app, with PID 0) that failed or was
// skipped, with the reason.
type SummaryFailure struct {
	App         string `json:"app"`
	Instance    string `json:"instance,omitempty"`
	MachineName string `json:"machine_name,omitempty"`
	PID         int    `json:"pid"`
	Process     string `json:"process,omitempty"`
	Reason      string `json:"reason"`
}

// SummaryKill is one collect-kill attempt.
type SummaryKill struct {
	App         string `json:"app"`
	Instance    string `json:"instance"`
	MachineName string `json:"machine_name,omitempty"`
	PID         int    `json:"pid"`
	Done        bool   `json:"done"`
	NewPID      int    `json:"new_pid,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// Failed reports whether any target or app failed.
func (s *Summary) Failed() bool { return len(s.Failures) > 0 }

// NothingMatched reports whether the selector matched no process anywhere:
// nothing captured, nothing failed, and every instance was skipped as
// having no matching process (a skipped result without a pid).
func (s *Summary) NothingMatched() bool {
	if len(s.Dumps) > 0 || len(s.Failures) > 0 || len(s.Skipped) == 0 {
		return false
	}
	for _, k := range s.Skipped {
		if k.PID != 0 {
			return false
		}
	}
	return true
}

// CaptureAll runs the jobs at once on e (the engine's global limit bounds
// the dumps in flight) and summarizes them. A job that returns an error
// (interrupted) is listed as a failure of its app.
func CaptureAll(ctx context.Context, e *Engine, jobs []*messages.CaptureJob) *Summary {
	s := &Summary{Dumps: []SummaryDump{}, Failures: []SummaryFailure{}, Killed: []SummaryKill{}, Skipped: []SummaryFailure{}}
	results := make([]*JobResult, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.Capture(ctx, j)
		}()
	}
	wg.Wait()
	for i, j := range jobs {
		app := j.Site.Segment()
		if errs[i] != nil {
			s.Failures = append(s.Failures, SummaryFailure{App: app, Reason: errs[i].Error()})
			if results[i] == nil {
				continue
			}
		}
		c := results[i].Completed
		if c.Error != "" {
			s.Failures = append(s.Failures, SummaryFailure{App: app, Reason: c.Error})
		}
		durations := map[string]int64{}
		for _, d := range results[i].Dumps {
			durations[d.DumpKey] = d.DurationMS
		}
		for _, t := range c.Targets {
			switch t.Outcome {
			case messages.OutcomeCaptured:
				s.Dumps = append(s.Dumps, SummaryDump{App: app, ResourceID: j.Site.ResourceID, Instance: t.Instance, MachineName: t.MachineName, PID: t.PID,
					Process: t.Process, Key: t.DumpKey, Bytes: t.Bytes, SHA256: t.SHA256, DurationMS: durations[t.DumpKey],
					Attempts: t.Attempts, Existing: t.Reason != "", Series: t.Series}) // only a found dump carries a reason
			case messages.OutcomeFailed:
				s.Failures = append(s.Failures, SummaryFailure{App: app, Instance: t.Instance, MachineName: t.MachineName, PID: t.PID, Process: t.Process, Reason: t.Reason})
			default:
				s.Skipped = append(s.Skipped, SummaryFailure{App: app, Instance: t.Instance, MachineName: t.MachineName, PID: t.PID, Process: t.Process, Reason: t.Reason})
			}
			if t.Kill != nil {
				s.Killed = append(s.Killed, SummaryKill{App: app, Instance: t.Instance, MachineName: t.MachineName, PID: t.PID, Done: t.Kill.Done, NewPID: t.Kill.NewPID, Reason: t.Kill.Reason})
			}
		}
	}
	return s
}

// ManualJob builds the CaptureJob of a one-shot capture of site.
func ManualJob(site messages.Site, incident string, at time.Time, act messages.Action, sel messages.Selector) (*messages.CaptureJob, error) {
	j := &messages.CaptureJob{
		JobID: messages.JobID(incident, site), IncidentID: incident, Site: site, IncidentTime: at.UTC(),
		Trigger: messages.Trigger{Kind: "manual", Source: "worker capture", FiredAt: at.UTC(), Reason: "on-call capture from the command line"},
		Action:  act, Selector: sel,
	}
	if err := j.Validate(); err != nil {
		return nil, fmt.Errorf("capture job for %s: %w", site.ResourceID, err)
	}
	return j, nil
}
