package messages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

func checkID(field, v string) error {
	if v == "" {
		return &FieldError{field, "required"}
	}
	if !validID(v) {
		return &FieldError{field, fmt.Sprintf("%q is not a valid id (lowercase letters, digits, '.', '_', '-'; at most 96)", v)}
	}
	return nil
}

// JobID is the deterministic id of the job for site within an incident.
func JobID(incidentID string, s Site) string {
	return incidentID + "." + s.Segment()
}

// Segment is the site as one blob path segment and job id part: the app
// name, lowercased, with "_" and the slot name appended for a slot (app and
// slot names cannot contain "_").
func (s Site) Segment() string {
	seg := strings.ToLower(s.Name)
	if s.Slot != "" {
		seg += "_" + strings.ToLower(s.Slot)
	}
	return seg
}

// Validate checks the site's fields.
func (s Site) Validate() error {
	if s.ResourceID == "" {
		return &FieldError{"resource_id", "required"}
	}
	if !strings.HasPrefix(s.ResourceID, "/") || !containsFoldASCII(s.ResourceID, "/providers/microsoft.web/sites/") {
		return &FieldError{"resource_id", fmt.Sprintf("%q is not a Microsoft.Web/sites resource id", s.ResourceID)}
	}
	if s.SubscriptionID == "" {
		return &FieldError{"subscription_id", "required"}
	}
	if s.ResourceGroup == "" {
		return &FieldError{"resource_group", "required"}
	}
	if !validSiteName(s.Name) {
		return &FieldError{"name", fmt.Sprintf("%q is not a valid app name", s.Name)}
	}
	if s.Slot != "" && !validSiteName(s.Slot) {
		return &FieldError{"slot", fmt.Sprintf("%q is not a valid slot name", s.Slot)}
	}
	return s.checkAgrees()
}

func prefixed(prefix string, err error) error {
	if fe, ok := err.(*FieldError); ok {
		return &FieldError{prefix + "." + fe.Field, fe.Msg}
	}
	return err
}

// Validate checks the trigger.
func (t Trigger) Validate() error {
	switch t.Kind {
	case "alert", "schedule", "manual", "rule":
	case "":
		return &FieldError{"kind", "required"}
	default:
		return &FieldError{"kind", fmt.Sprintf("unknown trigger kind %q (want alert, schedule, manual or rule)", t.Kind)}
	}
	if t.FiredAt.IsZero() {
		return &FieldError{"fired_at", "required"}
	}
	if len(t.Conditions) > MaxTriggerConditions {
		return &FieldError{"conditions", fmt.Sprintf("%d conditions, at most %d", len(t.Conditions), MaxTriggerConditions)}
	}
	if len(t.Links) > MaxTriggerLinks {
		return &FieldError{"links", fmt.Sprintf("%d links, at most %d", len(t.Links), MaxTriggerLinks)}
	}
	for name, u := range t.Links {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return &FieldError{"links." + name, "not an http(s) URL"}
		}
	}
	return nil
}

// Bounds on what a trigger carries for the report.
const (
	MaxTriggerConditions = 16
	MaxTriggerLinks      = 8
)

// Validate checks the action.
func (a Action) Validate() error {
	if err := checkDumpType("dump_type", a.DumpType); err != nil {
		return err
	}
	switch a.Strategy {
	case "", StrategyDirect, StrategyStaged:
	default:
		return &FieldError{"strategy", fmt.Sprintf("unknown strategy %q (want direct or staged)", a.Strategy)}
	}
	return prefixed("series", a.Series.Validate())
}

func checkDumpType(field, v string) error {
	switch v {
	case DumpMini, DumpFull:
		return nil
	case "":
		return &FieldError{field, "required"}
	}
	return &FieldError{field, fmt.Sprintf("unknown dump type %q (want mini or full)", v)}
}

// Validate checks the selector.
func (s Selector) Validate() error {
	if s.NameRegex != "" {
		if _, err := regexp.Compile(s.NameRegex); err != nil {
			return &FieldError{"name_regex", err.Error()}
		}
	}
	for i, p := range s.PIDs {
		if p <= 0 {
			return &FieldError{fmt.Sprintf("pids[%d]", i), fmt.Sprintf("pid %d is not positive", p)}
		}
	}
	if s.MinAgeSeconds < 0 {
		return &FieldError{"min_age_seconds", "negative"}
	}
	if s.MaxCount < 0 {
		return &FieldError{"max_count", "negative"}
	}
	return nil
}

// Validate checks the job.
func (j *CaptureJob) Validate() error {
	if err := checkID("incident_id", j.IncidentID); err != nil {
		return err
	}
	if err := j.Site.Validate(); err != nil {
		return prefixed("site", err)
	}
	if want := JobID(j.IncidentID, j.Site); j.JobID != want {
		return &FieldError{"job_id", fmt.Sprintf("%q, want %q (incident id and site)", j.JobID, want)}
	}
	if j.IncidentTime.IsZero() {
		return &FieldError{"incident_time", "required"}
	}
	if err := j.Trigger.Validate(); err != nil {
		return prefixed("trigger", err)
	}
	if err := j.Action.Validate(); err != nil {
		return prefixed("action", err)
	}
	return prefixed("selector", j.Selector.Validate())
}

