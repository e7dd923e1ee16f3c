package policy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/alert"
)

// Policy maps matching alert events to an action.
type Policy struct {
	// Name identifies the policy in decisions, manifests and limit state.
	Name  string `json:"name"`
	Match Match  `json:"match"`
	ActionSpec
	// Targets, when set, replaces the alert's own targets (for alerts on an
	// App Insights component or a workspace, which name no app).
	Targets Targets `json:"targets,omitzero"`
	Limits  Limits  `json:"limits,omitzero"`
	// ExpiresAt, when set, ends the policy: it matches nothing afterwards
	// (rule expiry, as dotnet-monitor's rule duration).
	ExpiresAt time.Time `json:"expires_at,omitzero"`

	sources    []string
	rules      []pattern
	labels     map[string]pattern
	targets    []pattern
	severities []string
}

// Match selects events. Every non-empty field must match; an empty Match
// matches every event.
type Match struct {
	// Sources are alert source names (alert.Sources; aliases accepted).
	Sources []string `json:"sources,omitempty"`
	// Rules are rule-name patterns: globs ('*', '?', case-insensitive) or
	// "re:" + a Go regular expression.
	Rules []string `json:"rules,omitempty"`
	// Severities are compared case-insensitively, with "SevN" equal to "N".
	Severities []string `json:"severities,omitempty"`
	// Labels maps a label name to a value pattern; every one must match.
	Labels map[string]string `json:"labels,omitempty"`
	// Targets are resource-id patterns; one of the event's resource ids
	// must match one of them.
	Targets []string `json:"targets,omitempty"`
}

// Limits keep captures rare (in the spirit of App Service auto-heal and
// dotnet-monitor collection rules). Zero values mean "no limit". Limits
// are counted per policy and target app.
type Limits struct {
	// Cooldown is the minimum time between two actions on one app.
	Cooldown Duration `json:"cooldown,omitempty"`
	// MaxActions actions at most within each sliding Window.
	MaxActions int      `json:"max_actions,omitempty"`
	Window     Duration `json:"window,omitempty"`
	// DailyCap is the most actions per app per UTC day.
	DailyCap int `json:"daily_cap,omitempty"`
	// StartupGrace skips processes younger than this (auto-heal's
	// minProcessExecutionTime); it becomes the selector's min_age_seconds.
	StartupGrace Duration `json:"startup_grace,omitempty"`
}

// Enabled reports whether any counted limit is set.
func (l Limits) Enabled() bool { return l.Cooldown > 0 || l.MaxActions > 0 || l.DailyCap > 0 }

func (l Limits) validate() error {
	switch {
	case l.Cooldown < 0, l.Window < 0, l.StartupGrace < 0:
		return errors.New("limits: negative duration")
	case l.MaxActions < 0 || l.DailyCap < 0:
		return errors.New("limits: negative count")
	case l.MaxActions > 0 && l.Window <= 0:
		return errors.New("limits: max_actions needs a window")
	case l.Window > 0 && l.MaxActions == 0:
		return errors.New("limits: window needs max_actions")
	case l.Window.D() > maxHistory:
		return fmt.Errorf("limits: window longer than %v", maxHistory)
	case l.Cooldown.D() > maxHistory:
		return fmt.Errorf("limits: cooldown longer than %v", maxHistory)
	}
	return nil
}

func (p *Policy) compile() error {
	if p.Name == "" {
		return errors.New("name: required")
	}
	if !namePattern.MatchString(p.Name) {
		return fmt.Errorf("name: %q must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", p.Name)
	}
	if err := p.ActionSpec.Validate(); err != nil {
		return err
	}
	if err := p.Targets.validate("targets"); err != nil {
		return err
	}
	if err := p.Limits.validate(); err != nil {
		return err
	}
	p.sources = nil
	for i, s := range p.Match.Sources {
		c, ok := alert.CanonicalSource(s)
		if !ok {
			return fmt.Errorf("match.sources[%d]: unknown source %q (known: %s)", i, s, strings.Join(alert.Sources(), ", "))
		}
		p.sources = append(p.sources, c)
	}
	var err error
	if p.rules, err = compilePatterns("match.rules", p.Match.Rules); err != nil {
		return err
	}
	if p.targets, err = compilePatterns("match.targets", p.Match.Targets); err != nil {
		return err
	}
	p.labels = map[string]pattern{}
	for k, v := range p.Match.Labels {
		if p.labels[k], err = compilePattern(v); err != nil {
			return fmt.Errorf("match.labels[%q]: %w", k, err)
		}
	}
	p.severities = nil
	for _, s := range p.Match.Severities {
		p.severities = append(p.severities, normSeverity(s))
	}
	return nil
}

// normSeverity folds "Sev3", "sev3" and "3" together.
func normSeverity(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if rest, ok := strings.CutPrefix(s, "sev"); ok && len(rest) == 1 && rest[0] >= '0' && rest[0] <= '9' {
		return rest
	}
	return s
}

// Expired reports whether the policy has expired at now.
func (p *Policy) Expired(now time.Time) bool {
	return !p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt)
}

// Matches reports whether e satisfies every condition of p's Match, and if
// not, the first condition that failed.
func (p *Policy) Matches(e *alert.Event) (bool, string) {
	if len(p.sources) > 0 && !contains(p.sources, e.Source) {
		return false, fmt.Sprintf("source %q not in %v", e.Source, p.sources)
	}
	if len(p.rules) > 0 && !anyMatch(p.rules, e.Rule) {
		return false, fmt.Sprintf("rule %q matches none of %v", e.Rule, p.Match.Rules)
	}
	if len(p.severities) > 0 && !contains(p.severities, normSeverity(e.Severity)) {
		return false, fmt.Sprintf("severity %q not in %v", e.Severity, p.Match.Severities)
	}
	for k, pat := range p.labels {
		v, ok := e.Labels[k]
		if !ok || !pat.match(v) {
			return false, fmt.Sprintf("label %s=%q does not match %q", k, v, pat.src)
		}
	}
	if len(p.targets) > 0 {
		hit := false
		for _, id := range e.ResourceIDs {
			if anyMatch(p.targets, id) {
				hit = true
				break
			}
		}
		if !hit {
			return false, fmt.Sprintf("no resource id matches %v", p.Match.Targets)
		}
	}
	return true, ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
