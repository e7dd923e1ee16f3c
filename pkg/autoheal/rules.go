package autoheal

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/jsonconfig"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Action kinds.
const (
	ActionLog         = "log"          // record the firing, capture nothing
	ActionCollect     = "collect"      // dump the process
	ActionCollectKill = "collect-kill" // dump, then kill after the dump is verified
)

// Action is what a firing rule asks the pipeline to do.
type Action struct {
	Kind string `json:"kind"`
	// DumpType is "mini" or "full" for collect and collect-kill.
	DumpType string `json:"dump_type,omitempty"`
	// Note explains an imported action that could not be mapped exactly.
	Note string `json:"note,omitempty"`
	// Series asks for several dumps of the process, interval_seconds
	// apart, for collect and collect-kill (a kill follows the last);
	// omitted is one dump.
	Series *messages.Series `json:"series,omitempty"`
}

// Limits are flap protection in the spirit of the capture policies: a
// cooldown per instance after a firing, a cap per sliding window (exceeding
// it disables the rule for that site for Disable), and a daily cap.
type Limits struct {
	Cooldown   TimeSpan `json:"cooldown,omitempty"`
	MaxActions int      `json:"maxActions,omitempty"`
	Window     TimeSpan `json:"window,omitempty"`
	Disable    TimeSpan `json:"disableFor,omitempty"`
	DailyCap   int      `json:"dailyCap,omitempty"`
}

// Default limits: one action per instance per 10 minutes, at most 3 per
// site per hour, then disabled for 3 hours (as proactive auto-heal does
// after too many restarts), at most 10 a day.
var DefaultLimits = Limits{
	Cooldown:   TimeSpan(10 * time.Minute),
	MaxActions: 3,
	Window:     TimeSpan(time.Hour),
	Disable:    TimeSpan(3 * time.Hour),
	DailyCap:   10,
}

// Rule is one auto-heal rule over a set of sites.
type Rule struct {
	Name string `json:"name"`
	// Sites are the ARM resource ids the rule watches (compared
	// case-insensitively). Empty means every site the evaluator observes.
	Sites []string `json:"sites,omitempty"`
	// Enabled defaults to true.
	Enabled *bool `json:"enabled,omitempty"`
	// Triggers use App Service's schema and semantics; any one fires.
	Triggers ARMTriggers `json:"triggers"`
	// MinProcessExecutionTime skips firing while the process is younger.
	MinProcessExecutionTime TimeSpan `json:"minProcessExecutionTime,omitempty"`
	Action                  Action   `json:"action"`
	// Limits default to DefaultLimits field by field.
	Limits Limits `json:"limits,omitempty"`
}

// Proactive configures App Service's Proactive Auto-Heal rules as dumpflow
// rules. Both are off unless enabled.
type Proactive struct {
	Enabled bool     `json:"enabled"`
	Sites   []string `json:"sites,omitempty"`
	// MemoryLimitBytes is the per-process memory limit of the worker size;
	// the memory rule fires above 90 % of it held for more than 30 s. Zero
	// disables the memory rule.
	MemoryLimitBytes int64 `json:"memoryLimitBytes,omitempty"`
	// WarmUp is how long after process start the request rule stays quiet;
	// default 5 minutes (App Service does not publish its value).
	WarmUp TimeSpan `json:"warmUp,omitempty"`
	Action Action   `json:"action"`
	Limits Limits   `json:"limits,omitempty"`
}

// File is a rules file (ingest --rules FILE).
type File struct {
	Rules     []Rule     `json:"rules"`
	Proactive *Proactive `json:"proactive,omitempty"`
	// CPURules are proactive CPU monitoring sessions (DaaS's semantics).
	CPURules []CPURule `json:"cpuRules,omitempty"`
}

// ParseFile decodes and validates a rules file, strictly: unknown fields
// and impossible values are errors that name the rule and field.
func ParseFile(data []byte) (*File, error) {
	var f File
	if err := jsonconfig.Decode(data, &f); err != nil {
		return nil, fmt.Errorf("autoheal: rules file: %w", err)
	}
	seen := map[string]bool{}
	for i := range f.Rules {
		r := &f.Rules[i]
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("rules[%d] (%s): %w", i, r.Name, err)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("rules[%d]: duplicate rule name %q", i, r.Name)
		}
		seen[r.Name] = true
	}
	for i := range f.CPURules {
		r := &f.CPURules[i]
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("cpuRules[%d] (%s): %w", i, r.Name, err)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("cpuRules[%d]: duplicate rule name %q", i, r.Name)
		}
		seen[r.Name] = true
	}
	if p := f.Proactive; p != nil {
		if err := validateAction("proactive.action", p.Action); err != nil {
			return nil, err
		}
		if p.MemoryLimitBytes < 0 {
			return nil, &ImportError{"proactive.memoryLimitBytes", "negative"}
		}
		if err := p.Limits.validate("proactive.limits"); err != nil {
			return nil, err
		}
	}
	return &f, nil
}

