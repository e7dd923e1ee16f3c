package autoheal

import (
	"fmt"
	"time"
)

// CPUSample is one reading of one process on one instance (from Kudu's
// process detail).
type CPUSample struct {
	PID     int
	Process string
	// Start is the process start time; zero when unreadable.
	Start time.Time
	// TotalCPU is the process's total processor time so far.
	TotalCPU time.Duration
	// Cores is the instance's processor count (NUMBER_OF_PROCESSORS).
	Cores int
	// SCM marks Kudu's own w3wp; WebJob a process of Kudu's site.
	SCM, WebJob bool
	MachineName string
}

// cpuProc is what the tracker remembers of one process.
type cpuProc struct {
	cpu  time.Duration
	at   time.Time
	high int // consecutive samples at or above the threshold
}

// cpuDecision is a process whose high run reached ThresholdSeconds.
type cpuDecision struct {
	sample  CPUSample
	percent float64
	reason  string
}

// cpuTracker applies one CPU rule's sampling semantics to one instance's
// samples (docs/autoheal.md, "CPU monitoring rules"). It is not safe for
// concurrent use; the watch owns one per instance.
type cpuTracker struct {
	rule  *CPURule
	procs map[int]*cpuProc
}

func newCPUTracker(r *CPURule) *cpuTracker {
	return &cpuTracker{rule: r, procs: map[int]*cpuProc{}}
}

// cpuPercent is Δ processor time ÷ (cores × Δ wall time), in percent. A
// negative Δ (a counter that went back) counts as 0, as in DaaS.
func cpuPercent(dCPU, dWall time.Duration, cores int) float64 {
	if cores < 1 {
		cores = 1
	}
	if dCPU < 0 || dWall <= 0 {
		return 0
	}
	return 100 * dCPU.Seconds() / (float64(cores) * dWall.Seconds())
}

// observe takes one poll's samples of the instance at now and returns the
// processes due for an action. A process seen for the first time only sets
// its baseline. Processes absent from the poll are forgotten, so a recycled
// worker (a new pid) starts a new run.
func (t *cpuTracker) observe(samples []CPUSample, now time.Time) []cpuDecision {
	r := t.rule
	var out []cpuDecision
	seen := make(map[int]bool, len(samples))
	for _, s := range samples {
		seen[s.PID] = true
		p := t.procs[s.PID]
		if p == nil {
			t.procs[s.PID] = &cpuProc{cpu: s.TotalCPU, at: now}
			continue
		}
		pct := cpuPercent(s.TotalCPU-p.cpu, now.Sub(p.at), s.Cores)
		p.cpu, p.at = s.TotalCPU, now
		if pct < float64(r.CpuThreshold) {
			p.high = 0
			continue
		}
		p.high++
		// DaaS counts samples, not wall time: n samples cover
		// n × MonitorDuration seconds.
		covered := p.high * r.MonitorDuration
		if covered < r.ThresholdSeconds {
			continue
		}
		p.high = 0
		out = append(out, cpuDecision{sample: s, percent: pct, reason: fmt.Sprintf(
			"%s(%d) CPU %.1f %% ≥ %d %% for %d s (%d samples every %d s; thresholdSeconds %d)",
			s.Process, s.PID, pct, r.CpuThreshold, covered, covered/r.MonitorDuration, r.MonitorDuration, r.ThresholdSeconds)})
	}
	for pid := range t.procs {
		if !seen[pid] {
			delete(t.procs, pid)
		}
	}
	return out
}
