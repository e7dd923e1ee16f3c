package messages

import (
	"strings"
	"time"
)

// Site is one App Service app or slot: the unit Kudu serves and the unit a
// CaptureJob targets.
type Site struct {
	// ResourceID is the ARM id of the app or slot, as given (ARM compares
	// ids case-insensitively).
	ResourceID     string `json:"resource_id"`
	SubscriptionID string `json:"subscription_id"`
	ResourceGroup  string `json:"resource_group"`
	// Name is the app's name; Slot is empty for the production slot.
	Name string `json:"name"`
	Slot string `json:"slot,omitempty"`
}

// Trigger says why an incident exists.
type Trigger struct {
	// Kind is one of "alert", "schedule", "manual", "rule".
	Kind string `json:"kind"`
	// Source is the alert source (e.g. "azure-common", "alertmanager"),
	// the schedule name, the manual caller, or the rule name.
	Source   string    `json:"source,omitempty"`
	Rule     string    `json:"rule,omitempty"`
	AlertID  string    `json:"alert_id,omitempty"`
	Severity string    `json:"severity,omitempty"`
	FiredAt  time.Time `json:"fired_at"`
	// Reason is a sentence a person reads in the report.
	Reason string `json:"reason,omitempty"`
	// Description is the alert rule's description, as sent.
	Description string `json:"description,omitempty"`
	// Conditions are what made the alert fire (metric or query, operator,
	// threshold, observed value, window), as the payload states them.
	Conditions []Condition `json:"conditions,omitempty"`
	// Links are URLs for a person (the alert or rule in the portal, log
	// search results, a dashboard), by name; http(s) only.
	Links map[string]string `json:"links,omitempty"`
}

