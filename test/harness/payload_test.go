package harness

import (
	"slices"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/alert"
	"github.com/dumpflow/dumpflow/pkg/policy"
)

const (
	testSub = "11111111-2222-4333-8444-555555555555"
	testApp = "/subscriptions/" + testSub + "/resourceGroups/rg/providers/Microsoft.Web/sites/shop"
)

// The generated alert is what ingest's parser reads as a fired Azure
// Monitor common-schema alert on the given apps.
func TestMetricAlertParses(t *testing.T) {
	fired := time.Date(2026, 3, 4, 5, 6, 7, 800_000_000, time.UTC)
	data, err := MetricAlert{Rule: "High memory on shop", SubscriptionID: testSub, RuleGroup: "rg-mon",
		AlertGUID: "6f1e2d3c-4b5a-4697-8877-665544332211", Targets: []string{testApp, testApp + "2"}, FiredAt: fired}.CommonSchema()
	if err != nil {
		t.Fatal(err)
	}
	a, err := alert.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if a.Source != alert.SourceAzureCommon || a.Status != alert.StatusFired || a.Rule != "High memory on shop" || a.Severity != "Sev2" {
		t.Errorf("parsed %+v", a)
	}
	if !a.FiredTime.Equal(fired) || !slices.Equal(a.ResourceIDs, []string{testApp, testApp + "2"}) {
		t.Errorf("fired %v, resource ids %v", a.FiredTime, a.ResourceIDs)
	}
	if a.AlertID != "/subscriptions/"+testSub+"/providers/Microsoft.AlertsManagement/alerts/6f1e2d3c-4b5a-4697-8877-665544332211" {
		t.Errorf("alert id %q", a.AlertID)
	}
	if _, err := (MetricAlert{Rule: "x"}).CommonSchema(); err == nil {
		t.Error("an alert without targets was generated")
	}
}

// The generated policy file loads, allows only the given subscription and
// carries the sweeps.
func TestPolicyFile(t *testing.T) {
	data, err := PolicyFile([]string{testSub}, "full", Sweep{Name: "sweep", Cron: "@every 1s", Apps: []string{testApp}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := policy.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Policies) != 1 || cfg.Policies[0].DumpType != "full" || len(cfg.Schedules) != 1 || cfg.Schedules[0].Cron != "@every 1s" {
		t.Errorf("policies %+v, schedules %+v", cfg.Policies, cfg.Schedules)
	}
	if !slices.Equal(cfg.Allow.Subscriptions, []string{testSub}) {
		t.Errorf("allow %+v", cfg.Allow)
	}
	if _, err := PolicyFile([]string{testSub}, "huge"); err == nil {
		t.Error("a policy with dump type huge was accepted")
	}
}
