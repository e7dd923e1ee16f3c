package alert

import (
	"testing"
)

// TestConditionKept: the metric, value, threshold and window of the
// alert that fired reach the normalized alert (and so the report).
func TestConditionKept(t *testing.T) {
	payload := `{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{
	 "alertId":"/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/1","alertRule":"High memory",
	 "severity":"Sev2","signalType":"Metric","monitorCondition":"Fired","monitoringService":"Platform",
	 "alertTargetIDs":["/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/shop"],
	 "firedDateTime":"2026-12-01T10:00:00Z","description":"Working set above 1.5 GB"},
	 "alertContext":{"conditionType":"SingleResourceMultipleMetricCriteria","condition":{"windowSize":"PT5M",
	  "windowStartTime":"2026-12-01T09:55:00Z","windowEndTime":"2026-12-01T10:00:00Z",
	  "allOf":[{"metricName":"MemoryWorkingSet","metricNamespace":"Microsoft.Web/sites","operator":"GreaterThan",
	   "threshold":"1500000000","timeAggregation":"Average","dimensions":[],"metricValue":1.83e9}]}}}}`
	a, err := Parse([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	want := Condition{Metric: "MemoryWorkingSet", Namespace: "Microsoft.Web/sites", Operator: "GreaterThan", Threshold: "1500000000",
		Observed: "1.83e9", Aggregation: "Average", Window: "PT5M", WindowStart: "2026-12-01T09:55:00Z", WindowEnd: "2026-12-01T10:00:00Z"}
	if len(a.Conditions) != 1 || a.Conditions[0] != want {
		t.Fatalf("conditions %+v, want %+v", a.Conditions, want)
	}
	if a.Description != "Working set above 1.5 GB" {
		t.Errorf("description %q", a.Description)
	}
}

func TestConditionLinksOnlyHTTP(t *testing.T) {
	links := map[string]string{}
	putLink(links, "a", "javascript:alert(1)")
	putLink(links, "b", " https://portal.azure.com/x ")
	putLink(links, "b", "https://other")
	if len(links) != 1 || links["b"] != "https://portal.azure.com/x" {
		t.Fatalf("links %v", links)
	}
}
