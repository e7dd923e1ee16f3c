package policy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/jsonconfig"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// MaxConfigSize bounds a configuration file.
const MaxConfigSize = 4 << 20

// ErrInvalidConfig is wrapped by every configuration error.
var ErrInvalidConfig = errors.New("policy: invalid configuration")

// Config is the ingest configuration file: the allowlist, the capture
// policies (evaluated in order, first match wins) and the scheduled sweeps.
type Config struct {
	// Production makes a non-empty allowlist mandatory.
	Production bool `json:"production"`
	// Allow lists the subscriptions and resource groups ingest may capture
	// in. Empty (outside production) allows everything.
	Allow Allowlist `json:"allow"`
	// Policies are tried in order; the first that matches an event decides.
	Policies []Policy `json:"policies"`
	// Schedules are cron-driven sweeps.
	Schedules []Schedule `json:"schedules,omitempty"`
}

// Targets names apps directly or through what contains them. Resource ids
// are ARM ids, compared case-insensitively.
type Targets struct {
	// Apps are ids of web apps, function apps or slots
	// (/subscriptions/S/resourceGroups/R/providers/Microsoft.Web/sites/A[/slots/N]).
	Apps []string `json:"apps,omitempty"`
	// Plans are App Service plan ids (…/Microsoft.Web/serverfarms/P): every
	// app in the plan.
	Plans []string `json:"plans,omitempty"`
	// ResourceGroups are scopes (/subscriptions/S/resourceGroups/R): every
	// app in the group.
	ResourceGroups []string `json:"resource_groups,omitempty"`
	// Tags selects apps carrying every one of these tags, in the
	// subscriptions listed in TagSubscriptions (default: the allowlist's).
	Tags             map[string]string `json:"tags,omitempty"`
	TagSubscriptions []string          `json:"tag_subscriptions,omitempty"`
}

// Empty reports whether t names nothing.
func (t Targets) Empty() bool {
	return len(t.Apps) == 0 && len(t.Plans) == 0 && len(t.ResourceGroups) == 0 && len(t.Tags) == 0
}

// Validate checks that every id has the right shape.
func (t Targets) Validate() error { return t.validate("targets") }

func (t Targets) validate(field string) error {
	for name, ids := range map[string][]string{"apps": t.Apps, "plans": t.Plans, "resource_groups": t.ResourceGroups, "tag_subscriptions": t.TagSubscriptions} {
		for i, id := range ids {
			if name == "tag_subscriptions" {
				if id == "" || strings.Contains(id, "/") {
					return fmt.Errorf("%s.%s[%d]: %q is not a subscription id", field, name, i, id)
				}
				continue
			}
			if !strings.HasPrefix(strings.ToLower(id), "/subscriptions/") {
				return fmt.Errorf("%s.%s[%d]: %q is not an ARM id (/subscriptions/…)", field, name, i, id)
			}
		}
	}
	for k := range t.Tags {
		if k == "" {
			return fmt.Errorf("%s.tags: empty tag name", field)
		}
	}
	return nil
}

// Load reads and validates a configuration file.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("policy: read %s: %w", path, err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse decodes (strictly: unknown fields are errors) and validates a
// configuration.
func Parse(data []byte) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalidConfig, MaxConfigSize)
	}
	var c Config
	if err := jsonconfig.Decode(data, &c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Validate checks the configuration and compiles its patterns. Every error
// wraps ErrInvalidConfig and names the bad field.
func (c *Config) Validate() error {
	if err := c.validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	return nil
}

func (c *Config) validate() error {
	if err := c.Allow.validate(); err != nil {
		return err
	}
	if c.Production && c.Allow.Empty() {
		return errors.New("allow: production configuration needs an allowlist of subscriptions or resource groups")
	}
	names := map[string]bool{}
	for i := range c.Policies {
		p := &c.Policies[i]
		if err := p.compile(); err != nil {
			return fmt.Errorf("policies[%d]: %w", i, err)
		}
		if names[p.Name] {
			return fmt.Errorf("policies[%d]: duplicate name %q", i, p.Name)
		}
		names[p.Name] = true
	}
	names = map[string]bool{}
	for i := range c.Schedules {
		s := &c.Schedules[i]
		if err := s.compile(); err != nil {
			return fmt.Errorf("schedules[%d]: %w", i, err)
		}
		if names[s.Name] {
			return fmt.Errorf("schedules[%d]: duplicate name %q", i, s.Name)
		}
		names[s.Name] = true
	}
	return nil
}

// ActionSpec is the action part shared by policies, schedules and manual
// captures.
type ActionSpec struct {
	// Action is ActionCollect, ActionAnalyze (the default),
	// ActionCollectKill, ActionCollectKillAnalyze or ActionIgnore.
	Action string `json:"action,omitempty"`
	// DumpType is "mini" (the default) or "full".
	DumpType string `json:"dump_type,omitempty"`
	// Strategy is "direct", "staged" or empty (the worker's default).
	Strategy string `json:"strategy,omitempty"`
	// Selector chooses the processes on each instance.
	Selector messages.Selector `json:"selector"`
	// Series asks for several dumps of every target, interval_seconds
	// apart (ProcDump -n/-s); omitted is one dump.
	Series *messages.Series `json:"series,omitempty"`
}

// Actions.
const (
	ActionCollect            = "collect"              // dump only
	ActionAnalyze            = "analyze"              // dump, then analyze
	ActionCollectKill        = "collect-kill"         // dump, then kill after verification
	ActionCollectKillAnalyze = "collect-kill-analyze" // dump, kill, analyze (DaaS CollectKillAnalyze)
	ActionIgnore             = "ignore"               // match, and do nothing
)

// Validate checks the action spec.
func (a ActionSpec) Validate() error {
	switch a.Action {
	case "", ActionCollect, ActionAnalyze, ActionCollectKill, ActionCollectKillAnalyze, ActionIgnore:
	default:
		return fmt.Errorf("action: unknown action %q (want collect, analyze, collect-kill, collect-kill-analyze or ignore)", a.Action)
	}
	if _, err := a.Message(); err != nil {
		return err
	}
	if err := a.Selector.Validate(); err != nil {
		return fmt.Errorf("selector: %w", err)
	}
	return nil
}

// Message returns the wire form of the action.
func (a ActionSpec) Message() (messages.Action, error) {
	m := messages.Action{DumpType: a.DumpType, Strategy: a.Strategy, Series: a.Series}
	if m.DumpType == "" {
		m.DumpType = messages.DumpMini
	}
	switch a.Action {
	case "", ActionAnalyze:
		m.Analyze = true
	case ActionCollectKill:
		m.Kill = true
	case ActionCollectKillAnalyze:
		m.Kill, m.Analyze = true, true
	}
	if err := m.Validate(); err != nil {
		return messages.Action{}, err
	}
	return m, nil
}
