package alert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// MaxPayloadSize bounds what Parse and ParseAs accept.
const MaxPayloadSize = 1 << 20

var (
	// ErrMalformed is wrapped by errors about a payload that is not one JSON
	// object (not JSON, trailing data, too large, not an object).
	ErrMalformed = errors.New("alert: malformed payload")
	// ErrUnknownSource is wrapped when ParseAs is given a source name it
	// does not know.
	ErrUnknownSource = errors.New("alert: unknown source")
)

// UnknownShapeError reports a payload that matches no known schema.
type UnknownShapeError struct {
	// SchemaID is the payload's schemaId, when it had one.
	SchemaID string
	// Tried lists the sources whose shapes were checked.
	Tried []string
}

func (e *UnknownShapeError) Error() string {
	if e.SchemaID != "" {
		return fmt.Sprintf("alert: unknown schemaId %q (tried %s)", e.SchemaID, strings.Join(e.Tried, ", "))
	}
	return "alert: payload matches no known alert schema (tried " + strings.Join(e.Tried, ", ") + ")"
}

// FieldError reports a required field that is missing or invalid in a
// payload of a known source.
type FieldError struct {
	Source string
	Field  string // JSON path, e.g. "data.essentials.firedDateTime"
	Msg    string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("alert: %s payload: field %s: %s", e.Source, e.Field, e.Msg)
}

// parser parses one source's payload.
type parser func(data []byte) (*Alert, error)

var parsers = map[string]parser{
	SourceAzureCommon:       parseAzureCommon,
	SourceAzureMetricLegacy: parseMetricLegacy,
	SourceAzureActivityLog:  parseActivityLog,
	SourceAzureClassic:      parseClassic,
	SourceAzureLogLegacy:    parseLogLegacy,
	SourceAlertmanager:      parseAlertmanager,
	SourceGrafana:           parseGrafana,
}

// aliases are other accepted spellings of source names in ParseAs.
var aliases = map[string]string{
	"azure-common":        SourceAzureCommon,
	"azure-monitor":       SourceAzureCommon,
	"common":              SourceAzureCommon,
	"azure-metric-legacy": SourceAzureMetricLegacy,
	"azure-activitylog":   SourceAzureActivityLog,
	"activity-log":        SourceAzureActivityLog,
	"classic":             SourceAzureClassic,
	"azure-log-legacy":    SourceAzureLogLegacy,
	"prometheus":          SourceAlertmanager,
}

// Sources returns the canonical source names, sorted.
func Sources() []string {
	out := make([]string, 0, len(parsers))
	for s := range parsers {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// CanonicalSource returns the canonical name of source (which may be an
// alias, in any case) and whether it is known.
func CanonicalSource(source string) (string, bool) {
	s := strings.ToLower(strings.TrimSpace(source))
	if _, ok := parsers[s]; ok {
		return s, true
	}
	if c, ok := aliases[s]; ok {
		return c, true
	}
	return "", false
}

// ParseAs parses data as a payload of the named source (canonical name or
// alias, case-insensitive).
func ParseAs(source string, data []byte) (*Alert, error) {
	c, ok := CanonicalSource(source)
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownSource, source, strings.Join(Sources(), ", "))
	}
	if _, err := topLevel(data); err != nil {
		return nil, err
	}
	return parsers[c](data)
}

// Parse detects the payload's schema from its shape (SCHEMAS.md, "Telling
// the payloads apart") and parses it.
func Parse(data []byte) (*Alert, error) {
	src, err := Detect(data)
	if err != nil {
		return nil, err
	}
	return parsers[src](data)
}

