package autoheal

import (
	"strconv"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// TriggerKind is the messages.Trigger kind of incidents made by rules.
const TriggerKind = "rule"

// Capture describes what the pipeline should capture for a firing. Log-only
// firings capture nothing (ok is false).
func (f Firing) Capture() (t messages.Trigger, a messages.Action, s messages.Selector, ok bool) {
	t = messages.Trigger{
		Kind: TriggerKind, Source: "autoheal", Rule: f.Rule, FiredAt: f.At.UTC(),
		Reason: "auto-heal rule " + f.Rule + " (" + f.Trigger + "): " + f.Reason,
	}
	if f.Action.Kind == ActionLog {
		return t, a, s, false
	}
	a = messages.Action{DumpType: f.Action.DumpType, Kill: f.Action.Kind == ActionCollectKill, Analyze: !f.NoAnalyze, Series: f.Action.Series}
	if f.MachineName != "" {
		s.MachineNames = []string{f.MachineName}
	}
	if f.PID > 0 {
		// The process the rule observed, and no other: if it has been
		// recycled meanwhile, the job finds nothing to do.
		s.PIDs = []int{f.PID}
	}
	return t, a, s, true
}

// IncidentID is the deterministic incident id of a firing, so that a firing
// acted on twice (two ingest replicas, a retry) makes one incident.
func (f Firing) IncidentID() string {
	return messages.IncidentID(f.At.Truncate(time.Second), "autoheal", f.Rule, f.Site, f.Instance, strconv.Itoa(f.PID))
}
