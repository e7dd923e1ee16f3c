package alert

import (
	"encoding/json"
	"errors"
	"strings"
)

// commonPayload is the Azure Monitor common alert schema. C is the type
// alertContext decodes into: *commonContext in the one-pass decode,
// json.RawMessage when the context must be decoded on its own (see
// parseAzureCommon).
type commonPayload[C any] struct {
	SchemaID string         `json:"schemaId"`
	Data     *commonData[C] `json:"data"`
}

// commonData and commonEssentials are aliases of unnamed struct types, so
// that encoding/json's type errors name them as before.
type commonData[C any] = struct {
	Essentials       *commonEssentials `json:"essentials"`
	AlertContext     C                 `json:"alertContext"`
	CustomProperties flexMap           `json:"customProperties"`
}

type commonEssentials = struct {
	AlertID           flexString  `json:"alertId"`
	AlertRule         flexString  `json:"alertRule"`
	Severity          flexString  `json:"severity"`
	SignalType        flexString  `json:"signalType"`
	MonitorCondition  flexString  `json:"monitorCondition"`
	MonitoringService flexString  `json:"monitoringService"`
	AlertTargetIDs    flexStrings `json:"alertTargetIDs"`
	FiredDateTime     flexString  `json:"firedDateTime"`
	ResolvedDateTime  flexString  `json:"resolvedDateTime"`
	Description       flexString  `json:"description"`
}

type commonCondition = azureCondition

// contextField is the JSON path of alertContext in errors.
const contextField = "data.alertContext"

// commonContext holds the parts of alertContext variants dumpflow uses:
// condition dimensions (metric, log V2), log V1's top-level Dimensions, and
// the rule's custom properties. Other members are ignored.
type commonContext struct {
	Properties flexMap `json:"properties"`
	// Labels and Annotations are the Prometheus rule's (monitoringService
	// "Prometheus").
	Labels      flexMap          `json:"labels"`
	Annotations flexMap          `json:"annotations"`
	Condition   *commonCondition `json:"condition"`
	// Dimensions is log alerts V1's PascalCase "Dimensions"; JSON keys
	// match case-insensitively.
	Dimensions []dimension `json:"dimensions"`
	// logV1Context holds the rest of log alerts V1's context.
	logV1Context
}

type dimension struct {
	Name  flexString `json:"name"`
	Value flexString `json:"value"`
}

// parseAzureCommon parses the common alert schema (every monitoring
// service: the alertContext variant only adds dimensions and properties).
func parseAzureCommon(data []byte) (*Alert, error) {
	const src = SourceAzureCommon
	// The alertContext varies by monitoring service; a variant we cannot
	// read costs only its dimensions and properties, never the alert. The
	// payload is decoded once with the context in place; only when that
	// fails inside the context is it decoded again with the context kept
	// raw, and the context then decoded on its own, its errors ignored.
	// (A payload repeating alertContext gets the repeats merged, as
	// encoding/json merges every other repeated object member; decoded on
	// its own the last one would win.)
	var p commonPayload[*commonContext]
	err := decode(src, data, &p)
	var fe *FieldError
	if errors.As(err, &fe) && (fe.Field == contextField || strings.HasPrefix(fe.Field, contextField+".")) {
		var raw commonPayload[json.RawMessage]
		if err := decode(src, data, &raw); err != nil {
			return nil, err
		}
		var c commonContext
		ctx := &c
		if raw.Data == nil || json.Unmarshal(raw.Data.AlertContext, &c) != nil {
			ctx = nil
		}
		return azureCommonAlert(&raw, ctx)
	}
	if err != nil {
		return nil, err
	}
	var ctx *commonContext
	if p.Data != nil {
		ctx = p.Data.AlertContext
	}
	return azureCommonAlert(&p, ctx)
}

// azureCommonAlert builds the Alert of a decoded payload; ctx is its
// alertContext, nil when absent, null or unreadable.
func azureCommonAlert[C any](p *commonPayload[C], ctx *commonContext) (*Alert, error) {
	const src = SourceAzureCommon
	if p.Data == nil {
		return nil, &FieldError{Source: src, Field: "data", Msg: "required"}
	}
	e := p.Data.Essentials
	if e == nil {
		return nil, &FieldError{Source: src, Field: "data.essentials", Msg: "required"}
	}
	if e.AlertID == "" {
		return nil, &FieldError{Source: src, Field: "data.essentials.alertId", Msg: "required"}
	}
	status, err := normStatus(src, "data.essentials.monitorCondition", string(e.MonitorCondition))
	if err != nil {
		return nil, err
	}
	fired, err := firedTime(src, "data.essentials.firedDateTime", string(e.FiredDateTime))
	if err != nil {
		return nil, err
	}
	a := &Alert{
		Source: src, Status: status, Rule: string(e.AlertRule), Severity: string(e.Severity),
		AlertID: string(e.AlertID), FiredAt: fired.raw, FiredTime: fired.t,
		ResolvedAt: string(e.ResolvedDateTime), ResourceIDs: nonNil(e.AlertTargetIDs),
		Description: string(e.Description),
	}
	labels := map[string]string{}
	if e.SignalType != "" {
		labels["signalType"] = string(e.SignalType)
	}
	if e.MonitoringService != "" {
		labels["monitoringService"] = string(e.MonitoringService)
	}
	if c := ctx; c != nil {
		for _, m := range []flexMap{c.Properties, c.Annotations, c.Labels} {
			for k, v := range m {
				labels[k] = v
			}
		}
		if c.Condition != nil {
			for _, crit := range c.Condition.AllOf {
				a.Dimensions = appendDims(a.Dimensions, crit.Dimensions)
			}
		}
		a.Dimensions = appendDims(a.Dimensions, c.Dimensions)
		a.Links = map[string]string{}
		a.Conditions = append(c.Condition.conditions(a.Links), c.logV1Context.condition(a.Links)...)
		if len(a.Links) == 0 {
			a.Links = nil
		}
	}
	for k, v := range p.Data.CustomProperties {
		labels[k] = v
	}
	a.Labels = labels
	return a, nil
}

func appendDims(out []Dimension, in []dimension) []Dimension {
	for _, d := range in {
		if d.Name == "" {
			continue
		}
		out = append(out, Dimension{Name: string(d.Name), Value: string(d.Value)})
	}
	return out
}

func nonNil(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if strings.TrimSpace(id) != "" {
			out = append(out, id)
		}
	}
	return out
}
