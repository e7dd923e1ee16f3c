package sim

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestScriptedPrivateBytes(t *testing.T) {
	s := newSim(t, Config{Script: &Script{PrivateBytes: func(app, inst string, age time.Duration) int64 {
		if age <= 0 {
			t.Errorf("age %v for a process started in the past", age)
		}
		return 7 << 30
	}}})
	info := s.Info()
	r := call(t, "GET", info.Apps[0].SCMURL+"/api/processes/-1", nil)
	var d map[string]any
	if err := json.Unmarshal(r.body, &d); err != nil || r.status != 200 {
		t.Fatalf("detail: %d %s", r.status, r.body)
	}
	if d["private_memory"] != float64(7<<30) || d["working_set"] != float64(7<<30*4/5) {
		t.Fatalf("private_memory %v working_set %v, want the scripted 7 GiB", d["private_memory"], d["working_set"])
	}
	r = call(t, "GET", info.Apps[0].SCMURL+"/api/processes/0", nil)
	_ = json.Unmarshal(r.body, &d)
	if d["private_memory"] == float64(7<<30) {
		t.Fatal("the script must not apply to Kudu's own w3wp")
	}
}

func TestMetricsRoute(t *testing.T) {
	s := newSim(t, Config{Instances: 2, Script: &Script{Requests: func(app, inst string, minute time.Time) MinuteMetrics {
		return MinuteMetrics{Requests: 10, Http5xx: 3, Http2xx: 7, AvgResponseSeconds: 1.5}
	}}})
	info := s.Info()
	end := time.Date(2026, 11, 26, 12, 3, 0, 0, time.UTC)
	q := url.Values{"api-version": {"2023-10-01"}, "timespan": {end.Add(-3*time.Minute).Format(time.RFC3339) + "/" + end.Format(time.RFC3339)},
		"interval": {"PT1M"}, "metricnames": {"Requests,Http5xx,HttpResponseTime"}, "$filter": {"Instance eq '*'"}}
	r := call(t, "GET", info.ARMURL+info.Apps[0].ResourceID+"/providers/Microsoft.Insights/metrics?"+q.Encode(), nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var body struct {
		Value []struct {
			Name       struct{ Value string } `json:"name"`
			TimeSeries []struct {
				MetadataValues []struct {
					Value string `json:"value"`
				} `json:"metadatavalues"`
				Data []struct {
					TimeStamp string   `json:"timeStamp"`
					Total     *float64 `json:"total"`
					Average   *float64 `json:"average"`
				} `json:"data"`
			} `json:"timeseries"`
		} `json:"value"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Value) != 3 || body.Value[1].Name.Value != "Http5xx" || len(body.Value[1].TimeSeries) != 2 {
		t.Fatalf("metrics shape: %s", r.body)
	}
	ts := body.Value[1].TimeSeries[0]
	if !strings.HasPrefix(ts.MetadataValues[0].Value, "DW") || len(ts.Data) != 3 || *ts.Data[0].Total != 3 {
		t.Fatalf("Http5xx series: %+v", ts)
	}
	if *body.Value[2].TimeSeries[0].Data[0].Average != 1.5 {
		t.Fatal("HttpResponseTime average")
	}
	bad := call(t, "GET", info.ARMURL+info.Apps[0].ResourceID+"/providers/Microsoft.Insights/metrics?api-version=1&timespan=nope", nil)
	if bad.status != 400 {
		t.Fatalf("bad timespan: %d", bad.status)
	}
}

func TestStoppedAppAnswers403(t *testing.T) {
	s := newSim(t, Config{Apps: 2, StoppedApps: []string{"app1"}})
	info := s.Info()
	r := call(t, "GET", info.Apps[0].SCMURL+"/api/processes", nil)
	if r.status != 403 || !strings.Contains(string(r.body), "stopped") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("stopped app: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if r := call(t, "GET", info.Apps[1].SCMURL+"/api/processes", nil); r.status != 200 {
		t.Fatalf("running app: %d", r.status)
	}
	if r := call(t, "GET", info.ARMURL+info.Apps[0].ResourceID+"/instances?api-version=2024-11-01", nil); r.status != 200 {
		t.Fatalf("ARM for a stopped app: %d", r.status)
	}
}
