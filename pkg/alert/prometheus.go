package alert

import (
	"encoding/json"
	"fmt"
)

// groupPayload is the Alertmanager webhook (version "4") and its Grafana
// superset.
type groupPayload struct {
	Version           flexString `json:"version"`
	GroupKey          flexString `json:"groupKey"`
	Status            flexString `json:"status"`
	GroupLabels       flexMap    `json:"groupLabels"`
	CommonLabels      flexMap    `json:"commonLabels"`
	CommonAnnotations flexMap    `json:"commonAnnotations"`
	ExternalURL       flexString `json:"externalURL"`
	Alerts            []struct {
		Status       flexString `json:"status"`
		Labels       flexMap    `json:"labels"`
		Annotations  flexMap    `json:"annotations"`
		StartsAt     flexString `json:"startsAt"`
		Fingerprint  flexString `json:"fingerprint"`
		GeneratorURL flexString `json:"generatorURL"`
		DashboardURL flexString `json:"dashboardURL"`
		PanelURL     flexString `json:"panelURL"`
		ValueString  flexString `json:"valueString"`
	} `json:"alerts"`
}

func parseAlertmanager(data []byte) (*Alert, error) { return parseGroup(SourceAlertmanager, data) }
func parseGrafana(data []byte) (*Alert, error)      { return parseGroup(SourceGrafana, data) }

// parseGroup parses a grouped payload. The group's rule and severity come
// from its common labels (alertname, severity), falling back to the group
// labels; each entry's from its own labels. The alert id is the groupKey;
// the fire time is the earliest startsAt. An entry without a status takes
// the group's (older senders omit it).
func parseGroup(src string, data []byte) (*Alert, error) {
	var p groupPayload
	if err := decode(src, data, &p); err != nil {
		return nil, err
	}
	if len(p.Alerts) == 0 {
		return nil, &FieldError{Source: src, Field: "alerts", Msg: "required (at least one alert)"}
	}
	status, err := normStatus(src, "status", string(p.Status))
	if err != nil {
		return nil, err
	}
	a := &Alert{
		Source: src, Status: status, AlertID: string(p.GroupKey), ResourceIDs: []string{},
		Rule:     first(p.CommonLabels["alertname"], p.GroupLabels["alertname"]),
		Severity: first(p.CommonLabels["severity"], p.GroupLabels["severity"]),
		Labels:   merge(p.GroupLabels, p.CommonLabels), Description: first(p.CommonAnnotations["description"], p.CommonAnnotations["summary"]),
	}
	a.Alerts = make([]Entry, 0, len(p.Alerts))
	for i, in := range p.Alerts {
		field := fmt.Sprintf("alerts[%d]", i)
		st := status
		if in.Status != "" {
			if st, err = normStatus(src, field+".status", string(in.Status)); err != nil {
				return nil, err
			}
		}
		fired, err := firedTime(src, field+".startsAt", string(in.StartsAt))
		if err != nil {
			return nil, err
		}
		a.Alerts = append(a.Alerts, Entry{
			Status: st, Rule: in.Labels["alertname"], Severity: in.Labels["severity"],
			Fingerprint: string(in.Fingerprint), FiredAt: fired.raw, FiredTime: fired.t,
			Labels: map[string]string(in.Labels), Annotations: map[string]string(in.Annotations),
		})
		if a.FiredAt == "" || fired.t.Before(a.FiredTime) {
			a.FiredAt, a.FiredTime = fired.raw, fired.t
		}
	}
	// A person's way back to the rule: the first entry's links (entries of
	// one group share their rule), then the sender's own address.
	a.Links = map[string]string{}
	for _, in := range p.Alerts {
		putLink(a.Links, "rule", string(in.GeneratorURL))
		putLink(a.Links, "dashboard", string(in.DashboardURL))
		putLink(a.Links, "panel", string(in.PanelURL))
		if in.ValueString != "" && len(a.Conditions) == 0 {
			a.Conditions = []Condition{{Metric: first(in.Labels["alertname"], a.Rule), Observed: string(in.ValueString)}}
		}
	}
	putLink(a.Links, "sender", string(p.ExternalURL))
	if len(a.Links) == 0 {
		a.Links = nil
	}
	return a, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func merge(maps ...flexMap) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

var _ json.Unmarshaler = (*flexMap)(nil)
