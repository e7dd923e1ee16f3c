package autoheal

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dumpflow/dumpflow/pkg/policy"
)

// CPUReader reads the processes of one instance with their processor
// times; the Kudu adapter (KuduReader) is the production one.
type CPUReader interface {
	// Instances lists the site's instance ids.
	Instances(ctx context.Context, site string) ([]string, error)
	// CPUProcesses reads, pinned to one instance, every process whose name
	// want accepts. A process that exits between the list and its detail
	// is left out; any other failure is an error (the poll is skipped, so
	// a run in progress is not broken by one failed read).
	CPUProcesses(ctx context.Context, site, instance string, want func(name string) bool) ([]CPUSample, error)
}

// CPUWatch runs one CPU rule: it samples every process on every instance
// of the rule's sites every MonitorDuration seconds (jittered by ±10 %,
// Concurrency instances at a time) and acts on a process whose CPU stays
// high for ThresholdSeconds, within MaxActions and MaximumNumberOfHours.
type CPUWatch struct {
	Rule   CPURule
	Reader CPUReader
	// State keeps the session start and the action count per site; use
	// the policy limits' BlobStore so replicas share it and restarts keep
	// it. Nil means an in-memory store.
	State policy.Store
	Act   Act
	// Concurrency bounds the instances read at once; 0 means DefaultReadConcurrency.
	Concurrency int
	Log         *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	once     sync.Once
	mu       sync.Mutex
	trackers map[instKey]*cpuTracker
	started  map[string]bool // site (lower case) → session start recorded
}

func (w *CPUWatch) init() {
	w.once.Do(func() {
		if w.State == nil {
			w.State = policy.NewMemStore()
		}
		w.Log = cmp.Or(w.Log, discardLog)
		w.Now = clock(w.Now)
		w.Concurrency = cmp.Or(max(w.Concurrency, 0), DefaultReadConcurrency)
		w.trackers = map[instKey]*cpuTracker{}
		w.started = map[string]bool{}
	})
}

// Run polls until ctx ends, then returns nil. Read and action errors are
// logged and never stop the watch.
func (w *CPUWatch) Run(ctx context.Context) error {
	if w.Reader == nil || w.Act == nil {
		return errors.New("autoheal: CPU watch needs a Reader and an Act")
	}
	w.init()
	every := time.Duration(w.Rule.MonitorDuration) * time.Second
	for {
		w.Poll(ctx)
		if !sleep(ctx, jittered(every)) {
			return nil
		}
	}
}

// Poll takes one sample of every instance of every site of the rule, at
// w.Now(), and acts on the processes due. Run calls it every
// MonitorDuration; tests call it directly with a fake clock.
func (w *CPUWatch) Poll(ctx context.Context) {
	w.init()
	r := &w.Rule
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(w.Concurrency)
	for _, site := range r.Sites {
		if !w.ensureStarted(ctx, site) {
			continue
		}
		ids, err := w.Reader.Instances(ctx, site)
		if err != nil {
			w.Log.Warn("cpu watch: listing instances failed", "rule", r.Name, "site", site, "err", err)
			continue
		}
		live := map[instKey]bool{}
		for _, id := range ids {
			k := instKey{strings.ToLower(site), id}
			live[k] = true
			g.Go(func() error {
				w.pollInstance(gctx, site, id, k)
				return nil
			})
		}
		w.mu.Lock()
		for k := range w.trackers {
			if k.site == strings.ToLower(site) && !live[k] {
				delete(w.trackers, k) // scale-in
			}
		}
		w.mu.Unlock()
	}
	_ = g.Wait()
}

func (w *CPUWatch) ensureStarted(ctx context.Context, site string) bool {
	w.mu.Lock()
	done := w.started[strings.ToLower(site)]
	w.mu.Unlock()
	if done {
		return true
	}
	start, err := startSession(ctx, w.State, w.Rule.Name, site, w.Now())
	if err != nil {
		w.Log.Warn("cpu watch: recording the session start failed", "rule", w.Rule.Name, "site", site, "err", err)
		return false
	}
	w.Log.Info("cpu monitoring session", "rule", w.Rule.Name, "site", site, "started", start, "ends", start.Add(w.Rule.Hours()))
	w.mu.Lock()
	w.started[strings.ToLower(site)] = true
	w.mu.Unlock()
	return true
}

func (w *CPUWatch) pollInstance(ctx context.Context, site, id string, k instKey) {
	r := &w.Rule
	samples, err := w.Reader.CPUProcesses(ctx, site, id, r.monitors)
	if err != nil {
		w.Log.Warn("cpu watch: reading processes failed", "rule", r.Name, "site", site, "instance", id, "err", err)
		return
	}
	kept := samples[:0]
	for _, s := range samples {
		// DaaS skips the processes of Kudu's own site unless asked
		// (CpuMonitoring.cs, GetIsScmSite); Kudu's w3wp is never a target.
		if s.SCM || (s.WebJob && !r.MonitorScmProcesses) {
			continue
		}
		kept = append(kept, s)
	}
	now := w.Now()
	w.mu.Lock()
	t := w.trackers[k]
	if t == nil {
		t = newCPUTracker(r)
		w.trackers[k] = t
	}
	due := t.observe(kept, now)
	w.mu.Unlock()
	for _, d := range due {
		w.act(ctx, site, id, d, now)
	}
}

func (w *CPUWatch) act(ctx context.Context, site, id string, d cpuDecision, now time.Time) {
	r := &w.Rule
	a, analyze := r.Action()
	name := d.sample.MachineName
	if name == "" {
		name = id
	}
	f := Firing{Rule: r.Name, Site: site, Instance: name, MachineName: d.sample.MachineName, PID: d.sample.PID,
		Process: d.sample.Process, Trigger: "cpu", Reason: d.reason, Action: a, At: now, NoAnalyze: !analyze}
	if warm := r.ProcessWarmupTime.Duration(); warm > 0 && !d.sample.Start.IsZero() && now.Sub(d.sample.Start) <= warm {
		// AlwaysOnCpuRule.TakeActionOnHighCpu: ignored, not counted.
		w.Log.Info("cpu rule met but held back", "rule", r.Name, "site", site, "instance", name, "pid", f.PID,
			"why", "process younger than processWarmupTime", "age", now.Sub(d.sample.Start).Round(time.Second))
		return
	}
	why, err := reserveAction(ctx, w.State, r, site, name, f.PID, now)
	if err != nil {
		w.Log.Error("cpu rule: recording the action failed; not acting", "rule", r.Name, "site", site, "instance", name, "err", err)
		return
	}
	if why != "" {
		w.Log.Info("cpu rule met but held back", "rule", r.Name, "site", site, "instance", name, "pid", f.PID, "why", why)
		return
	}
	w.Log.Info("cpu rule fired", "rule", r.Name, "site", site, "instance", name, "pid", f.PID, "reason", f.Reason, "mode", r.Mode)
	if err := w.Act(ctx, f); err != nil {
		w.Log.Error("cpu rule action failed", "rule", r.Name, "site", site, "instance", name, "err", err)
	}
}
