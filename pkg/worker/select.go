package worker

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// appProcessName is the IIS worker process that hosts the app (and Kudu).
const appProcessName = "w3wp"

// selector is a compiled messages.Selector.
type selector struct {
	names     map[string]bool
	re        *regexp.Regexp
	pids      map[int]bool
	children  bool
	largest   bool
	minAge    time.Duration
	instances map[string]bool
	machines  map[string]bool
	maxCount  int
	// perInstance caps the targets on one instance (Config.
	// MaxTargetsPerInstance); <= 0 is no cap.
	perInstance int
}

// compileSelector checks and compiles s. Its errors are permanent: the job
// itself is wrong.
func compileSelector(s messages.Selector) (*selector, error) {
	c := &selector{
		children: s.Children,
		largest:  s.Largest,
		minAge:   time.Duration(s.MinAgeSeconds) * time.Second,
		maxCount: s.MaxCount,
	}
	if s.NameRegex != "" {
		re, err := regexp.Compile(s.NameRegex)
		if err != nil {
			return nil, fmt.Errorf("selector name_regex: %w", err)
		}
		c.re = re
	}
	c.names = lowerSet(s.Names, func(n string) string { return strings.TrimSuffix(n, ".exe") })
	c.instances = lowerSet(s.Instances, nil)
	c.machines = lowerSet(s.MachineNames, nil)
	if len(s.PIDs) > 0 {
		c.pids = make(map[int]bool, len(s.PIDs))
		for _, p := range s.PIDs {
			c.pids[p] = true
		}
	}
	return c, nil
}

func lowerSet(vs []string, f func(string) string) map[string]bool {
	if len(vs) == 0 {
		return nil
	}
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		v = strings.ToLower(strings.TrimSpace(v))
		if f != nil {
			v = f(v)
		}
		m[v] = true
	}
	return m
}

// explicit reports whether the selector names processes itself (rather
// than relying on the default "the app's w3wp").
func (s *selector) explicit() bool {
	return len(s.names) > 0 || s.re != nil || len(s.pids) > 0
}

// wantInstance reports whether the instance id passes the instance filter.
func (s *selector) wantInstance(id string) bool {
	return s.instances == nil || s.instances[strings.ToLower(id)]
}

// wantMachine reports whether an instance with these processes passes the
// machine-name filter.
func (s *selector) wantMachine(procs []Process) bool {
	if s.machines == nil {
		return true
	}
	for _, p := range procs {
		if s.machines[strings.ToLower(p.MachineName)] {
			return true
		}
	}
	return false
}

// matchName reports whether a process name passes the name filters; with
// no name filter every name passes.
func (s *selector) matchName(name string) bool {
	n := strings.ToLower(name)
	if s.names == nil && s.re == nil {
		return true
	}
	return s.names[n] || (s.re != nil && s.re.MatchString(name))
}

// detailFunc fetches one process in detail.
type detailFunc func(ctx context.Context, pid int) (Process, error)

// selection is what selectOnInstance found on one instance.
type selection struct {
	targets []Process
	skipped []messages.TargetResult
}

