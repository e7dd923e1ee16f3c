package alert

import (
	"reflect"
	"testing"
)

func TestEventsAzureDimensions(t *testing.T) {
	a, err := Parse([]byte(`{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"/a/1","alertRule":"cpu","monitorCondition":"Fired","firedDateTime":"2020-01-01T00:00:00Z",
	"alertTargetIDs":["/subscriptions/s/resourcegroups/rg/providers/microsoft.operationalinsights/workspaces/w"]},
	"alertContext":{"condition":{"allOf":[{"dimensions":[
	  {"name":"ResourceId","value":"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Web/sites/app1"},
	  {"name":"Instance","value":"RD0001"},{"name":"Instance","value":"rd0001"},{"name":"Instance","value":"RD0002"}]}]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ev := a.Events()
	if len(ev) != 1 {
		t.Fatalf("%d events", len(ev))
	}
	wantIDs := []string{"/subscriptions/s/resourcegroups/rg/providers/microsoft.operationalinsights/workspaces/w",
		"/subscriptions/S/resourceGroups/RG/providers/Microsoft.Web/sites/app1"}
	if !reflect.DeepEqual(ev[0].ResourceIDs, wantIDs) {
		t.Errorf("ResourceIDs %q", ev[0].ResourceIDs)
	}
	if !reflect.DeepEqual(ev[0].MachineNames, []string{"RD0001", "RD0002"}) {
		t.Errorf("MachineNames %q", ev[0].MachineNames)
	}
	if got := ev[0].Key(); !reflect.DeepEqual(got, []string{SourceAzureCommon, "/a/1"}) {
		t.Errorf("Key %q", got)
	}
}

func TestEventsGrouped(t *testing.T) {
	a, err := Parse([]byte(`{"version":"4","groupKey":"g","status":"firing","commonLabels":{"severity":"warning","team":"x"},
	"alerts":[{"labels":{"alertname":"a","azure_resource_id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/w"},"startsAt":"2020-01-01T00:00:00Z"},
	          {"status":"resolved","labels":{"alertname":"b","severity":"page"},"startsAt":"2020-01-01T00:00:00Z","fingerprint":"ff"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ev := a.Events()
	if len(ev) != 2 {
		t.Fatalf("%d events", len(ev))
	}
	if ev[0].Rule != "a" || ev[0].Severity != "warning" || ev[0].Status != StatusFired || len(ev[0].ResourceIDs) != 1 {
		t.Errorf("event 0: %+v", ev[0])
	}
	if ev[1].Rule != "b" || ev[1].Severity != "page" || ev[1].Status != StatusResolved {
		t.Errorf("event 1: %+v", ev[1])
	}
	k0, k1 := ev[0].Key(), ev[1].Key()
	if reflect.DeepEqual(k0, k1) || k1[len(k1)-1] != "fp=ff" {
		t.Errorf("keys %q %q", k0, k1)
	}
}

func TestCommonPrometheusLabels(t *testing.T) {
	a, err := Parse([]byte(`{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"/a/2","alertRule":"KubePodCrashLooping",
	"severity":"Sev1","monitorCondition":"Fired","monitoringService":"Prometheus","firedDateTime":"2023-01-01T00:00:00Z","alertTargetIDs":["/subscriptions/s/resourcegroups/r/providers/microsoft.monitor/accounts/m"]},
	"alertContext":{"interval":"PT1M","expression":"x > 0","labels":{"namespace":"web","azure_resource_id":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/w"},"annotations":{"summary":"s"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	ev := a.Events()[0]
	if ev.Labels["namespace"] != "web" || len(ev.ResourceIDs) != 2 {
		t.Errorf("labels %v ids %v", ev.Labels, ev.ResourceIDs)
	}
}
