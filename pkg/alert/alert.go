package alert

import (
	"encoding/json"
	"time"
)

// Source names, as they appear in Alert.Source and in POST /v1/alerts/{source}.
const (
	SourceAzureCommon       = "azure-monitor-common"
	SourceAzureMetricLegacy = "azure-monitor-metric-legacy"
	SourceAzureActivityLog  = "azure-activity-log"
	SourceAzureClassic      = "azure-classic"
	SourceAzureLogLegacy    = "azure-log-alert-legacy"
	SourceAlertmanager      = "alertmanager"
	SourceGrafana           = "grafana"
)

// Normalized statuses.
const (
	StatusFired    = "fired"
	StatusResolved = "resolved"
)

// Dimension is one metric or log dimension (name/value pair) of an Azure
// alert condition, in payload order.
type Dimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Alert is a parsed alert notification. Empty strings stand for values the
// payload does not carry (they marshal as JSON null for Rule, Severity and
// AlertID, as the fixtures' expected files write them).
type Alert struct {
	// Source is one of the Source* constants.
	Source string
	// Status is StatusFired or StatusResolved (for grouped payloads, the
	// group's status).
	Status string
	// Rule is the alert rule's name; empty when the payload has none.
	Rule string
	// Severity is as sent: "Sev0".."Sev4", "0".."4", an activity-log level,
	// or a Prometheus severity label; empty when absent.
	Severity string
	// AlertID is the most stable id the payload carries (see SOURCES.md);
	// empty when it has none.
	AlertID string
	// FiredAt is the fire time exactly as sent; FiredTime is it parsed
	// (zero when FiredAt is empty).
	FiredAt   string
	FiredTime time.Time
	// ResolvedAt is the resolve time as sent, when the payload has one.
	ResolvedAt string
	// ResourceIDs are the target ARM ids, verbatim (case preserved), never
	// nil.
	ResourceIDs []string
	Description string
	// Labels are string properties of the alert: custom properties of Azure
	// alerts, common labels of grouped payloads.
	Labels map[string]string
	// Dimensions are the dimensions of an Azure alert's conditions.
	Dimensions []Dimension
	// Conditions are the criteria that made the alert fire, as the payload
	// states them; nil when it does not say.
	Conditions []Condition
	// Links are URLs the payload carries for a person (the alert in the
	// portal, log search results, the rule's generator), by name.
	Links map[string]string
	// Alerts holds the per-alert entries of a grouped payload
	// (Alertmanager, Grafana); nil otherwise.
	Alerts []Entry
}

// Entry is one alert of a grouped payload.
type Entry struct {
	Status   string
	Rule     string
	Severity string
	// Fingerprint is the sender's per-alert id; empty when absent.
	Fingerprint string
	FiredAt     string
	FiredTime   time.Time
	Labels      map[string]string
	Annotations map[string]string
}

// wireAlert is the JSON form of Alert.
type wireAlert struct {
	Source      string            `json:"source"`
	Status      string            `json:"status"`
	Rule        *string           `json:"rule"`
	Severity    *string           `json:"severity"`
	AlertID     *string           `json:"alert_id"`
	FiredAt     *string           `json:"fired_at"`
	ResolvedAt  string            `json:"resolved_at,omitempty"`
	ResourceIDs []string          `json:"resource_ids"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Dimensions  []Dimension       `json:"dimensions,omitempty"`
	Conditions  []Condition       `json:"conditions,omitempty"`
	Links       map[string]string `json:"links,omitempty"`
	Alerts      []wireEntry       `json:"alerts,omitempty"`
}

type wireEntry struct {
	Status      string            `json:"status"`
	Rule        *string           `json:"rule"`
	Severity    *string           `json:"severity"`
	Fingerprint *string           `json:"fingerprint"`
	FiredAt     *string           `json:"fired_at"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// MarshalJSON writes the normalized form that `ingest parse` prints, with
// the names and null conventions of the fixtures' .expected.json files.
func (a *Alert) MarshalJSON() ([]byte, error) {
	w := wireAlert{
		Source: a.Source, Status: a.Status, Rule: nullable(a.Rule), Severity: nullable(a.Severity),
		AlertID: nullable(a.AlertID), FiredAt: nullable(a.FiredAt), ResolvedAt: a.ResolvedAt,
		ResourceIDs: a.ResourceIDs, Description: a.Description, Labels: a.Labels, Dimensions: a.Dimensions,
		Conditions: a.Conditions, Links: a.Links,
	}
	if w.ResourceIDs == nil {
		w.ResourceIDs = []string{}
	}
	for _, e := range a.Alerts {
		w.Alerts = append(w.Alerts, wireEntry{
			Status: e.Status, Rule: nullable(e.Rule), Severity: nullable(e.Severity),
			Fingerprint: nullable(e.Fingerprint), FiredAt: nullable(e.FiredAt),
			Labels: e.Labels, Annotations: e.Annotations,
		})
	}
	return json.Marshal(w)
}

// Dimension returns the value of the first dimension named name (compared
// case-insensitively) and whether there was one.
func (a *Alert) Dimension(name string) (string, bool) {
	for _, d := range a.Dimensions {
		if equalFold(d.Name, name) {
			return d.Value, true
		}
	}
	return "", false
}
