package alert

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// seed adds every fixture of the given directory (all fixtures when dir is
// "") plus a few hand-made edge cases to f's corpus.
func seed(f *testing.F, dir string) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"x","monitorCondition":"Fired","firedDateTime":"3/22/2019 1:36:31 PM"}}}`))
	f.Add([]byte(`{"version":"4","status":"firing","alerts":[{"startsAt":"2018-03-07T06:33:21Z"}]}`))
	f.Add([]byte(`{"status":"Resolved","context":{"id":"i","timestamp":"2015-08-14T22:26:41Z"}}`))
	if _, err := os.Stat(fixturesDir); err != nil {
		return // the hand-made seeds still run
	}
	for _, p := range fixtures(f) {
		if dir != "" && filepath.Base(filepath.Dir(p)) != dir {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkParsed asserts the invariants of every successful parse.
func checkParsed(t *testing.T, a *Alert, err error) {
	if err != nil {
		if a != nil {
			t.Fatalf("non-nil alert with error %v", err)
		}
		return
	}
	if a.Status != StatusFired && a.Status != StatusResolved {
		t.Fatalf("status %q", a.Status)
	}
	if _, ok := parsers[a.Source]; !ok {
		t.Fatalf("source %q", a.Source)
	}
	if a.ResourceIDs == nil {
		t.Fatal("nil ResourceIDs")
	}
	if _, err := json.Marshal(a); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	for _, e := range a.Alerts {
		if e.Status != StatusFired && e.Status != StatusResolved {
			t.Fatalf("entry status %q", e.Status)
		}
	}
}

func fuzzSource(f *testing.F, dir, source string) {
	seed(f, dir)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAs(source, data)
		checkParsed(t, a, err)
		if err == nil && a.Source != source {
			t.Fatalf("ParseAs(%q) gave source %q", source, a.Source)
		}
	})
}

func FuzzParse(f *testing.F) {
	seed(f, "")
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data)
		checkParsed(t, a, err)
	})
}

func FuzzAzureCommon(f *testing.F)  { fuzzSource(f, "azure-common", SourceAzureCommon) }
func FuzzMetricLegacy(f *testing.F) { fuzzSource(f, "azure-metric-legacy", SourceAzureMetricLegacy) }
func FuzzActivityLog(f *testing.F)  { fuzzSource(f, "azure-activitylog", SourceAzureActivityLog) }
func FuzzClassic(f *testing.F)      { fuzzSource(f, "azure-classic", SourceAzureClassic) }
func FuzzLogLegacy(f *testing.F)    { fuzzSource(f, "azure-log-legacy", SourceAzureLogLegacy) }
func FuzzAlertmanager(f *testing.F) { fuzzSource(f, "alertmanager", SourceAlertmanager) }
func FuzzGrafana(f *testing.F)      { fuzzSource(f, "grafana", SourceGrafana) }
