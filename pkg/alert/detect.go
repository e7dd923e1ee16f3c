package alert

import (
	"encoding/json"
	"fmt"
)

// shape is what detection reads of a payload's top level: the raw values
// of the members it looks at, by key lowercased (the last wins when a key
// repeats). Values are slices of the payload, not validated (see scan.go).
type shape struct {
	schemaID, data, alerts, orgID, version, status, context []byte
	// logKey is set when alertRuleName, searchQuery or workspaceId is
	// present (a legacy log alert at the top level).
	logKey bool
}

// readShape scans the top level of data; false when data is not an
// object in structure.
func readShape(data []byte) (shape, bool) {
	var s shape
	ok := eachMember(data, func(key, val []byte) {
		switch {
		case keyIs(key, "schemaid"):
			s.schemaID = val
		case keyIs(key, "data"):
			s.data = val
		case keyIs(key, "alerts"):
			s.alerts = val
		case keyIs(key, "status"):
			s.status = val
		case keyIs(key, "context"):
			s.context = val
		case keyIs(key, "version"):
			s.version = val
		case keyIs(key, "orgid"):
			s.orgID = val
		case keyIs(key, "alertrulename"), keyIs(key, "searchquery"), keyIs(key, "workspaceid"):
			s.logKey = true
		}
	})
	return s, ok
}

// source applies SCHEMAS.md's "Telling the payloads apart" to s: the
// schemaId when there is one, else the members each shape must have.
func (s *shape) source() (string, error) {
	if s.schemaID != nil {
		var id flexString
		_ = id.UnmarshalJSON(s.schemaID)
		return schemaSource(string(id))
	}
	if s.logKey {
		return SourceAzureLogLegacy, nil
	}
	// A legacy log alert wrapped in "data" without its schemaId.
	if s.data != nil && hasKey(s.data, "alertrulename") {
		return SourceAzureLogLegacy, nil
	}
	if len(s.alerts) > 0 && s.alerts[0] == '[' {
		if s.isGrafana() {
			return SourceGrafana, nil
		}
		return SourceAlertmanager, nil
	}
	if s.status != nil && s.context != nil && hasKey(s.context, "id", "name", "conditiontype") {
		return SourceAzureClassic, nil
	}
	return "", &UnknownShapeError{Tried: []string{
		SourceAzureCommon, SourceAzureMetricLegacy, SourceAzureActivityLog, SourceAzureLogLegacy,
		SourceAzureClassic, SourceAlertmanager, SourceGrafana,
	}}
}

// isGrafana tells a Grafana webhook from an Alertmanager one: orgId,
// version "1", or per-alert values/silenceURL (counted only when every
// alert is an object or null, as a decode into maps would require).
func (s *shape) isGrafana() bool {
	if s.orgID != nil {
		return true
	}
	if s.version != nil {
		var v flexString
		if v.UnmarshalJSON(s.version) == nil && v == "1" {
			return true
		}
	}
	bad, found := false, false
	ok := eachElement(s.alerts, func(el []byte) {
		switch {
		case !objectOrNull(el):
			bad = true
		case !found && hasKey(el, "values", "silenceurl"):
			found = true
		}
	})
	return ok && !bad && found
}

// checkObject checks that data is exactly one JSON object within the size
// limit, with an error wrapping ErrMalformed that says what is wrong.
func checkObject(data []byte) error {
	if len(data) > MaxPayloadSize {
		return fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformed, len(data), MaxPayloadSize)
	}
	if !json.Valid(data) {
		if err := checkSingleValue(data); err != nil {
			return err
		}
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	if i := skipSpace(data, 0); i >= len(data) || data[i] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	return nil
}

// schemaSource maps a payload's schemaId to its source, or fails naming the
// schema ids it knows.
func schemaSource(id string) (string, error) {
	switch {
	case equalFold(id, "azureMonitorCommonAlertSchema"):
		return SourceAzureCommon, nil
	case equalFold(id, "AzureMonitorMetricAlert"):
		return SourceAzureMetricLegacy, nil
	case equalFold(id, "Microsoft.Insights/activityLogs"):
		return SourceAzureActivityLog, nil
	case equalFold(id, "Microsoft.Insights/LogAlert"):
		return SourceAzureLogLegacy, nil
	}
	return "", &UnknownShapeError{SchemaID: id, Tried: []string{
		SourceAzureCommon + " (azureMonitorCommonAlertSchema)",
		SourceAzureMetricLegacy + " (AzureMonitorMetricAlert)",
		SourceAzureActivityLog + " (Microsoft.Insights/activityLogs)",
		SourceAzureLogLegacy + " (Microsoft.Insights/LogAlert)",
	}}
}
