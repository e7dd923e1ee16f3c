package alert

import (
	"encoding/json"
	"strings"
)

// logLegacyFields are the flat PascalCase fields of legacy log alerts.
type logLegacyFields struct {
	AlertRuleName              flexString  `json:"AlertRuleName"`
	Severity                   flexString  `json:"Severity"`
	Description                flexString  `json:"Description"`
	SearchIntervalStartTimeUtc flexString  `json:"SearchIntervalStartTimeUtc"`
	SearchIntervalEndtimeUtc   flexString  `json:"SearchIntervalEndtimeUtc"`
	ResourceID                 flexString  `json:"ResourceId"`
	WorkspaceID                flexString  `json:"WorkspaceId"`
	ApplicationID              flexString  `json:"ApplicationId"`
	AlertType                  flexString  `json:"AlertType"`
	Dimensions                 []dimension `json:"Dimensions"`
	SearchQuery                flexString  `json:"SearchQuery"`
	Threshold                  flexString  `json:"Threshold"`
	Operator                   flexString  `json:"Operator"`
	ResultCount                flexString  `json:"ResultCount"`
	SearchIntervalInSeconds    flexString  `json:"SearchIntervalInSeconds"`
	LinkToSearchResults        flexString  `json:"LinkToSearchResults"`
}

// parseLogLegacy parses a legacy log alert: schemaId
// Microsoft.Insights/LogAlert with the fields under data (Application
// Insights), or the same fields at the top level (Log Analytics). These
// payloads carry no alert id and no fire time; the end of the search
// interval stands in for the fire time. They only ever fire.
func parseLogLegacy(data []byte) (*Alert, error) {
	const src = SourceAzureLogLegacy
	var wrapped struct {
		SchemaID flexString      `json:"schemaId"`
		Data     json.RawMessage `json:"data"`
	}
	if err := decode(src, data, &wrapped); err != nil {
		return nil, err
	}
	body, field := data, ""
	if wrapped.SchemaID != "" || len(wrapped.Data) > 0 && wrapped.Data[0] == '{' {
		body, field = wrapped.Data, "data."
	}
	var f logLegacyFields
	if err := decode(src, body, &f); err != nil {
		return nil, err
	}
	if f.AlertRuleName == "" {
		return nil, &FieldError{Source: src, Field: field + "AlertRuleName", Msg: "required"}
	}
	end, endField := f.SearchIntervalEndtimeUtc, "SearchIntervalEndtimeUtc"
	if end == "" {
		end, endField = f.SearchIntervalStartTimeUtc, "SearchIntervalStartTimeUtc"
	}
	fired, err := firedTime(src, field+endField, string(end))
	if err != nil {
		return nil, err
	}
	a := &Alert{
		Source: src, Status: StatusFired, Rule: string(f.AlertRuleName), Severity: string(f.Severity),
		FiredAt: fired.raw, FiredTime: fired.t, ResourceIDs: []string{},
		Description: string(f.Description), Dimensions: appendDims(nil, f.Dimensions),
	}
	if f.SearchQuery != "" || f.Threshold != "" {
		w := ""
		if f.SearchIntervalInSeconds != "" {
			w = string(f.SearchIntervalInSeconds) + " s"
		}
		a.Conditions = []Condition{{Query: string(f.SearchQuery), Operator: string(f.Operator), Threshold: string(f.Threshold),
			Observed: string(f.ResultCount), Window: w, WindowStart: string(f.SearchIntervalStartTimeUtc), WindowEnd: string(f.SearchIntervalEndtimeUtc)}}
		a.Links = map[string]string{}
		if putLink(a.Links, "search_results", string(f.LinkToSearchResults)); len(a.Links) == 0 {
			a.Links = nil
		}
	}
	// Only an ARM id names a resource; WorkspaceId and ApplicationId are
	// GUIDs of the data source, not targets.
	if id := string(f.ResourceID); strings.HasPrefix(strings.ToLower(id), "/subscriptions/") {
		a.ResourceIDs = append(a.ResourceIDs, id)
	}
	labels := map[string]string{}
	for k, v := range map[string]flexString{"WorkspaceId": f.WorkspaceID, "ApplicationId": f.ApplicationID, "AlertType": f.AlertType} {
		if v != "" {
			labels[k] = string(v)
		}
	}
	a.Labels = labels
	return a, nil
}
