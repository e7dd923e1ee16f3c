package ingest

import (
	"context"
	"fmt"

	"github.com/dumpflow/dumpflow/pkg/autoheal"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/policy"
)

// RuleFired creates the incident of an auto-heal rule's firing, through
// the same path as alerts: the allowlist applies, the manifest is written
// create-if-absent and one job goes to the site, narrowed to the instance
// and process the rule observed. The rule's own limits have already been
// applied by the evaluator; policy limits do not apply. A log-only firing
// creates nothing and returns a zero Accepted.
func (s *Service) RuleFired(ctx context.Context, f autoheal.Firing) (Accepted, error) {
	trig, act, sel, ok := f.Capture()
	if !ok {
		s.log.Info("ingest: auto-heal rule fired (log only)", "rule", f.Rule, "site", f.Site, "instance", f.Instance, "reason", f.Reason)
		return Accepted{}, nil
	}
	res, err := s.resolver.resolve(ctx, nil, policy.Targets{Apps: []string{f.Site}})
	if err != nil {
		return Accepted{}, fmt.Errorf("ingest: auto-heal rule %s: %w", f.Rule, err)
	}
	acc, err := s.commit(ctx, &incidentSpec{traceParent: traceParent(""), sites: res.Sites, manifest: messages.Manifest{
		IncidentID: f.IncidentID(), CreatedAt: f.At.UTC(), Action: act, Selector: sel, Trigger: trig, Policy: "autoheal:" + f.Rule,
	}})
	if err == nil {
		s.log.Info("ingest: auto-heal incident", "incident_id", acc.IncidentID, "duplicate", acc.Duplicate, "rule", f.Rule,
			"site", f.Site, "instance", f.Instance, "pid", f.PID, "reason", f.Reason)
	}
	return acc, err
}
