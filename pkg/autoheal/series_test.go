package autoheal

import (
	"errors"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

func TestRuleSeriesReachesTheCapture(t *testing.T) {
	f, err := ParseFile([]byte(`{"rules":[{"name":"hang","triggers":{"privateBytesInKB":1000},
		"action":{"kind":"collect-kill","dump_type":"full","series":{"count":3,"interval_seconds":10}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	fr := Firing{Rule: "hang", Action: f.Rules[0].Action, At: time.Now()}
	_, a, _, ok := fr.Capture()
	if !ok || a.Series == nil || *a.Series != (messages.Series{Count: 3, IntervalSeconds: 10}) || !a.Kill {
		t.Fatalf("capture %+v (series %+v), want 3 full dumps 10 s apart, then kill", a, a.Series)
	}
}

func TestRuleSeriesBoundsNameTheField(t *testing.T) {
	for _, tc := range []struct{ action, field string }{
		{`{"kind":"collect","dump_type":"mini","series":{"count":11,"interval_seconds":10}}`, "action.series.count"},
		{`{"kind":"collect","dump_type":"mini","series":{"count":3}}`, "action.series.interval_seconds"},
		{`{"kind":"collect","dump_type":"mini","series":{"count":3,"interval_seconds":601}}`, "action.series.interval_seconds"},
		{`{"kind":"log","series":{"count":3,"interval_seconds":10}}`, "action.series"},
	} {
		_, err := ParseFile([]byte(`{"rules":[{"name":"a","triggers":{"privateBytesInKB":1},"action":` + tc.action + `}]}`))
		var ie *ImportError
		if !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("%s: %v, want an error naming %s", tc.action, err, tc.field)
		}
	}
}

func TestCPURuleSeries(t *testing.T) {
	base := `"name":"hot","sites":["/s"],"cpuThreshold":80,"thresholdSeconds":30,"monitorDuration":10`
	f, err := ParseFile([]byte(`{"rules":[],"cpuRules":[{` + base + `,"mode":"CollectAndKill","series":{"count":3,"interval_seconds":10}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := f.CPURules[0].Action(); a.Series == nil || a.Series.Count != 3 {
		t.Fatalf("action %+v, want the series", a)
	}
	for _, tc := range []struct{ rule, field string }{
		{`"mode":"Kill","series":{"count":3,"interval_seconds":10}`, "series"},
		{`"mode":"Collect","series":{"count":0,"interval_seconds":10}`, "series.count"},
	} {
		_, err := ParseFile([]byte(`{"rules":[],"cpuRules":[{` + base + `,` + tc.rule + `}]}`))
		var ie *ImportError
		if !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("%s: %v, want an error naming %s", tc.rule, err, tc.field)
		}
	}
}
