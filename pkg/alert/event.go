package alert

import (
	"sort"
	"strings"
	"time"
)

// Event is one alert instance, the unit a capture policy evaluates: the
// alert itself, or one entry of a grouped payload (Alertmanager, Grafana)
// merged with its group. A group can mix firing and resolved alerts, so
// each entry is its own event.
type Event struct {
	Source   string
	Status   string
	Rule     string
	Severity string
	// AlertID is the alert's id (the groupKey for grouped payloads) and
	// Fingerprint the entry's own id, when it has one.
	AlertID     string
	Fingerprint string
	FiredAt     string
	FiredTime   time.Time
	// ResourceIDs are the alert's targets, then the ARM ids found in a
	// ResourceId dimension (log alerts on a workspace carry the real
	// resource there) and in the labels or annotations named by
	// ResourceLabels, in that order, without duplicates (compared
	// case-insensitively).
	ResourceIDs []string
	// MachineNames are the values of Instance dimensions (App Service
	// metric alerts split by instance) or of a machine_name label.
	MachineNames []string
	// Labels are the alert's labels, custom properties and dimensions; for
	// grouped payloads the common labels overlaid with the entry's own.
	Labels      map[string]string
	Description string
	// Conditions and Links are the alert's (see Alert).
	Conditions []Condition
	Links      map[string]string
}

// ResourceLabels are the label and annotation names (case-insensitive)
// from which Events take ARM resource ids.
var ResourceLabels = []string{"azure_resource_id", "resource_id", "resourceid"}

// machineLabels are the label names from which Events take machine names.
var machineLabels = []string{"machine_name", "machinename", "azure_machine_name"}

// Events splits a into the events a policy evaluates.
func (a *Alert) Events() []Event {
	if len(a.Alerts) == 0 {
		labels := make(map[string]string, len(a.Labels)+len(a.Dimensions))
		for k, v := range a.Labels {
			labels[k] = v
		}
		e := Event{
			Source: a.Source, Status: a.Status, Rule: a.Rule, Severity: a.Severity, AlertID: a.AlertID,
			FiredAt: a.FiredAt, FiredTime: a.FiredTime, Description: a.Description, Labels: labels,
			Conditions: a.Conditions, Links: a.Links,
		}
		ids := newIDSet(a.ResourceIDs)
		for _, d := range a.Dimensions {
			if _, ok := labels[d.Name]; !ok {
				labels[d.Name] = d.Value
			}
			switch {
			case equalFold(d.Name, "ResourceId") && isARMID(d.Value):
				ids.add(d.Value)
			case equalFold(d.Name, "Instance") && d.Value != "":
				e.MachineNames = appendUnique(e.MachineNames, d.Value)
			}
		}
		fromLabels(&e, ids, labels)
		e.ResourceIDs = ids.list
		return []Event{e}
	}
	out := make([]Event, 0, len(a.Alerts))
	for _, en := range a.Alerts {
		labels := make(map[string]string, len(a.Labels)+len(en.Labels))
		for k, v := range a.Labels {
			labels[k] = v
		}
		for k, v := range en.Labels {
			labels[k] = v
		}
		e := Event{
			Source: a.Source, Status: en.Status, Rule: first(en.Rule, a.Rule), Severity: first(en.Severity, a.Severity),
			AlertID: a.AlertID, Fingerprint: en.Fingerprint, FiredAt: en.FiredAt, FiredTime: en.FiredTime,
			Labels: labels, Description: first(en.Annotations["description"], en.Annotations["summary"], a.Description),
			Conditions: a.Conditions, Links: a.Links,
		}
		ids := newIDSet(a.ResourceIDs)
		fromLabels(&e, ids, labels)
		fromLabels(&e, ids, en.Annotations)
		e.ResourceIDs = ids.list
		out = append(out, e)
	}
	return out
}

// Key returns the stable parts that identify this event across
// redeliveries, for messages.IncidentID together with FiredTime: the
// source and alert id, plus the fingerprint (or, without one, the sorted
// labels) of a grouped entry; the rule and fire time for payloads without
// an alert id.
func (e Event) Key() []string {
	parts := []string{e.Source, e.AlertID}
	switch {
	case e.Fingerprint != "":
		parts = append(parts, "fp="+e.Fingerprint)
	case e.Source == SourceAlertmanager || e.Source == SourceGrafana:
		keys := make([]string, 0, len(e.Labels))
		for k := range e.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, k+"="+e.Labels[k])
		}
	case e.AlertID == "":
		parts = append(parts, "rule="+e.Rule, "fired="+e.FiredAt)
	}
	return parts
}

func fromLabels(e *Event, ids *idSet, m map[string]string) {
	for k, v := range m {
		for _, name := range ResourceLabels {
			if equalFold(k, name) && isARMID(v) {
				ids.add(v)
			}
		}
		for _, name := range machineLabels {
			if equalFold(k, name) && v != "" {
				e.MachineNames = appendUnique(e.MachineNames, v)
			}
		}
	}
}

// isARMID is strings.HasPrefix(strings.ToLower(s), "/subscriptions/"),
// without the copy when the prefix's bytes are ASCII (a few non-ASCII
// letters lowercase to ASCII ones, such as 'İ' to 'i').
func isARMID(s string) bool {
	const prefix = "/subscriptions/"
	if len(s) < len(prefix) {
		return strings.HasPrefix(strings.ToLower(s), prefix)
	}
	for i := range len(prefix) {
		c := s[i]
		if c >= 0x80 {
			return strings.HasPrefix(strings.ToLower(s), prefix)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// idSet keeps ids in insertion order without case-insensitive duplicates.
type idSet struct {
	seen map[string]bool
	list []string
}

func newIDSet(ids []string) *idSet {
	s := &idSet{seen: map[string]bool{}, list: []string{}}
	for _, id := range ids {
		s.add(id)
	}
	return s
}

func (s *idSet) add(id string) {
	k := strings.ToLower(id)
	if !s.seen[k] {
		s.seen[k] = true
		s.list = append(s.list, id)
	}
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if equalFold(x, v) {
			return list
		}
	}
	return append(list, v)
}
