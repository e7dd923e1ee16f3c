package autoheal

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/pkg/policy"
)

// Request is one observed request, or Count requests alike (metrics arrive
// aggregated per minute). Zero SubStatus/Win32Status/Path mean unknown.
type Request struct {
	At          time.Time
	Status      int
	SubStatus   int
	Win32Status int
	Path        string
	TimeTaken   time.Duration
	Count       int // 0 counts as 1
}

func (r Request) n() int {
	if r.Count <= 0 {
		return 1
	}
	return r.Count
}

// ProcessSample is one observation of the site's worker process on an
// instance (from Kudu process detail).
type ProcessSample struct {
	At           time.Time
	PID          int
	Process      string
	Start        time.Time
	PrivateBytes int64
	MachineName  string
}

// Firing is a rule that fired on one instance. A firing held back by the
// limits has Suppressed set and must not be acted on.
type Firing struct {
	Rule        string    `json:"rule"`
	Site        string    `json:"site"`
	Instance    string    `json:"instance"`
	MachineName string    `json:"machine_name,omitempty"`
	PID         int       `json:"pid,omitempty"`
	Process     string    `json:"process,omitempty"`
	Trigger     string    `json:"trigger"`
	Reason      string    `json:"reason"`
	Action      Action    `json:"action"`
	At          time.Time `json:"at"`
	Suppressed  string    `json:"suppressed,omitempty"`
	// NoAnalyze asks for the dump without the analyzer's per-dump
	// analysis (CPU rules in modes other than CollectKillAndAnalyze).
	NoAnalyze bool `json:"no_analyze,omitempty"`
}

type instKey struct{ site, instance string }

type instState struct {
	site     string // as first observed (ARM ids keep their case)
	proc     ProcessSample
	memory   []ProcessSample
	requests []Request
}

// Evaluator holds per-instance observation windows and rule limits. It is
// safe for concurrent use. Windows are in memory: after a restart they
// refill from new observations (a restart loses at most one window). Limit
// state is in memory unless KeepLimitsIn gives it a store.
type Evaluator struct {
	mu        sync.Mutex
	rules     []Rule
	proactive *Proactive
	inst      map[instKey]*instState
	limits    map[limitKey]*limitState
	store     policy.Store
	keep      time.Duration
}

// ProactiveRule is the Firing.Rule name of the proactive rules.
const ProactiveRule = "proactive"

// NewEvaluator returns an evaluator for the enabled rules of f.
func NewEvaluator(f *File) *Evaluator {
	e := &Evaluator{inst: map[instKey]*instState{}, limits: map[limitKey]*limitState{}, keep: 2 * time.Minute}
	for _, r := range f.Rules {
		if !r.IsEnabled() {
			continue
		}
		e.rules = append(e.rules, r)
		for _, d := range intervals(r.Triggers) {
			if d > e.keep {
				e.keep = d
			}
		}
	}
	if f.Proactive != nil && f.Proactive.Enabled {
		e.proactive = f.Proactive
	}
	return e
}

func intervals(t ARMTriggers) []time.Duration {
	var out []time.Duration
	if t.Requests != nil {
		out = append(out, t.Requests.TimeInterval.Duration())
	}
	if t.SlowRequests != nil {
		out = append(out, t.SlowRequests.TimeInterval.Duration())
	}
	for _, s := range t.SlowRequestsWithPath {
		out = append(out, s.TimeInterval.Duration())
	}
	for _, s := range t.StatusCodes {
		out = append(out, s.TimeInterval.Duration())
	}
	for _, s := range t.StatusCodesRange {
		out = append(out, s.TimeInterval.Duration())
	}
	return out
}

func (e *Evaluator) state(site, instance string) *instState {
	k := instKey{strings.ToLower(site), instance}
	s := e.inst[k]
	if s == nil {
		s = &instState{site: site}
		e.inst[k] = s
	}
	return s
}

// ObserveProcess records a sample of the site's worker process. A new pid
// means a new worker process: its request and memory windows start empty,
// as App Service's are per worker process.
func (e *Evaluator) ObserveProcess(site, instance string, p ProcessSample) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.state(site, instance)
	if s.proc.PID != 0 && p.PID != 0 && p.PID != s.proc.PID {
		s.memory, s.requests = nil, nil
	}
	s.proc = p
	s.memory = append(s.memory, p)
}

// ObserveRequests records requests served on an instance.
func (e *Evaluator) ObserveRequests(site, instance string, rs ...Request) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.state(site, instance)
	s.requests = append(s.requests, rs...)
}