// IsEnabled reports whether the rule is enabled (the default).
func (r *Rule) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// Validate reports the first impossible value as *ImportError.
func (r *Rule) Validate() error {
	if r.Name == "" {
		return &ImportError{"name", "required"}
	}
	t := r.Triggers
	n := 0
	if t.Requests != nil {
		n++
		if err := checkCount("triggers.requests", t.Requests.Count, t.Requests.TimeInterval); err != nil {
			return err
		}
	}
	if t.PrivateBytesInKB < 0 || t.PrivateBytesInKB > 1<<31-1 {
		return &ImportError{"triggers.privateBytesInKB", fmt.Sprintf("%d is outside 0..2147483647 (int32 kilobytes)", t.PrivateBytesInKB)}
	}
	if t.PrivateBytesInKB > 0 {
		n++
	}
	slow := t.SlowRequestsWithPath
	if t.SlowRequests != nil {
		slow = append([]SlowRequestsTrigger{*t.SlowRequests}, slow...)
	}
	for i, s := range slow {
		f := fmt.Sprintf("triggers.slowRequestsWithPath[%d]", i-btoi(t.SlowRequests != nil))
		if t.SlowRequests != nil && i == 0 {
			f = "triggers.slowRequests"
		}
		n++
		if err := checkCount(f, s.Count, s.TimeInterval); err != nil {
			return err
		}
		if s.TimeTaken <= 0 {
			return &ImportError{f + ".timeTaken", "must be positive"}
		}
		if err := checkPath(f+".path", s.Path); err != nil {
			return err
		}
	}
	for i, s := range t.StatusCodes {
		f := fmt.Sprintf("triggers.statusCodes[%d]", i)
		n++
		if s.Status < 100 || s.Status > 599 {
			return &ImportError{f + ".status", fmt.Sprintf("%d is not an HTTP status (100-599)", s.Status)}
		}
		if s.SubStatus < 0 || s.Win32Status < 0 {
			return &ImportError{f, "subStatus and win32Status must not be negative"}
		}
		if err := checkCount(f, s.Count, s.TimeInterval); err != nil {
			return err
		}
		if err := checkPath(f+".path", s.Path); err != nil {
			return err
		}
	}
	for i, s := range t.StatusCodesRange {
		f := fmt.Sprintf("triggers.statusCodesRange[%d]", i)
		n++
		if _, _, err := ParseStatusRange(s.StatusCodes); err != nil {
			return &ImportError{f + ".statusCodes", err.Error()}
		}
		if err := checkCount(f, s.Count, s.TimeInterval); err != nil {
			return err
		}
		if err := checkPath(f+".path", s.Path); err != nil {
			return err
		}
	}
	if n == 0 {
		return &ImportError{"triggers", "no trigger set"}
	}
	if r.MinProcessExecutionTime < 0 {
		return &ImportError{"minProcessExecutionTime", "negative"}
	}
	if err := validateAction("action", r.Action); err != nil {
		return err
	}
	return r.Limits.validate("limits")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func checkCount(field string, count int, interval TimeSpan) error {
	if count <= 0 {
		return &ImportError{field + ".count", fmt.Sprintf("%d must be positive", count)}
	}
	if interval <= 0 {
		return &ImportError{field + ".timeInterval", "must be positive"}
	}
	return nil
}

func checkPath(field, p string) error {
	if p == "" {
		return nil
	}
	if _, err := path.Match(p, "/"); err != nil {
		return &ImportError{field, fmt.Sprintf("bad wildcard %q: %v", p, err)}
	}
	return nil
}

func validateAction(field string, a Action) error {
	switch a.Kind {
	case ActionLog:
		if a.Series != nil {
			return &ImportError{field + ".series", "a log action takes no dumps; remove series or use collect"}
		}
		return nil
	case ActionCollect, ActionCollectKill:
		if a.DumpType != "mini" && a.DumpType != "full" {
			return &ImportError{field + ".dump_type", fmt.Sprintf("%q (want mini or full)", a.DumpType)}
		}
		return validateSeries(field+".series", a.Series)
	case "":
		return &ImportError{field + ".kind", "required (log, collect or collect-kill)"}
	}
	return &ImportError{field + ".kind", fmt.Sprintf("unknown action %q (want log, collect or collect-kill)", a.Kind)}
}

// validateSeries checks a series' bounds, naming the field.
func validateSeries(field string, s *messages.Series) error {
	var fe *messages.FieldError
	if err := s.Validate(); errors.As(err, &fe) {
		return &ImportError{field + "." + fe.Field, fe.Msg}
	} else if err != nil {
		return &ImportError{field, err.Error()}
	}
	return nil
}

func (l Limits) validate(field string) error {
	if l.Cooldown < 0 || l.Window < 0 || l.Disable < 0 || l.MaxActions < 0 || l.DailyCap < 0 {
		return &ImportError{field, "limits must not be negative"}
	}
	return nil
}

// withDefaults fills zero fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.Cooldown > 0 {
		d.Cooldown = l.Cooldown
	}
	if l.MaxActions > 0 {
		d.MaxActions = l.MaxActions
	}
	if l.Window > 0 {
		d.Window = l.Window
	}
	if l.Disable > 0 {
		d.Disable = l.Disable
	}
	if l.DailyCap > 0 {
		d.DailyCap = l.DailyCap
	}
	return d
}

