package alert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchCommon is a fired App Service metric alert in the common schema,
// the shape test/bench/ingest posts; it needs no shared data.
const benchCommon = `{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{
"alertId":"/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/00000042-0000-0000-0000-000000000000",
"alertRule":"High memory","severity":"Sev2","signalType":"Metric","monitorCondition":"Fired","monitoringService":"Platform",
"alertTargetIDs":["/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/prod/providers/microsoft.web/sites/app42"],
"firedDateTime":"2024-05-01T10:00:00.1234567Z","description":""},
"alertContext":{"properties":null,"conditionType":"SingleResourceMultipleMetricCriteria","condition":{"windowSize":"PT5M",
"allOf":[{"metricName":"MemoryWorkingSet","operator":"GreaterThan","threshold":"3000000000","dimensions":[{"name":"Instance","value":"RD0003FF1A2B3C"}],"metricValue":3.2e9}]}}}}`

// BenchmarkParse measures Parse (detection included) on the ingest
// benchmark's payload and on every shared fixture, one sub-benchmark per
// fixture named source/file.
func BenchmarkParse(b *testing.B) {
	b.Run("bench-common", func(b *testing.B) { benchParse(b, []byte(benchCommon)) })
	for _, path := range fixtures(b) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(path)) + "/" + strings.TrimSuffix(filepath.Base(path), ".json")
		b.Run(name, func(b *testing.B) { benchParse(b, data) })
	}
}

func benchParse(b *testing.B, data []byte) {
	if _, err := Parse(data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