// Forget drops an instance that no longer exists (scale-in).
func (e *Evaluator) Forget(site, instance string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.inst, instKey{strings.ToLower(site), instance})
}

// Evaluate checks every rule on every observed instance at now and returns
// the firings, acted and suppressed, sorted by site, instance and rule. At
// most one firing per rule and instance is returned (the first trigger
// met, in schema order).
func (e *Evaluator) Evaluate(now time.Time) []Firing {
	return e.EvaluateContext(context.Background(), now)
}

// EvaluateContext is Evaluate with a context for the limit store.
func (e *Evaluator) EvaluateContext(ctx context.Context, now time.Time) []Firing {
	e.mu.Lock()
	defer e.mu.Unlock()
	keys := make([]instKey, 0, len(e.inst))
	for k := range e.inst {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].site != keys[j].site {
			return keys[i].site < keys[j].site
		}
		return keys[i].instance < keys[j].instance
	})
	var out []Firing
	for _, k := range keys {
		s := e.inst[k]
		s.trim(now, e.keep)
		for i := range e.rules {
			r := &e.rules[i]
			if !matchesSite(r.Sites, k.site) {
				continue
			}
			trig, reason, ok := r.Triggers.met(s, now)
			if !ok {
				continue
			}
			f := e.firing(r.Name, k, s, trig, reason, r.Action, now)
			if grace := r.MinProcessExecutionTime.Duration(); grace > 0 && !s.proc.Start.IsZero() && now.Sub(s.proc.Start) < grace {
				f.Suppressed = fmt.Sprintf("process is %s old, younger than minProcessExecutionTime %s", now.Sub(s.proc.Start).Round(time.Second), r.MinProcessExecutionTime)
			} else {
				f.Suppressed = e.admit(ctx, r.Name, k, r.Limits.withDefaults(), now)
			}
			out = append(out, f)
		}
		if p := e.proactive; p != nil && matchesSite(p.Sites, k.site) {
			if trig, reason, ok := p.met(s, now); ok {
				f := e.firing(ProactiveRule, k, s, trig, reason, p.Action, now)
				f.Suppressed = e.admit(ctx, ProactiveRule, k, p.Limits.withDefaults(), now)
				out = append(out, f)
			}
		}
	}
	return out
}

func (e *Evaluator) firing(rule string, k instKey, s *instState, trig, reason string, a Action, now time.Time) Firing {
	return Firing{Rule: rule, Site: s.site, Instance: k.instance, MachineName: s.proc.MachineName,
		PID: s.proc.PID, Process: s.proc.Process, Trigger: trig, Reason: reason, Action: a, At: now}
}

func matchesSite(sites []string, site string) bool {
	if len(sites) == 0 {
		return true
	}
	for _, s := range sites {
		if strings.EqualFold(s, site) {
			return true
		}
	}
	return false
}

func (s *instState) trim(now time.Time, keep time.Duration) {
	cut := now.Add(-keep)
	i := 0
	for i < len(s.requests) && !s.requests[i].At.After(cut) {
		i++
	}
	s.requests = s.requests[i:]
	j := 0
	for j < len(s.memory)-1 && !s.memory[j].At.After(cut) {
		j++
	}
	s.memory = s.memory[j:]
}

// inWindow reports whether t lies in the half-open window (now-d, now].
func inWindow(t, now time.Time, d time.Duration) bool {
	return t.After(now.Add(-d)) && !t.After(now)
}

func pathMatch(pattern, p string) bool {
	if pattern == "" {
		return true
	}
	if p == "" {
		return false
	}
	ok, _ := path.Match(strings.ToLower(pattern), strings.ToLower(p))
	if !ok && strings.HasSuffix(pattern, "/*") {
		// The portal's "/api/*" means everything under /api, at any depth.
		ok = strings.HasPrefix(strings.ToLower(p), strings.ToLower(strings.TrimSuffix(pattern, "*")))
	}
	return ok
}

func (s *instState) count(now time.Time, d time.Duration, match func(Request) bool) int {
	n := 0
	for _, r := range s.requests {
		if inWindow(r.At, now, d) && match(r) {
			n += r.n()
		}
	}
	return n
}

