package alert_test

import (
	"fmt"

	"github.com/dumpflow/dumpflow/pkg/alert"
)

// An App Service metric alert in the common schema, split by instance:
// Parse detects the schema, and Events carry the instance's machine name.
func ExampleParse() {
	payload := []byte(`{"schemaId":"azureMonitorCommonAlertSchema","data":{
	  "essentials":{"alertId":"/subscriptions/s/providers/Microsoft.AlertsManagement/alerts/1","alertRule":"High memory",
	    "severity":"Sev2","monitorCondition":"Fired","firedDateTime":"2024-05-01T10:00:00.1234567Z",
	    "alertTargetIDs":["/subscriptions/s/resourcegroups/web/providers/microsoft.web/sites/shop"]},
	  "alertContext":{"condition":{"allOf":[{"metricName":"MemoryWorkingSet",
	    "dimensions":[{"name":"Instance","value":"RD0003FF1A2B3C"}]}]}}}}`)
	a, err := alert.Parse(payload)
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := a.Events()[0]
	fmt.Println(a.Source, a.Status, a.Rule, a.Severity, a.FiredAt)
	fmt.Println(ev.ResourceIDs[0], ev.MachineNames)
	// Output:
	// azure-monitor-common fired High memory Sev2 2024-05-01T10:00:00.1234567Z
	// /subscriptions/s/resourcegroups/web/providers/microsoft.web/sites/shop [RD0003FF1A2B3C]
}
