package alert

import (
	"encoding/json"
	"strings"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Condition is one criterion that made an alert fire, as the payload
// states it: the metric (or log query), the comparison, the threshold and
// the value observed over the window — what a person reading the incident
// report checks first. It is the incident's own type, so an alert's
// conditions go into the incident as they are.
type Condition = messages.Condition

// azureCriterion is one Azure criterion: common schema allOf[] (metric
// and log V2) and the legacy metric/classic condition.
type azureCriterion struct {
	MetricName      flexString  `json:"metricName"`
	MetricNamespace flexString  `json:"metricNamespace"`
	SearchQuery     flexString  `json:"searchQuery"`
	Operator        flexString  `json:"operator"`
	Threshold       flexString  `json:"threshold"`
	TimeAggregation flexString  `json:"timeAggregation"`
	MetricValue     flexString  `json:"metricValue"`
	WindowSize      flexString  `json:"windowSize"`
	LinkUI          flexString  `json:"linkToSearchResultsUI"`
	LinkFilteredUI  flexString  `json:"linkToFilteredSearchResultsUI"`
	Dimensions      []dimension `json:"dimensions"`
}

func (c azureCriterion) condition(window, start, end string) Condition {
	w := string(c.WindowSize)
	if w == "" {
		w = window
	}
	return Condition{Metric: string(c.MetricName), Namespace: string(c.MetricNamespace), Query: string(c.SearchQuery),
		Operator: string(c.Operator), Threshold: string(c.Threshold), Observed: string(c.MetricValue),
		Aggregation: string(c.TimeAggregation), Window: w, WindowStart: start, WindowEnd: end}
}

// azureCondition is the condition object of the common schema's
// alertContext and of the legacy schemas' context.
type azureCondition struct {
	WindowSize      flexString       `json:"windowSize"`
	WindowStartTime flexString       `json:"windowStartTime"`
	WindowEndTime   flexString       `json:"windowEndTime"`
	AllOf           []azureCriterion `json:"allOf"`
	// Classic metric alerts put one criterion in the condition itself.
	azureCriterion
}

// conditions returns the criteria and the links they carry.
func (c *azureCondition) conditions(links map[string]string) []Condition {
	if c == nil {
		return nil
	}
	var out []Condition
	start, end, w := string(c.WindowStartTime), string(c.WindowEndTime), string(c.WindowSize)
	crits := c.AllOf
	if len(crits) == 0 && (c.MetricName != "" || c.SearchQuery != "" || c.Threshold != "") {
		crits = []azureCriterion{c.azureCriterion}
	}
	for _, cr := range crits {
		if cond := cr.condition(w, start, end); cond != (Condition{}) {
			out = append(out, cond)
		}
		putLink(links, "search_results", string(cr.LinkUI))
		putLink(links, "filtered_search_results", string(cr.LinkFilteredUI))
	}
	return out
}

// logV1Context is the log alert V1 context (in the common schema and the
// legacy log schema): PascalCase members, matched case-insensitively.
type logV1Context struct {
	SearchQuery             flexString `json:"searchQuery"`
	Threshold               flexString `json:"threshold"`
	Operator                flexString `json:"operator"`
	ResultCount             flexString `json:"resultCount"`
	SearchIntervalInMinutes flexString `json:"searchIntervalInMinutes"`
	SearchIntervalStartTime flexString `json:"searchIntervalStartTimeUtc"`
	SearchIntervalEndTime   flexString `json:"searchIntervalEndtimeUtc"`
	LinkToSearchResults     flexString `json:"linkToSearchResults"`
}

func (c *logV1Context) condition(links map[string]string) []Condition {
	if c == nil || (c.SearchQuery == "" && c.Threshold == "") {
		return nil
	}
	putLink(links, "search_results", string(c.LinkToSearchResults))
	w := ""
	if c.SearchIntervalInMinutes != "" {
		w = string(c.SearchIntervalInMinutes) + " min"
	}
	return []Condition{{Query: string(c.SearchQuery), Operator: string(c.Operator), Threshold: string(c.Threshold),
		Observed: string(c.ResultCount), Window: w, WindowStart: string(c.SearchIntervalStartTime), WindowEnd: string(c.SearchIntervalEndTime)}}
}

// putLink keeps an http(s) link under name, first one wins.
func putLink(links map[string]string, name, u string) {
	u = strings.TrimSpace(u)
	if links == nil || u == "" || links[name] != "" {
		return
	}
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		links[name] = u
	}
}

// decodeCondition reads a condition from raw JSON, ignoring what does not
// fit: conditions only add to an alert, they never fail it.
func decodeCondition(raw json.RawMessage) *azureCondition {
	if len(raw) == 0 {
		return nil
	}
	var c azureCondition
	if json.Unmarshal(raw, &c) != nil {
		return nil
	}
	return &c
}
