package autoheal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// The ARM schema of siteConfig.autoHealRules (CommonDefinitions.json,
// api-version 2024-11-01). Field names are ARM's.

// ARMRules is AutoHealRules.
type ARMRules struct {
	Triggers *ARMTriggers `json:"triggers"`
	Actions  *ARMActions  `json:"actions"`
}

// ARMTriggers is AutoHealTriggers.
type ARMTriggers struct {
	Requests             *RequestsTrigger          `json:"requests,omitempty"`
	PrivateBytesInKB     int64                     `json:"privateBytesInKB,omitempty"`
	StatusCodes          []StatusCodesTrigger      `json:"statusCodes,omitempty"`
	SlowRequests         *SlowRequestsTrigger      `json:"slowRequests,omitempty"`
	SlowRequestsWithPath []SlowRequestsTrigger     `json:"slowRequestsWithPath,omitempty"`
	StatusCodesRange     []StatusCodesRangeTrigger `json:"statusCodesRange,omitempty"`
}

// RequestsTrigger is RequestsBasedTrigger.
type RequestsTrigger struct {
	Count        int      `json:"count"`
	TimeInterval TimeSpan `json:"timeInterval"`
}

// SlowRequestsTrigger is SlowRequestsBasedTrigger.
type SlowRequestsTrigger struct {
	TimeTaken    TimeSpan `json:"timeTaken"`
	Path         string   `json:"path,omitempty"`
	Count        int      `json:"count"`
	TimeInterval TimeSpan `json:"timeInterval"`
}

// StatusCodesTrigger is StatusCodesBasedTrigger. Zero SubStatus and
// Win32Status mean "any".
type StatusCodesTrigger struct {
	Status       int      `json:"status"`
	SubStatus    int      `json:"subStatus,omitempty"`
	Win32Status  int      `json:"win32Status,omitempty"`
	Count        int      `json:"count"`
	TimeInterval TimeSpan `json:"timeInterval"`
	Path         string   `json:"path,omitempty"`
}

// StatusCodesRangeTrigger is StatusCodesRangeBasedTrigger; StatusCodes is
// "lo-hi" or a single code.
type StatusCodesRangeTrigger struct {
	StatusCodes  string   `json:"statusCodes"`
	Path         string   `json:"path,omitempty"`
	Count        int      `json:"count"`
	TimeInterval TimeSpan `json:"timeInterval"`
}

// ARMActions is AutoHealActions. ActionType is a string ("Recycle",
// "LogEvent", "CustomAction") or, from some clients, a number (0, 1, 2).
type ARMActions struct {
	ActionType              json.RawMessage `json:"actionType"`
	CustomAction            *CustomAction   `json:"customAction,omitempty"`
	MinProcessExecutionTime *TimeSpan       `json:"minProcessExecutionTime,omitempty"`
}

// CustomAction is AutoHealCustomAction.
type CustomAction struct {
	Exe        string `json:"exe"`
	Parameters string `json:"parameters"`
}

// ImportError names the field of an imported document that is wrong.
type ImportError struct {
	Field string
	Msg   string
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("autoheal: import: %s: %s", e.Field, e.Msg)
}

