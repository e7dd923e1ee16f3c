package alert

import "encoding/json"

// legacyContext is the context of the legacy metric alert (V2) and of
// Alerts (Classic) webhooks.
type legacyContext struct {
	Timestamp     flexString `json:"timestamp"`
	ID            flexString `json:"id"`
	Name          flexString `json:"name"`
	Description   flexString `json:"description"`
	ConditionType flexString `json:"conditionType"`
	Severity      flexString `json:"severity"`
	ResourceID    flexString `json:"resourceId"`
	// Condition is read for dimensions only (metric V2); classic
	// conditions have none.
	Condition  json.RawMessage `json:"condition"`
	PortalLink flexString      `json:"portalLink"`
}

func (c *legacyContext) alert(src, field, status string) (*Alert, error) {
	fired, err := firedTime(src, field+".timestamp", string(c.Timestamp))
	if err != nil {
		return nil, err
	}
	a := &Alert{
		Source: src, Status: status, Rule: string(c.Name), Severity: string(c.Severity),
		AlertID: string(c.ID), FiredAt: fired.raw, FiredTime: fired.t,
		ResourceIDs: nonNil([]string{string(c.ResourceID)}), Description: string(c.Description),
	}
	if cond := decodeCondition(c.Condition); cond != nil {
		for _, crit := range cond.AllOf {
			a.Dimensions = appendDims(a.Dimensions, crit.Dimensions)
		}
		a.Links = map[string]string{}
		a.Conditions = cond.conditions(a.Links)
		putLink(a.Links, "portal", string(c.PortalLink))
		if len(a.Links) == 0 {
			a.Links = nil
		}
	}
	if c.ID == "" {
		return nil, &FieldError{Source: src, Field: field + ".id", Msg: "required"}
	}
	return a, nil
}

// parseMetricLegacy parses the non-common metric alert schema
// (schemaId AzureMonitorMetricAlert). Its context.id is the rule id: the
// payload has no per-instance alert id.
func parseMetricLegacy(data []byte) (*Alert, error) {
	const src = SourceAzureMetricLegacy
	type legacyData struct {
		dataStatus
		Context    *legacyContext `json:"context"`
		Properties flexMap        `json:"properties"`
	}
	d, status, err := decodeData(src, data, func(d *legacyData) error {
		if d.Context == nil {
			return &FieldError{Source: src, Field: "data.context", Msg: "required"}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a, err := d.Context.alert(src, "data.context", status)
	if err != nil {
		return nil, err
	}
	a.Labels = map[string]string(d.Properties)
	return a, nil
}

// parseClassic parses an Alerts (Classic) metric or event webhook (no
// schemaId; top-level status and context). Classic alerts have no severity.
func parseClassic(data []byte) (*Alert, error) {
	const src = SourceAzureClassic
	var p struct {
		Status     flexString     `json:"status"`
		Context    *legacyContext `json:"context"`
		Properties flexMap        `json:"properties"`
	}
	if err := decode(src, data, &p); err != nil {
		return nil, err
	}
	if p.Context == nil {
		return nil, &FieldError{Source: src, Field: "context", Msg: "required"}
	}
	status, err := normStatus(src, "status", string(p.Status))
	if err != nil {
		return nil, err
	}
	a, err := p.Context.alert(src, "context", status)
	if err != nil {
		return nil, err
	}
	a.Severity = "" // classic alerts carry none; never invent one
	a.Labels = map[string]string(p.Properties)
	return a, nil
}