// Detect returns the source whose shape data has, or an *UnknownShapeError
// (or an error wrapping ErrMalformed).
func Detect(data []byte) (string, error) {
	top, err := topLevel(data)
	if err != nil {
		return "", err
	}
	if raw, ok := top["schemaid"]; ok {
		var id flexString
		_ = json.Unmarshal(raw, &id)
		switch {
		case equalFold(string(id), "azureMonitorCommonAlertSchema"):
			return SourceAzureCommon, nil
		case equalFold(string(id), "AzureMonitorMetricAlert"):
			return SourceAzureMetricLegacy, nil
		case equalFold(string(id), "Microsoft.Insights/activityLogs"):
			return SourceAzureActivityLog, nil
		case equalFold(string(id), "Microsoft.Insights/LogAlert"):
			return SourceAzureLogLegacy, nil
		}
		return "", &UnknownShapeError{SchemaID: string(id), Tried: []string{
			SourceAzureCommon + " (azureMonitorCommonAlertSchema)",
			SourceAzureMetricLegacy + " (AzureMonitorMetricAlert)",
			SourceAzureActivityLog + " (Microsoft.Insights/activityLogs)",
			SourceAzureLogLegacy + " (Microsoft.Insights/LogAlert)",
		}}
	}
	if has(top, "alertrulename") || has(top, "searchquery") || has(top, "workspaceid") {
		return SourceAzureLogLegacy, nil
	}
	// A legacy log alert wrapped in "data" without its schemaId.
	if raw, ok := top["data"]; ok {
		var d map[string]json.RawMessage
		if json.Unmarshal(raw, &d) == nil && has(lowerKeys(d), "alertrulename") {
			return SourceAzureLogLegacy, nil
		}
	}
	if raw, ok := top["alerts"]; ok && isArray(raw) {
		if isGrafana(top) {
			return SourceGrafana, nil
		}
		return SourceAlertmanager, nil
	}
	if has(top, "status") && has(top, "context") {
		var c map[string]json.RawMessage
		if json.Unmarshal(top["context"], &c) == nil {
			lc := lowerKeys(c)
			if has(lc, "id") || has(lc, "name") || has(lc, "conditiontype") {
				return SourceAzureClassic, nil
			}
		}
	}
	return "", &UnknownShapeError{Tried: []string{
		SourceAzureCommon, SourceAzureMetricLegacy, SourceAzureActivityLog, SourceAzureLogLegacy,
		SourceAzureClassic, SourceAlertmanager, SourceGrafana,
	}}
}

// isGrafana tells a Grafana webhook from an Alertmanager one: orgId,
// version "1", or per-alert values/silenceURL.
func isGrafana(top map[string]json.RawMessage) bool {
	if has(top, "orgid") {
		return true
	}
	var v flexString
	if raw, ok := top["version"]; ok && json.Unmarshal(raw, &v) == nil && v == "1" {
		return true
	}
	var alerts []map[string]json.RawMessage
	if json.Unmarshal(top["alerts"], &alerts) != nil {
		return false
	}
	for _, a := range alerts {
		la := lowerKeys(a)
		if has(la, "values") || has(la, "silenceurl") {
			return true
		}
	}
	return false
}

// topLevel checks that data is exactly one JSON object within the size
// limit and returns its members with lowercased keys.
func topLevel(data []byte) (map[string]json.RawMessage, error) {
	if len(data) > MaxPayloadSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformed, len(data), MaxPayloadSize)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		// Unmarshal rejects trailing data too; say precisely what is wrong.
		if err := checkSingleValue(data); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	return lowerKeys(top), nil
}

// checkSingleValue rejects data that is not one JSON value.
func checkSingleValue(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%w: not JSON: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the JSON value", ErrMalformed)
	}
	return nil
}

func lowerKeys(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		lk := strings.ToLower(k)
		if _, dup := out[lk]; !dup {
			out[lk] = v
		}
	}
	return out
}

func has(m map[string]json.RawMessage, key string) bool {
	v, ok := m[key]
	return ok && len(v) > 0
}

func isArray(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '['
}

// decode unmarshals a payload of a known source into v, reporting type
// mismatches as *FieldError.
func decode(source string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &FieldError{Source: source, Field: te.Field, Msg: fmt.Sprintf("want %s, got JSON %s", te.Type, te.Value)}
		}
		return fmt.Errorf("%w: %s: %v", ErrMalformed, source, err)
	}
	return nil
}

// normStatus maps every sender's status word to StatusFired or
// StatusResolved.
func normStatus(source, field, s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "fired", "activated", "firing", "active", "alerting":
		return StatusFired, nil
	case "resolved", "deactivated", "ok", "inactive":
		return StatusResolved, nil
	case "":
		return "", &FieldError{Source: source, Field: field, Msg: "required"}
	}
	return "", &FieldError{Source: source, Field: field, Msg: fmt.Sprintf("unknown status %q", s)}
}

// firedTime parses a required fire time.
func firedTime(source, field, s string) (stamp, error) {
	if s == "" {
		return stamp{}, &FieldError{Source: source, Field: field, Msg: "required"}
	}
	t, ok := parseTime(s)
	if !ok {
		return stamp{}, &FieldError{Source: source, Field: field, Msg: fmt.Sprintf("%q is not a timestamp", s)}
	}
	return stamp{raw: s, t: t}, nil
}