// met returns the first trigger met, in schema order.
func (t ARMTriggers) met(s *instState, now time.Time) (trigger, reason string, ok bool) {
	if r := t.Requests; r != nil {
		if n := s.count(now, r.TimeInterval.Duration(), func(Request) bool { return true }); n >= r.Count {
			return "requests", fmt.Sprintf("%d requests within %s (threshold %d)", n, r.TimeInterval, r.Count), true
		}
	}
	if kb := t.PrivateBytesInKB; kb > 0 && s.proc.PID != 0 && s.proc.PrivateBytes/1024 > kb {
		return "privateBytesInKB", fmt.Sprintf("private bytes %d KB above %d KB", s.proc.PrivateBytes/1024, kb), true
	}
	for i, c := range t.StatusCodes {
		n := s.count(now, c.TimeInterval.Duration(), func(r Request) bool {
			return r.Status == c.Status && (c.SubStatus == 0 || r.SubStatus == c.SubStatus) &&
				(c.Win32Status == 0 || r.Win32Status == c.Win32Status) && pathMatch(c.Path, r.Path)
		})
		if n >= c.Count {
			return fmt.Sprintf("statusCodes[%d]", i), fmt.Sprintf("%d responses with status %d within %s (threshold %d)", n, c.Status, c.TimeInterval, c.Count), true
		}
	}
	slow := t.SlowRequestsWithPath
	names := make([]string, 0, len(slow)+1)
	for i := range slow {
		names = append(names, fmt.Sprintf("slowRequestsWithPath[%d]", i))
	}
	if t.SlowRequests != nil {
		slow = append([]SlowRequestsTrigger{*t.SlowRequests}, slow...)
		names = append([]string{"slowRequests"}, names...)
	}
	for i, c := range slow {
		n := s.count(now, c.TimeInterval.Duration(), func(r Request) bool {
			return r.TimeTaken > c.TimeTaken.Duration() && pathMatch(c.Path, r.Path)
		})
		if n >= c.Count {
			return names[i], fmt.Sprintf("%d requests slower than %s within %s (threshold %d)", n, c.TimeTaken, c.TimeInterval, c.Count), true
		}
	}
	for i, c := range t.StatusCodesRange {
		lo, hi, _ := ParseStatusRange(c.StatusCodes)
		n := s.count(now, c.TimeInterval.Duration(), func(r Request) bool {
			return r.Status >= lo && r.Status <= hi && pathMatch(c.Path, r.Path)
		})
		if n >= c.Count {
			return fmt.Sprintf("statusCodesRange[%d]", i), fmt.Sprintf("%d responses in %s within %s (threshold %d)", n, c.StatusCodes, c.TimeInterval, c.Count), true
		}
	}
	return "", "", false
}

// Proactive rule constants (docs/autoheal.md).
const (
	proactiveMemoryFraction = 0.90
	proactiveMemorySustain  = 30 * time.Second
	proactiveSlowFraction   = 0.80
	proactiveSlowTime       = 200 * time.Second
	proactiveWindow         = 120 * time.Second
	proactiveMinRequests    = 5
	defaultWarmUp           = 5 * time.Minute
)

func (p *Proactive) met(s *instState, now time.Time) (trigger, reason string, ok bool) {
	if p.MemoryLimitBytes > 0 && len(s.memory) > 0 {
		limit := int64(float64(p.MemoryLimitBytes) * proactiveMemoryFraction)
		// Walk back over consecutive samples above the limit; fire when the
		// run began more than 30 s ago.
		var since time.Time
		for i := len(s.memory) - 1; i >= 0 && s.memory[i].PrivateBytes > limit; i-- {
			since = s.memory[i].At
		}
		if !since.IsZero() && now.Sub(since) > proactiveMemorySustain {
			return "proactive.memory", fmt.Sprintf("private bytes %d above 90%% of the %d-byte limit for %s", s.proc.PrivateBytes, p.MemoryLimitBytes, now.Sub(since).Round(time.Second)), true
		}
	}
	warm := p.WarmUp.Duration()
	if warm == 0 {
		warm = defaultWarmUp
	}
	if !s.proc.Start.IsZero() && now.Sub(s.proc.Start) < warm {
		return "", "", false
	}
	total := s.count(now, proactiveWindow, func(Request) bool { return true })
	slow := s.count(now, proactiveWindow, func(r Request) bool { return r.TimeTaken >= proactiveSlowTime })
	if total >= proactiveMinRequests && float64(slow) >= proactiveSlowFraction*float64(total) {
		return "proactive.requests", fmt.Sprintf("%d of %d requests in 120s took 200s or more", slow, total), true
	}
	return "", "", false
}