// Condition is one criterion of the alert that fired; values as sent.
type Condition struct {
	Metric      string `json:"metric,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Query       string `json:"query,omitempty"`
	Operator    string `json:"operator,omitempty"`
	Threshold   string `json:"threshold,omitempty"`
	Observed    string `json:"observed,omitempty"`
	Aggregation string `json:"aggregation,omitempty"`
	Window      string `json:"window,omitempty"`
	WindowStart string `json:"window_start,omitempty"`
	WindowEnd   string `json:"window_end,omitempty"`
}

// Summary is the condition in one line: "MemoryWorkingSet (Average) 1.83e9
// GreaterThan 1.5e9 over PT5M".
func (c Condition) Summary() string {
	var parts []string
	what := c.Metric
	if what == "" && c.Query != "" {
		what = "query " + strings.Join(strings.Fields(c.Query), " ")
	}
	if what != "" && c.Aggregation != "" {
		what += " (" + c.Aggregation + ")"
	}
	if what != "" {
		parts = append(parts, what)
	}
	if c.Observed != "" {
		parts = append(parts, "was "+c.Observed)
	}
	if c.Operator != "" || c.Threshold != "" {
		parts = append(parts, strings.TrimSpace(c.Operator+" "+c.Threshold))
	}
	if c.Window != "" {
		parts = append(parts, "over "+c.Window)
	}
	return strings.Join(parts, " ")
}

// Dump types.
const (
	DumpMini = "mini"
	DumpFull = "full"
)

// Dump strategies (docs/kudu.md and the VFS section).
const (
	StrategyDirect = "direct"
	StrategyStaged = "staged"
)

// Action is what a job does to each selected process.
type Action struct {
	// DumpType is DumpMini or DumpFull.
	DumpType string `json:"dump_type"`
	// Kill asks for collect-kill: kill each process after its dump is
	// verified (never the SCM process; within the worker's kill budget).
	Kill bool `json:"kill,omitempty"`
	// Strategy is StrategyDirect or StrategyStaged; empty means the
	// worker's configured default.
	Strategy string `json:"strategy,omitempty"`
	// Analyze asks the analyzer for a per-dump analysis (default true in
	// ingest's policies).
	Analyze bool `json:"analyze,omitempty"`
	// Series asks for several dumps of every target, some seconds apart
	// (a hang shows as threads that did not move); nil is one dump.
	Series *Series `json:"series,omitempty"`
}

// Selector chooses target processes on each instance. The zero value
// selects the app's w3wp that is not the SCM site and not a webjob.
type Selector struct {
	// Names are process names to match exactly (case-insensitive, without
	// ".exe"), e.g. ["w3wp"], ["dotnet"].
	Names []string `json:"names,omitempty"`
	// NameRegex matches process names (Go RE2 syntax).
	NameRegex string `json:"name_regex,omitempty"`
	// PIDs selects these process ids only.
	PIDs []int `json:"pids,omitempty"`
	// Children selects the children of the app's w3wp (dotnet, node, java
	// under out-of-process hosting) instead of w3wp itself.
	Children bool `json:"children,omitempty"`
	// Largest keeps only the process with the most private memory on each
	// instance.
	Largest bool `json:"largest,omitempty"`
	// MinAgeSeconds skips processes younger than this (startup grace).
	MinAgeSeconds int `json:"min_age_seconds,omitempty"`
	// Instances limits the job to these instance ids; empty means all.
	Instances []string `json:"instances,omitempty"`
	// MachineNames limits the job to instances whose Kudu machineName is
	// one of these (alerts split by the Instance dimension carry it).
	MachineNames []string `json:"machine_names,omitempty"`
	// MaxCount caps the number of targets across the site; 0 is no cap.
	MaxCount int `json:"max_count,omitempty"`
}

// CaptureJob asks a worker to capture the selected processes of one site.
type CaptureJob struct {
	// JobID is deterministic: the incident id and the site (see JobID).
	JobID      string `json:"job_id"`
	IncidentID string `json:"incident_id"`
	Site       Site   `json:"site"`
	// IncidentTime is when the incident was created; it dates the dump
	// keys, so a redelivered job computes the same keys.
	IncidentTime time.Time `json:"incident_time"`
	Trigger      Trigger   `json:"trigger"`
	Action       Action    `json:"action"`
	Selector     Selector  `json:"selector"`
}

// DumpCaptured reports one dump committed to blob storage.
type DumpCaptured struct {
	IncidentID  string `json:"incident_id"`
	JobID       string `json:"job_id"`
	Site        Site   `json:"site"`
	Instance    string `json:"instance"`
	MachineName string `json:"machine_name,omitempty"`
	PID         int    `json:"pid"`
	Process     string `json:"process"`
	DumpType    string `json:"dump_type"`
	// DumpKey is the blob key of the dump.
	DumpKey    string    `json:"dump_key"`
	Bytes      int64     `json:"bytes"`
	SHA256     string    `json:"sha256"`
	Attempts   int       `json:"attempts"`
	DurationMS int64     `json:"duration_ms"`
	CapturedAt time.Time `json:"captured_at"`
	// Analyze asks the analyzer for a per-dump analysis.
	Analyze bool `json:"analyze,omitempty"`
	// Series places the dump in its target's series; nil when the job
	// asked for one dump per target.
	Series *SeriesRef `json:"series,omitempty"`
}

// Target outcomes in JobCompleted.
const (
	OutcomeCaptured = "captured"
	OutcomeFailed   = "failed"
	OutcomeSkipped  = "skipped"
)

// Kill records a collect-kill attempt.
type Kill struct {
	// Done is true when the process was killed and confirmed gone.
	Done bool `json:"done"`
	// Reason explains a kill that was not done (budget, cool-off, error).
	Reason string `json:"reason,omitempty"`
	// NewPID is the pid of the app's w3wp that came back, when seen.
	NewPID int `json:"new_pid,omitempty"`
}

// TargetResult is the outcome for one process (or one instance, when a
// failure happened before processes could be listed: PID is then 0).
type TargetResult struct {
	Instance    string `json:"instance"`
	MachineName string `json:"machine_name,omitempty"`
	PID         int    `json:"pid,omitempty"`
	Process     string `json:"process,omitempty"`
	// Outcome is OutcomeCaptured, OutcomeFailed or OutcomeSkipped.
	Outcome string `json:"outcome"`
	// Reason is a sentence a person reads (required unless captured).
	Reason   string `json:"reason,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
	DumpKey  string `json:"dump_key,omitempty"`
	Bytes    int64  `json:"bytes,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Kill     *Kill  `json:"kill,omitempty"`
	// Series places this row's dump in its target's series: a series has
	// one row per dump asked for, and only the last carries the Kill.
	Series *SeriesRef `json:"series,omitempty"`
}

// JobCompleted reports the end of one CaptureJob with every target's
// outcome.
type JobCompleted struct {
	IncidentID string         `json:"incident_id"`
	JobID      string         `json:"job_id"`
	Site       Site           `json:"site"`
	StartedAt  time.Time      `json:"started_at"`
	FinishedAt time.Time      `json:"finished_at"`
	Instances  []string       `json:"instances"`
	Targets    []TargetResult `json:"targets"`
	// Error is set when the job as a whole failed (e.g. the site's
	// instances could not be listed).
	Error string `json:"error,omitempty"`
}

// ManifestJob is one job an incident expects.
type ManifestJob struct {
	JobID string `json:"job_id"`
	Site  Site   `json:"site"`
}

// Manifest is the incident manifest ingest stores at
// incidents/{incident}/manifest.json before sending the jobs.
type Manifest struct {
	Version    int           `json:"version"`
	IncidentID string        `json:"incident_id"`
	CreatedAt  time.Time     `json:"created_at"`
	Trigger    Trigger       `json:"trigger"`
	Action     Action        `json:"action"`
	Selector   Selector      `json:"selector"`
	Jobs       []ManifestJob `json:"jobs"`
	// Policy names the capture policy that decided the action, if any.
	Policy string `json:"policy,omitempty"`
}

func (*CaptureJob) MessageType() string   { return TypeCaptureJob }
func (*DumpCaptured) MessageType() string { return TypeDumpCaptured }
func (*JobCompleted) MessageType() string { return TypeJobCompleted }

func payloadIncident(p Payload) string {
	switch v := p.(type) {
	case *CaptureJob:
		return v.IncidentID
	case *DumpCaptured:
		return v.IncidentID
	case *JobCompleted:
		return v.IncidentID
	}
	return ""
}