// Validate checks the dump report.
func (d *DumpCaptured) Validate() error {
	if err := checkID("incident_id", d.IncidentID); err != nil {
		return err
	}
	if err := d.Site.Validate(); err != nil {
		return prefixed("site", err)
	}
	if want := JobID(d.IncidentID, d.Site); d.JobID != want {
		return &FieldError{"job_id", fmt.Sprintf("%q, want %q", d.JobID, want)}
	}
	switch {
	case d.Instance == "":
		return &FieldError{"instance", "required"}
	case d.PID <= 0:
		return &FieldError{"pid", "must be positive"}
	case d.Process == "":
		return &FieldError{"process", "required"}
	case d.DumpKey == "":
		return &FieldError{"dump_key", "required"}
	case d.Bytes <= 0:
		return &FieldError{"bytes", "must be positive"}
	case !validSHA256(d.SHA256):
		return &FieldError{"sha256", "not 64 lowercase hex digits"}
	case d.Attempts < 1:
		return &FieldError{"attempts", "must be at least 1"}
	case d.CapturedAt.IsZero():
		return &FieldError{"captured_at", "required"}
	}
	if err := d.Series.Validate(); err != nil {
		return prefixed("series", err)
	}
	return checkDumpType("dump_type", d.DumpType)
}

// Validate checks the job report.
func (c *JobCompleted) Validate() error {
	if err := checkID("incident_id", c.IncidentID); err != nil {
		return err
	}
	if err := c.Site.Validate(); err != nil {
		return prefixed("site", err)
	}
	if want := JobID(c.IncidentID, c.Site); c.JobID != want {
		return &FieldError{"job_id", fmt.Sprintf("%q, want %q", c.JobID, want)}
	}
	if c.StartedAt.IsZero() {
		return &FieldError{"started_at", "required"}
	}
	if c.FinishedAt.Before(c.StartedAt) {
		return &FieldError{"finished_at", "before started_at"}
	}
	for i, t := range c.Targets {
		f := fmt.Sprintf("targets[%d]", i)
		switch {
		case t.Instance == "":
			return &FieldError{f + ".instance", "required"}
		case t.PID < 0:
			return &FieldError{f + ".pid", "negative"}
		}
		if err := t.Series.Validate(); err != nil {
			return prefixed(f+".series", err)
		}
		switch t.Outcome {
		case OutcomeCaptured:
			if t.DumpKey == "" {
				return &FieldError{f + ".dump_key", "required for a captured target"}
			}
		case OutcomeFailed, OutcomeSkipped:
			if t.Reason == "" {
				return &FieldError{f + ".reason", "required for a " + t.Outcome + " target"}
			}
		case "":
			return &FieldError{f + ".outcome", "required"}
		default:
			return &FieldError{f + ".outcome", fmt.Sprintf("unknown outcome %q", t.Outcome)}
		}
	}
	return nil
}

// Validate checks the manifest.
func (m *Manifest) Validate() error {
	if m.Version != Version {
		return &FieldError{"version", fmt.Sprintf("unsupported schema version %d (want %d)", m.Version, Version)}
	}
	if err := checkID("incident_id", m.IncidentID); err != nil {
		return err
	}
	if m.CreatedAt.IsZero() {
		return &FieldError{"created_at", "required"}
	}
	if err := m.Trigger.Validate(); err != nil {
		return prefixed("trigger", err)
	}
	if err := m.Action.Validate(); err != nil {
		return prefixed("action", err)
	}
	if err := m.Selector.Validate(); err != nil {
		return prefixed("selector", err)
	}
	for i, j := range m.Jobs {
		if err := j.Site.Validate(); err != nil {
			return prefixed(fmt.Sprintf("jobs[%d].site", i), err)
		}
		if want := JobID(m.IncidentID, j.Site); j.JobID != want {
			return &FieldError{fmt.Sprintf("jobs[%d].job_id", i), fmt.Sprintf("%q, want %q", j.JobID, want)}
		}
	}
	return nil
}

// EncodeManifest validates m and returns its stored JSON form (indented, so
// that a person can read it in storage, and ending in a newline: the bytes
// of a json.Encoder with a two-space indent).
func EncodeManifest(m *Manifest) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("messages: encode manifest %s: %w", m.IncidentID, err)
	}
	return buf.Bytes(), nil
}

// DecodeManifest parses and validates a stored manifest, strictly.
func DecodeManifest(data []byte) (*Manifest, error) {
	if len(data) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: manifest of %d bytes", ErrMalformed, len(data))
	}
	m := new(Manifest)
	if err := strictUnmarshal(data, m); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// DecodeJobCompleted parses a JobCompleted as stored at
// incidents/{incident}/jobs/{site}.json (the payload alone, no envelope).
func DecodeJobCompleted(data []byte) (*JobCompleted, error) {
	if len(data) > MaxEnvelopeSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(data))
	}
	c := new(JobCompleted)
	if err := strictUnmarshal(data, c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// IncidentID derives a deterministic incident id from a trigger's stable
// parts (e.g. alert id and fire time, or schedule name and slot): the UTC
// date and time of at, then 16 hex digits of a SHA-256 over the parts.
func IncidentID(at time.Time, parts ...string) string {
	return at.UTC().Format("20060102t150405") + "-" + shortHash(parts...)
}
