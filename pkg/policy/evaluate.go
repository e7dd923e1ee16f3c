package policy

import (
	"fmt"
	"strconv"
	"time"

	"github.com/dumpflow/dumpflow/pkg/alert"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Decision is what the policies make of one event.
type Decision struct {
	// Capture is true when the event leads to a capture.
	Capture bool `json:"capture"`
	// Policy names the deciding policy ("" when none matched).
	Policy string `json:"policy,omitempty"`
	// Reason is a sentence a person reads: why this decision.
	Reason string `json:"reason"`
	// Action and Selector are the job's, when Capture is true. The
	// selector carries the event's machine names and the policy's startup
	// grace.
	Action   messages.Action   `json:"action,omitzero"`
	Selector messages.Selector `json:"selector,omitzero"`
	// Targets replaces the event's resource ids when the policy sets it.
	Targets Targets `json:"targets,omitzero"`
	// Limits are the policy's limits, for the Limiter.
	Limits Limits `json:"limits,omitzero"`
	// Skipped explains, per policy tried before the deciding one, why it
	// did not match (for dry runs).
	Skipped []string `json:"skipped,omitempty"`
}

// Evaluate decides what e does at now, without side effects: resolved
// events never capture; expired policies are skipped; the first matching
// policy decides.
func (c *Config) Evaluate(e *alert.Event, now time.Time) Decision {
	if e.Status != alert.StatusFired {
		return Decision{Reason: "resolved alerts never capture"}
	}
	var d Decision
	for i := range c.Policies {
		p := &c.Policies[i]
		if p.Expired(now) {
			d.Skipped = append(d.Skipped, fmt.Sprintf("%s: expired at %s", p.Name, p.ExpiresAt.Format(time.RFC3339)))
			continue
		}
		ok, why := p.Matches(e)
		if !ok {
			d.Skipped = append(d.Skipped, p.Name+": "+why)
			continue
		}
		d.Policy = p.Name
		if p.Action == ActionIgnore {
			d.Reason = fmt.Sprintf("policy %q matches and says ignore", p.Name)
			return d
		}
		act, _ := p.ActionSpec.Message() // validated by compile
		sel := p.Selector
		sel.MachineNames = append(append([]string(nil), sel.MachineNames...), e.MachineNames...)
		if g := int(p.Limits.StartupGrace.D().Seconds()); g > sel.MinAgeSeconds {
			sel.MinAgeSeconds = g
		}
		d.Capture, d.Action, d.Selector, d.Targets, d.Limits = true, act, sel, p.Targets, p.Limits
		// fmt.Sprintf("policy %q: %s alert %q (severity %q) from %s", …),
		// spelled out: this runs for every alert that captures.
		d.Reason = "policy " + strconv.Quote(p.Name) + ": " + e.Source + " alert " + strconv.Quote(e.Rule) +
			" (severity " + strconv.Quote(e.Severity) + ") from " + e.FiredAt
		return d
	}
	d.Reason = "no policy matches"
	return d
}