// selectOnInstance picks the targets among one instance's processes. It
// fetches details only for candidates. The SCM process (pid 0 or
// is_scm_site) is never a target. A candidate that vanished between the
// list and the detail call is ignored.
func (s *selector) selectOnInstance(ctx context.Context, instance string, procs []Process, detail detailFunc, now time.Time) (selection, error) {
	var out selection
	skip := func(p Process, why string) {
		out.skipped = append(out.skipped, messages.TargetResult{
			Instance: instance, MachineName: p.MachineName, PID: p.PID, Process: p.Name,
			Outcome: messages.OutcomeSkipped, Reason: why,
		})
	}
	var cands []Process
	if s.children {
		app, err := s.appW3WP(ctx, procs, detail)
		if err != nil {
			return out, err
		}
		if app.PID == 0 {
			return out, nil
		}
		byPID := make(map[int]Process, len(procs))
		for _, p := range procs {
			byPID[p.PID] = p
		}
		for _, c := range app.ChildPIDs {
			p, ok := byPID[c]
			if !ok {
				p = Process{PID: c}
			}
			if (p.Name == "" || s.matchName(p.Name)) && (s.pids == nil || s.pids[c]) {
				cands = append(cands, p)
			}
		}
	} else {
		for _, p := range procs {
			switch {
			case s.pids != nil && !s.pids[p.PID]:
			case !s.explicit() && !strings.EqualFold(p.Name, appProcessName):
			case !s.matchName(p.Name):
			default:
				cands = append(cands, p)
			}
		}
	}
	details := 0
	for i, c := range cands {
		if s.perInstance > 0 && !s.largest && len(out.targets) >= s.perInstance {
			s.skipBeyondCap(&out, instance, cands[i:], fmt.Sprintf("beyond the cap of %d targets per instance (worker --max-targets-per-instance)", s.perInstance))
			break
		}
		if c.PID <= 0 || c.IsSCM {
			if s.explicit() {
				skip(c, "the SCM (Kudu) process is never dumped")
			}
			continue
		}
		if details >= maxDetailsPerInstance {
			s.skipBeyondCap(&out, instance, cands[i:], fmt.Sprintf("not inspected: only the first %d candidates of an instance are read in detail", maxDetailsPerInstance))
			break
		}
		details++
		d, err := detail(ctx, c.PID)
		if err != nil {
			if kindOf(err) == ErrorKindNotFound {
				continue // exited since the list
			}
			return out, fmt.Errorf("process %d detail: %w", c.PID, err)
		}
		if d.MachineName == "" {
			d.MachineName = c.MachineName
		}
		switch {
		case d.IsSCM:
			if s.explicit() {
				skip(d, "the SCM (Kudu) process is never dumped")
			}
			continue
		case d.IsWebJob && !s.explicit():
			continue
		case s.children && !s.matchName(d.Name):
			continue
		case s.minAge > 0 && !d.StartTime.IsZero() && now.Sub(d.StartTime) < s.minAge:
			skip(d, fmt.Sprintf("process started %s ago, younger than the minimum age %s", now.Sub(d.StartTime).Round(time.Second), s.minAge))
			continue
		}
		out.targets = append(out.targets, d)
	}
	if s.largest && len(out.targets) > 1 {
		best := 0
		for i, t := range out.targets {
			if t.PrivateMemory > out.targets[best].PrivateMemory {
				best = i
			}
		}
		for i, t := range out.targets {
			if i != best {
				skip(t, "not the largest process by private memory on its instance")
			}
		}
		out.targets = []Process{out.targets[best]}
	}
	return out, nil
}

// appW3WP finds the app's own w3wp (not SCM, not a webjob) on one instance;
// a zero Process when there is none.
func (s *selector) appW3WP(ctx context.Context, procs []Process, detail detailFunc) (Process, error) {
	for _, p := range procs {
		if p.PID <= 0 || !strings.EqualFold(p.Name, appProcessName) {
			continue
		}
		d, err := detail(ctx, p.PID)
		if err != nil {
			if kindOf(err) == ErrorKindNotFound {
				continue
			}
			return Process{}, fmt.Errorf("process %d detail: %w", p.PID, err)
		}
		if !d.IsSCM && !d.IsWebJob {
			return d, nil
		}
	}
	return Process{}, nil
}

// capTargets applies the selector's MaxCount across the site, keeping the
// first targets in (instance, pid) order, and reports the rest as skipped.
func (s *selector) capTargets(ts []target) (keep []target, skipped []messages.TargetResult) {
	slices.SortFunc(ts, func(a, b target) int {
		if c := strings.Compare(a.Instance, b.Instance); c != 0 {
			return c
		}
		return a.PID - b.PID
	})
	if s.maxCount <= 0 || len(ts) <= s.maxCount {
		return ts, nil
	}
	for _, t := range ts[s.maxCount:] {
		skipped = append(skipped, messages.TargetResult{
			Instance: t.Instance, MachineName: t.MachineName, PID: t.PID, Process: t.Name,
			Outcome: messages.OutcomeSkipped, Reason: fmt.Sprintf("beyond the job's max_count of %d", s.maxCount),
		})
	}
	return ts[:s.maxCount], skipped
}

// maxSkippedListed bounds the processes beyond the per-instance cap that are
// reported one by one; the rest are one summary entry, so that 2,000
// matching processes do not make a 2,000-entry JobCompleted.
const maxSkippedListed = 10

// maxDetailsPerInstance bounds the process detail calls one job makes on
// one instance (one Kudu request each), whatever the candidates: with
// `largest`, or when candidates are filtered out after their detail.
const maxDetailsPerInstance = 64

// skipBeyondCap reports the candidates left over by a per-instance cap.
func (s *selector) skipBeyondCap(out *selection, instance string, rest []Process, why string) {
	n := 0
	for _, p := range rest {
		if p.PID <= 0 || p.IsSCM {
			continue
		}
		if n < maxSkippedListed {
			out.skipped = append(out.skipped, messages.TargetResult{Instance: instance, MachineName: p.MachineName,
				PID: p.PID, Process: p.Name, Outcome: messages.OutcomeSkipped, Reason: why})
		}
		n++
	}
	if n > maxSkippedListed {
		out.skipped = append(out.skipped, messages.TargetResult{Instance: instance, Outcome: messages.OutcomeSkipped,
			Reason: fmt.Sprintf("%d more matching processes not listed, %s", n-maxSkippedListed, why)})
	}
}
