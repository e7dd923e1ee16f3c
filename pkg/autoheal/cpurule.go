package autoheal

import (
	"fmt"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// CPU monitoring modes: DaaS's SessionMode names (docs/autoheal.md, "CPU
// monitoring rules").
const (
	CPUModeCollect               = "Collect"
	CPUModeCollectAndKill        = "CollectAndKill"
	CPUModeCollectKillAndAnalyze = "CollectKillAndAnalyze"
	CPUModeKill                  = "Kill"
)

// DaaS's limits on a monitoring session, refused when crossed
// (MonitoringSessionController.ValidateSessionParameters).
const (
	MinCPUThreshold        = 50
	MaxCPUActions          = 20
	MinMonitorDuration     = 5
	MinThresholdSeconds    = 15
	MaxMonitoringHours     = 365 * 24
	defaultCPUMonitorHours = 24 * 7
)

// cpuAlwaysExcluded are the diagnostic tools DaaS never monitors (they are
// what a monitoring session itself starts).
var cpuAlwaysExcluded = []string{"daasrunner", "daasconsole", "workerforwarder",
	"msvsmon", "cmd", "powershell", "SnapshotHolder_x64", "SnapshotHolder_x86", "ApplicationInsightsProfiler",
	"VSDiagnostics", "clrprofilingcollector", "clrprofilinganalyzer", "stacktracer32", "stacktracer64",
	"jstackparser", "logparser", "procdump", "procdump64", "cdb", "loganalysisworker", "PhpReportGen",
	"DumpAnalyzer", "MemoryDumpCollector", "SnapshotUploader64", "SnapshotUploader86", "crashmon"}

// CPURule is App Service's proactive CPU monitoring (a DaaS monitoring
// session) as a dumpflow rule: every process on every instance of its sites
// is sampled every MonitorDuration seconds; a process whose CPU stays at or
// above CpuThreshold percent for samples covering ThresholdSeconds gets the
// mode's action; at most MaxActions actions per site across all instances,
// and no action after MaximumNumberOfHours. Field names are DaaS's.
type CPURule struct {
	Name  string   `json:"name"`
	Sites []string `json:"sites,omitempty"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
	// Mode is Collect, CollectAndKill, CollectKillAndAnalyze or Kill.
	Mode string `json:"mode"`
	// CpuThreshold is in percent of the whole instance (all cores), at
	// least 50.
	CpuThreshold int `json:"cpuThreshold"`
	// ThresholdSeconds is how long the CPU must stay high, at least 15.
	ThresholdSeconds int `json:"thresholdSeconds"`
	// MonitorDuration is the sampling interval in seconds, at least 5.
	MonitorDuration int `json:"monitorDuration"`
	// MaxActions caps actions per site across all instances, at most 20;
	// 0 means no cap (as in DaaS).
	MaxActions int `json:"maxActions,omitempty"`
	// MaximumNumberOfHours ends the session this long after it started
	// (at most a year); 0 means one week.
	MaximumNumberOfHours int `json:"maximumNumberOfHours,omitempty"`
	// ProcessWarmupTime: no action on a process younger than this.
	ProcessWarmupTime TimeSpan `json:"processWarmupTime,omitempty"`
	// ProcessesToMonitor limits the watch to these process names
	// (case-insensitive, without ".exe"); empty means every process.
	ProcessesToMonitor []string `json:"processesToMonitor,omitempty"`
	// MonitorScmProcesses also watches the processes of Kudu's own site
	// (WebJobs). Kudu's w3wp itself is never acted on.
	MonitorScmProcesses bool `json:"monitorScmProcesses,omitempty"`
	// DumpType is "full" (default, DaaS's procdump -ma) or "mini".
	DumpType string `json:"dump_type,omitempty"`
	// Series asks for several dumps of the process, interval_seconds
	// apart, in the modes that collect (not in Kill); omitted is one dump.
	Series *messages.Series `json:"series,omitempty"`
}

// IsEnabled reports whether the rule is enabled (the default).
func (r *CPURule) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// Validate reports the first impossible value, or the first of DaaS's
// limits crossed, as *ImportError naming the field.
func (r *CPURule) Validate() error {
	switch {
	case r.Name == "":
		return &ImportError{"name", "required"}
	case r.Mode == "":
		return &ImportError{"mode", "required (Collect, CollectAndKill, CollectKillAndAnalyze or Kill)"}
	case r.Mode != CPUModeCollect && r.Mode != CPUModeCollectAndKill && r.Mode != CPUModeCollectKillAndAnalyze && r.Mode != CPUModeKill:
		return &ImportError{"mode", fmt.Sprintf("unknown mode %q (want Collect, CollectAndKill, CollectKillAndAnalyze or Kill)", r.Mode)}
	case r.CpuThreshold < MinCPUThreshold || r.CpuThreshold > 100:
		return &ImportError{"cpuThreshold", fmt.Sprintf("%d: CpuThreshold cannot be less than %d percent (nor above 100)", r.CpuThreshold, MinCPUThreshold)}
	case r.ThresholdSeconds < MinThresholdSeconds:
		return &ImportError{"thresholdSeconds", fmt.Sprintf("%d: ThresholdSeconds cannot be less than %d seconds", r.ThresholdSeconds, MinThresholdSeconds)}
	case r.MonitorDuration < MinMonitorDuration:
		return &ImportError{"monitorDuration", fmt.Sprintf("%d: MonitorDuration cannot be less than %d seconds", r.MonitorDuration, MinMonitorDuration)}
	case r.MaxActions < 0 || r.MaxActions > MaxCPUActions:
		return &ImportError{"maxActions", fmt.Sprintf("%d: MaxActions cannot be more than %d actions (nor negative)", r.MaxActions, MaxCPUActions)}
	case r.MaximumNumberOfHours < 0 || r.MaximumNumberOfHours > MaxMonitoringHours:
		return &ImportError{"maximumNumberOfHours", fmt.Sprintf("%d: MaximumNumberOfHours cannot be more than %d hours (nor negative)", r.MaximumNumberOfHours, MaxMonitoringHours)}
	case r.ProcessWarmupTime < 0:
		return &ImportError{"processWarmupTime", "negative"}
	case r.DumpType != "" && r.DumpType != "mini" && r.DumpType != "full":
		return &ImportError{"dump_type", fmt.Sprintf("%q (want mini or full)", r.DumpType)}
	}
	if r.Series != nil && r.Mode == CPUModeKill {
		return &ImportError{"series", "Kill mode takes no dump series; use CollectAndKill"}
	}
	if err := validateSeries("series", r.Series); err != nil {
		return err
	}
	for i, n := range r.ProcessesToMonitor {
		if strings.TrimSpace(n) == "" {
			return &ImportError{fmt.Sprintf("processesToMonitor[%d]", i), "empty name"}
		}
	}
	return nil
}

// Hours is MaximumNumberOfHours with its default.
func (r *CPURule) Hours() time.Duration {
	h := r.MaximumNumberOfHours
	if h == 0 {
		h = defaultCPUMonitorHours
	}
	return time.Duration(h) * time.Hour
}

// Action is the pipeline action of the rule's mode. Kill keeps evidence:
// dumpflow has no kill without a dump, so it takes a mini dump first (as
// an imported Recycle does). Only CollectKillAndAnalyze asks for analysis,
// as DaaS analyzes only in that mode.
func (r *CPURule) Action() (a Action, analyze bool) {
	dt := r.DumpType
	if dt == "" {
		dt = "full"
	}
	switch r.Mode {
	case CPUModeCollect:
		return Action{Kind: ActionCollect, DumpType: dt, Series: r.Series}, false
	case CPUModeCollectAndKill:
		return Action{Kind: ActionCollectKill, DumpType: dt, Series: r.Series}, false
	case CPUModeCollectKillAndAnalyze:
		return Action{Kind: ActionCollectKill, DumpType: dt, Series: r.Series}, true
	}
	return Action{Kind: ActionCollectKill, DumpType: "mini", Note: "Kill mode: a mini dump is taken before the kill"}, false
}

// monitors reports whether the rule watches a process by name (before its
// detail is read).
func (r *CPURule) monitors(name string) bool {
	for _, x := range cpuAlwaysExcluded {
		if strings.EqualFold(x, name) {
			return false
		}
	}
	if len(r.ProcessesToMonitor) == 0 {
		return true
	}
	for _, x := range r.ProcessesToMonitor {
		if strings.EqualFold(strings.TrimSuffix(strings.TrimSpace(x), ".exe"), name) {
			return true
		}
	}
	return false
}