// ParseStatusRange parses "lo-hi" or a single code.
func ParseStatusRange(s string) (lo, hi int, err error) {
	a, b, isRange := strings.Cut(strings.TrimSpace(s), "-")
	lo, err = strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a status code or range like \"500-599\"", s)
	}
	hi = lo
	if isRange {
		if hi, err = strconv.Atoi(strings.TrimSpace(b)); err != nil {
			return 0, 0, fmt.Errorf("%q is not a status code or range like \"500-599\"", s)
		}
	}
	if lo < 100 || hi > 599 || lo > hi {
		return 0, 0, fmt.Errorf("range %q is outside 100-599 or reversed", s)
	}
	return lo, hi, nil
}

// Normalized returns a copy of f with every rule's limits filled in from
// the defaults, as the evaluator applies them.
func (f *File) Normalized() *File {
	out := &File{Rules: make([]Rule, len(f.Rules))}
	copy(out.Rules, f.Rules)
	for _, r := range f.CPURules {
		if r.DumpType == "" {
			r.DumpType = "full"
		}
		if r.MaximumNumberOfHours == 0 {
			r.MaximumNumberOfHours = defaultCPUMonitorHours
		}
		out.CPURules = append(out.CPURules, r)
	}
	for i := range out.Rules {
		out.Rules[i].Limits = out.Rules[i].Limits.withDefaults()
	}
	if f.Proactive != nil {
		p := *f.Proactive
		p.Limits = p.Limits.withDefaults()
		if p.WarmUp == 0 {
			p.WarmUp = TimeSpan(defaultWarmUp)
		}
		out.Proactive = &p
	}
	return out
}

// WatchedSites lists the sites the rules name, in order, without
// duplicates (compared case-insensitively).
func (f *File) WatchedSites() []string {
	seen := map[string]bool{}
	var out []string
	add := func(ss []string) {
		for _, s := range ss {
			if k := strings.ToLower(s); !seen[k] {
				seen[k] = true
				out = append(out, s)
			}
		}
	}
	for _, r := range f.Rules {
		if r.IsEnabled() {
			add(r.Sites)
		}
	}
	if f.Proactive != nil && f.Proactive.Enabled {
		add(f.Proactive.Sites)
	}
	return out
}

// NeedsRequests reports whether any enabled rule has a request-based
// trigger (so a metrics source is worth running).
func (f *File) NeedsRequests() bool {
	for _, r := range f.Rules {
		t := r.Triggers
		if r.IsEnabled() && (t.Requests != nil || t.SlowRequests != nil || len(t.SlowRequestsWithPath) > 0 || len(t.StatusCodes) > 0 || len(t.StatusCodesRange) > 0) {
			return true
		}
	}
	return f.Proactive != nil && f.Proactive.Enabled
}