// Import turns a site's auto-heal configuration into a Rule named name.
// data may be the ARM config/web resource ({"properties": {...}}), a site
// resource ({"properties": {"siteConfig": {...}}}), a bare SiteConfig
// fragment ({"autoHealEnabled", "autoHealRules"}) or a bare AutoHealRules
// object ({"triggers", "actions"}). Unknown fields inside autoHealRules and
// impossible values are *ImportError. A rule imported from a site with
// autoHealEnabled=false is returned disabled.
func Import(name string, data []byte) (*Rule, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, &ImportError{"(document)", "not a JSON object: " + err.Error()}
	}
	enabled := true
	cfg := top
	if p, ok := top["properties"]; ok {
		if err := json.Unmarshal(p, &cfg); err != nil {
			return nil, &ImportError{"properties", "not an object"}
		}
		if sc, ok := cfg["siteConfig"]; ok {
			if err := json.Unmarshal(sc, &cfg); err != nil {
				return nil, &ImportError{"properties.siteConfig", "not an object"}
			}
		}
	}
	rulesRaw := json.RawMessage(data)
	if r, ok := cfg["autoHealRules"]; ok {
		rulesRaw = r
		if e, ok := cfg["autoHealEnabled"]; ok && string(e) != "null" {
			if err := json.Unmarshal(e, &enabled); err != nil {
				return nil, &ImportError{"autoHealEnabled", "not a boolean"}
			}
		}
	} else if _, ok := cfg["triggers"]; !ok {
		return nil, &ImportError{"autoHealRules", "not found (want a config/web resource, a site, or an AutoHealRules object)"}
	}
	if string(bytes.TrimSpace(rulesRaw)) == "null" {
		return nil, &ImportError{"autoHealRules", "null: the site has no auto-heal rules"}
	}
	var ar ARMRules
	dec := json.NewDecoder(bytes.NewReader(rulesRaw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ar); err != nil {
		return nil, &ImportError{"autoHealRules", err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &ImportError{"autoHealRules", "trailing data"}
	}
	r := &Rule{Name: name, Enabled: &enabled}
	if ar.Triggers == nil {
		return nil, &ImportError{"autoHealRules.triggers", "required"}
	}
	r.Triggers = *ar.Triggers
	act, err := importAction(ar.Actions)
	if err != nil {
		return nil, err
	}
	r.Action = act
	if ar.Actions != nil && ar.Actions.MinProcessExecutionTime != nil {
		r.MinProcessExecutionTime = *ar.Actions.MinProcessExecutionTime
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// importAction maps App Service's action to ours:
//   - LogEvent → log only;
//   - Recycle → collect-kill with a mini dump: we capture evidence before
//     doing the recycle the site asked for;
//   - CustomAction running DaaS with -CollectKillAnalyze "Memory Dump" →
//     collect-kill with a full dump; with -CollectLogs → collect full;
//     any other custom action → log only (we cannot run arbitrary programs).
func importAction(a *ARMActions) (Action, error) {
	if a == nil || len(a.ActionType) == 0 || string(a.ActionType) == "null" {
		return Action{}, &ImportError{"autoHealRules.actions.actionType", "required"}
	}
	var kind string
	var s string
	var n int
	switch {
	case json.Unmarshal(a.ActionType, &s) == nil:
		kind = s
	case json.Unmarshal(a.ActionType, &n) == nil:
		switch n {
		case 0:
			kind = "Recycle"
		case 1:
			kind = "LogEvent"
		case 2:
			kind = "CustomAction"
		default:
			return Action{}, &ImportError{"autoHealRules.actions.actionType", fmt.Sprintf("unknown numeric action %d (want 0, 1 or 2)", n)}
		}
	default:
		return Action{}, &ImportError{"autoHealRules.actions.actionType", "neither a string nor a number"}
	}
	switch strings.ToLower(kind) {
	case "logevent":
		return Action{Kind: ActionLog}, nil
	case "recycle":
		return Action{Kind: ActionCollectKill, DumpType: "mini"}, nil
	case "customaction":
		if a.CustomAction == nil {
			return Action{}, &ImportError{"autoHealRules.actions.customAction", "required when actionType is CustomAction"}
		}
		p := strings.ToLower(a.CustomAction.Parameters)
		switch {
		case strings.Contains(p, "-collectkillanalyze"):
			return Action{Kind: ActionCollectKill, DumpType: "full"}, nil
		case strings.Contains(p, "-collectlogs"):
			return Action{Kind: ActionCollect, DumpType: "full"}, nil
		}
		return Action{Kind: ActionLog, Note: "custom action " + a.CustomAction.Exe + " is not run by dumpflow; logged only"}, nil
	}
	return Action{}, &ImportError{"autoHealRules.actions.actionType", fmt.Sprintf("unknown action %q (want Recycle, LogEvent or CustomAction)", kind)}
}
