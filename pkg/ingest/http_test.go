package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/ingest/ingesttest"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/policy"
)

const (
	testToken = "s3cret-webhook-token-0123"
	sub       = "11111111-1111-1111-1111-111111111111"
	appID     = "/subscriptions/" + sub + "/resourceGroups/prod-rg/providers/Microsoft.Web/sites/shop"
)

const testPolicies = `{
  "production": true,
  "allow": {"subscriptions": ["` + sub + `"]},
  "policies": [
    {"name": "memory", "match": {"rules": ["high memory*"]}, "action": "analyze", "dump_type": "full",
     "limits": {"cooldown": "30m"}},
    {"name": "everything-else", "match": {"sources": ["alertmanager"]}, "action": "collect"}
  ]
}`

// commonAlert is an App Service metric alert in the common schema, split
// by instance.
func commonAlert(alertID, rule, target, condition string) string {
	return `{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{
	"alertId":"` + alertID + `","alertRule":"` + rule + `","severity":"Sev2","signalType":"Metric",
	"monitorCondition":"` + condition + `","monitoringService":"Platform","alertTargetIDs":["` + target + `"],
	"firedDateTime":"2024-05-01T10:00:00.1234567Z","description":""},
	"alertContext":{"properties":null,"conditionType":"SingleResourceMultipleMetricCriteria","condition":{"windowSize":"PT5M",
	"allOf":[{"metricName":"MemoryWorkingSet","dimensions":[{"name":"Instance","value":"RD0003FF1A2B3C"}],"metricValue":3.2e9}]}}}}`
}

type harness struct {
	svc    *Service
	srv    *httptest.Server
	queue  *ingesttest.Queue
	bucket *ingesttest.Bucket
	now    time.Time
}

func newHarness(t *testing.T, mutate func(*Config)) *harness {
	t.Helper()
	pc, err := policy.Parse([]byte(testPolicies))
	if err != nil {
		t.Fatal(err)
	}
	auth, err := NewTokenAuth(testToken)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{queue: ingesttest.NewQueue(), bucket: ingesttest.NewBucket(), now: time.Date(2024, 5, 1, 10, 1, 0, 0, time.UTC)}
	arm := &ingesttest.ARM{Sites: []ingesttest.ARMSite{
		{ID: "/subscriptions/" + sub + "/resourceGroups/prod-rg/providers/Microsoft.Web/sites/shop", Plan: "/subscriptions/" + sub + "/resourceGroups/prod-rg/providers/Microsoft.Web/serverfarms/plan1"},
		{ID: "/subscriptions/" + sub + "/resourceGroups/prod-rg/providers/Microsoft.Web/sites/api", Plan: "/subscriptions/" + sub + "/resourceGroups/prod-rg/providers/Microsoft.Web/serverfarms/plan1", Tags: map[string]string{"env": "prod"}},
	}}
	armSrv := httptest.NewServer(arm)
	t.Cleanup(armSrv.Close)
	cfg := Config{
		Policies: pc, Queue: h.queue, Bucket: h.bucket, Auth: auth,
		Directory:     &ARMDirectory{BaseURL: armSrv.URL},
		Log:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:           func() time.Time { return h.now },
		RatePerSecond: -1,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	h.svc, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = httptest.NewServer(h.svc.Handler())
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) do(t *testing.T, method, path, contentType, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %q", method, path, data)
	}
	return resp.StatusCode, out
}

// TestRejections is the table of malformed, oversized, unauthenticated and
// out-of-allowlist requests with their exact status and message.
func TestRejections(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxBodyBytes = 4096 })
	good := commonAlert("/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/1", "High memory", appID, "Fired")
	outside := commonAlert("/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/2", "High memory",
		"/subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/other/providers/Microsoft.Web/sites/evil", "Fired")
	tok := "?token=" + testToken
	hdr := map[string]string{TokenHeader: testToken}
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		header      map[string]string
		status      int
		msg         string
	}{
		{"no token", "POST", "/v1/alerts", "application/json", good, nil, 401,
			"authentication required: send the webhook token as the token query parameter or the X-Dumpflow-Token header"},
		{"wrong token", "POST", "/v1/alerts?token=nope", "application/json", good, nil, 401, "invalid webhook token"},
		{"wrong header token", "POST", "/v1/alerts", "application/json", good, map[string]string{TokenHeader: testToken + "x"}, 401, "invalid webhook token"},
		{"status needs auth too", "GET", "/v1/incidents/20240501t100000-0123456789abcdef", "", "", nil, 401,
			"authentication required: send the webhook token as the token query parameter or the X-Dumpflow-Token header"},
		{"captures need auth", "POST", "/v1/captures", "application/json", `{"apps":["` + appID + `"]}`, nil, 401,
			"authentication required: send the webhook token as the token query parameter or the X-Dumpflow-Token header"},
		{"text content type", "POST", "/v1/alerts" + tok, "text/plain", good, nil, 415, `Content-Type "text/plain" is not application/json`},
		{"missing content type", "POST", "/v1/alerts", "", good, hdr, 415, "missing Content-Type: send application/json"},
		{"oversized", "POST", "/v1/alerts" + tok, "application/json", `{"x":"` + strings.Repeat("a", 5000) + `"}`, nil, 413, "request body larger than 4096 bytes"},
		{"empty body", "POST", "/v1/alerts" + tok, "application/json", "  ", nil, 400, "empty request body"},
		{"not json", "POST", "/v1/alerts" + tok, "application/json", "{oops", nil, 400,
			"alert: malformed payload: not JSON: invalid character 'o' looking for beginning of object key string"},
		{"trailing data", "POST", "/v1/alerts" + tok, "application/json", "{} []", nil, 400, "alert: malformed payload: trailing data after the JSON value"},
		{"unknown shape", "POST", "/v1/alerts" + tok, "application/json", `{"hello":"world"}`, nil, 422,
			"alert: payload matches no known alert schema (tried azure-monitor-common, azure-monitor-metric-legacy, azure-activity-log, azure-log-alert-legacy, azure-classic, alertmanager, grafana)"},
		{"missing field", "POST", "/v1/alerts" + tok, "application/json", `{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{"alertId":"a","monitorCondition":"Fired"}}}`, nil, 422,
			"alert: azure-monitor-common payload: field data.essentials.firedDateTime: required"},
		{"unknown source", "POST", "/v1/alerts/nagios" + tok, "application/json", good, nil, 404,
			`alert: unknown source "nagios" (known: alertmanager, azure-activity-log, azure-classic, azure-log-alert-legacy, azure-monitor-common, azure-monitor-metric-legacy, grafana)`},
		{"wrong explicit source", "POST", "/v1/alerts/alertmanager" + tok, "application/json", good, nil, 422,
			"alert: alertmanager payload: field alerts: required (at least one alert)"},
		{"outside allowlist", "POST", "/v1/alerts" + tok, "application/json", outside, nil, 403,
			"target /subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/other/providers/Microsoft.Web/sites/evil is outside the allowlist (subscription 99999999-0000-0000-0000-000000000000, resource group other)"},
		{"capture outside allowlist", "POST", "/v1/captures" + tok, "application/json",
			`{"resource_groups":["/subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/other"]}`, nil, 403,
			"target /subscriptions/99999999-0000-0000-0000-000000000000/resourceGroups/other is outside the allowlist (subscription 99999999-0000-0000-0000-000000000000, resource group other)"},
		{"capture unknown field", "POST", "/v1/captures" + tok, "application/json", `{"apps":["` + appID + `"],"kill":true}`, nil, 400,
			`bad request: invalid JSON: json: unknown field "kill"`},
		{"capture no targets", "POST", "/v1/captures" + tok, "application/json", `{"action":"collect"}`, nil, 400,
			"bad request: name at least one of apps, plans, resource_groups or tags"},
		{"capture bad action", "POST", "/v1/captures" + tok, "application/json", `{"apps":["` + appID + `"],"action":"reboot"}`, nil, 400,
			`bad request: action: unknown action "reboot" (want collect, analyze, collect-kill, collect-kill-analyze or ignore)`},
		{"capture not an app", "POST", "/v1/captures" + tok, "application/json",
			`{"apps":["/subscriptions/` + sub + `/resourceGroups/prod-rg/providers/Microsoft.Compute/virtualMachines/vm1"]}`, nil, 422,
			"ingest: no App Service app among the targets: /subscriptions/" + sub + "/resourceGroups/prod-rg/providers/Microsoft.Compute/virtualMachines/vm1 is a Microsoft.Compute/virtualMachines, not an App Service app, plan or resource group"},
		{"bad incident id", "GET", "/v1/incidents/..%2Fsecrets" + tok, "", "", nil, 400, `invalid incident id "../secrets"`},
		{"wrong method", "GET", "/v1/alerts" + tok, "", "", nil, 405, "method GET not allowed on /v1/alerts (use POST)"},
		{"unknown path", "POST", "/v2/alerts" + tok, "application/json", good, nil, 404, "no such endpoint /v2/alerts"},
		{"unknown incident", "GET", "/v1/incidents/20240501t100000-0123456789abcdef" + tok, "", "", nil, 404, "incident 20240501t100000-0123456789abcdef not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := h.do(t, tt.method, tt.path, tt.contentType, tt.body, tt.header)
			if status != tt.status || body["error"] != tt.msg {
				t.Errorf("got %d %q\nwant %d %q", status, body["error"], tt.status, tt.msg)
			}
		})
	}
	if n := len(h.queue.Messages()); n != 0 {
		t.Errorf("%d jobs sent by rejected requests", n)
	}
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RatePerSecond, c.RateBurst = 1, 2 })
	for i, want := range []int{401, 401, 429} {
		status, body := h.do(t, "POST", "/v1/alerts", "application/json", "{}", nil)
		if status != want {
			t.Fatalf("request %d: %d %v, want %d", i, status, body, want)
		}
		if status == 429 && body["error"] != "rate limit exceeded for this client; retry later" {
			t.Errorf("429 message %q", body["error"])
		}
	}
	h.now = h.now.Add(time.Second)
	if status, _ := h.do(t, "POST", "/v1/alerts", "application/json", "{}", nil); status != 401 {
		t.Errorf("after refill: %d", status)
	}
}

func TestAlertAcceptedDedupedAndStatus(t *testing.T) {
	h := newHarness(t, nil)
	body := commonAlert("/subscriptions/"+sub+"/providers/Microsoft.AlertsManagement/alerts/aaa", "High memory w3wp",
		strings.ToLower(appID), "Fired")
	status, first := h.do(t, "POST", "/v1/alerts", "application/json", body, map[string]string{TokenHeader: testToken})
	if status != 202 || first["status"] != "accepted" {
		t.Fatalf("first post: %d %v", status, first)
	}
	id, _ := first["incident_id"].(string)
	if !strings.HasPrefix(id, "20240501t100000-") || first["status_url"] != "/v1/incidents/"+id {
		t.Fatalf("incident id %q, status url %v", id, first["status_url"])
	}
	// Azure retries the webhook: same incident, no second job, no cooldown refusal.
	h.now = h.now.Add(time.Minute)
	status, second := h.do(t, "POST", "/v1/alerts/azure-monitor-common?token="+testToken, "application/json", body, nil)
	if status != 202 || second["incident_id"] != id {
		t.Fatalf("retry: %d %v", status, second)
	}
	if inc := second["incidents"].([]any)[0].(map[string]any); inc["duplicate"] != true {
		t.Errorf("retry not marked duplicate: %v", inc)
	}
	msgs := h.queue.Messages()
	if len(msgs) != 1 || h.queue.Dropped != 1 {
		t.Fatalf("%d jobs sent, %d dropped; want 1 and 1", len(msgs), h.queue.Dropped)
	}
	env, err := messages.Decode(msgs[0].Body)
	if err != nil {
		t.Fatal(err)
	}
	job := env.Payload.(*messages.CaptureJob)
	if msgs[0].ID != "job:"+id+".shop" || msgs[0].Properties["type"] != messages.TypeCaptureJob || msgs[0].Properties["traceparent"] != env.TraceParent {
		t.Errorf("message %q %v", msgs[0].ID, msgs[0].Properties)
	}
	if job.Site.Name != "shop" || job.Site.ResourceGroup != "prod-rg" || job.Action.DumpType != "full" || !job.Action.Analyze ||
		len(job.Selector.MachineNames) != 1 || job.Selector.MachineNames[0] != "RD0003FF1A2B3C" || job.Trigger.Kind != "alert" {
		t.Errorf("job %+v", job)
	}
	// A new firing of the same rule within the cooldown is suppressed.
	other := commonAlert("/subscriptions/"+sub+"/providers/Microsoft.AlertsManagement/alerts/bbb", "High memory w3wp", appID, "Fired")
	status, third := h.do(t, "POST", "/v1/alerts", "application/json", other, map[string]string{TokenHeader: testToken})
	if status != 200 || third["status"] != "ignored" || !strings.HasPrefix(third["reason"].(string), "limits: shop: cooldown") {
		t.Errorf("within cooldown: %d %v", status, third)
	}
	// Resolved alerts never capture.
	resolved := commonAlert("/subscriptions/"+sub+"/providers/Microsoft.AlertsManagement/alerts/aaa", "High memory w3wp", appID, "Resolved")
	status, fourth := h.do(t, "POST", "/v1/alerts", "application/json", resolved, map[string]string{TokenHeader: testToken})
	if status != 200 || fourth["reason"] != "resolved alerts never capture" {
		t.Errorf("resolved: %d %v", status, fourth)
	}

	// Status: manifest, one finished job, its dump and the report.
	done := &messages.JobCompleted{IncidentID: id, JobID: job.JobID, Site: job.Site, StartedAt: h.now, FinishedAt: h.now,
		Instances: []string{"i1"}, Targets: []messages.TargetResult{{Instance: "i1", PID: 42, Process: "w3wp", Outcome: messages.OutcomeCaptured, DumpKey: "dumps/x.dmp"}}}
	data, _ := json.Marshal(done)
	h.bucket.Put(layout.JobKey(id, job.Site.Segment()), data)
	h.bucket.Put(layout.ReportKey(id, "html"), []byte("<html>"))
	status, st := h.do(t, "GET", "/v1/incidents/"+id+"?token="+testToken, "", "", nil)
	if status != 200 || st["jobs_expected"] != 1.0 || st["jobs_done"] != 1.0 || st["complete"] != true {
		t.Fatalf("status: %d %v", status, st)
	}
	if d := st["dumps"].([]any)[0].(map[string]any); d["link"] != "dumps/x.dmp" || d["pid"] != 42.0 {
		t.Errorf("dumps %v", st["dumps"])
	}
	if r := st["report"].(map[string]any); r["html"] != layout.ReportKey(id, "html") {
		t.Errorf("report %v", r)
	}
}

func TestGroupedAlertAndCaptures(t *testing.T) {
	h := newHarness(t, nil)
	am := `{"version":"4","groupKey":"{}:{alertname=\"Hang\"}","status":"firing","commonLabels":{"alertname":"Hang"},
	"alerts":[{"status":"firing","labels":{"alertname":"Hang","azure_resource_id":"` + appID + `"},"startsAt":"2024-05-01T09:59:00Z","fingerprint":"f1"},
	          {"status":"resolved","labels":{"alertname":"Hang","azure_resource_id":"` + appID + `"},"startsAt":"2024-05-01T09:00:00Z","fingerprint":"f2"}]}`
	status, out := h.do(t, "POST", "/v1/alerts?token="+testToken, "application/json", am, nil)
	if status != 202 || len(out["incidents"].([]any)) != 1 {
		t.Fatalf("alertmanager: %d %v", status, out)
	}
	// Bulk capture through a plan (expanded by the ARM double), with a request id.
	req := `{"plans":["/subscriptions/` + sub + `/resourceGroups/prod-rg/providers/Microsoft.Web/serverfarms/PLAN1"],
	"action":"collect-kill","dump_type":"mini","selector":{"names":["dotnet"]},"request_id":"ticket-42"}`
	status, out = h.do(t, "POST", "/v1/captures", "application/json", req, map[string]string{TokenHeader: testToken})
	if status != 202 || out["jobs"] != 2.0 {
		t.Fatalf("capture: %d %v", status, out)
	}
	status, again := h.do(t, "POST", "/v1/captures", "application/json", req, map[string]string{TokenHeader: testToken})
	if status != 202 || again["incident_id"] != out["incident_id"] || again["duplicate"] != true {
		t.Fatalf("repeated request id: %d %v", status, again)
	}
	if n := len(h.queue.Messages()); n != 3 {
		t.Errorf("%d jobs, want 3", n)
	}
	m, err := h.svc.readManifest(context.Background(), out["incident_id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Action.Kill || m.Trigger.Kind != "manual" || !strings.Contains(m.Trigger.Reason, "via plan /subscriptions/") {
		t.Errorf("manifest %+v", m)
	}
}

// TestConcurrentDuplicatesAndStorageFailure: the same alert posted by
// several clients at once makes one incident and one job; a storage
// failure is a 503 the sender retries.
func TestConcurrentDuplicatesAndStorageFailure(t *testing.T) {
	h := newHarness(t, nil)
	body := commonAlert("/subscriptions/"+sub+"/providers/Microsoft.AlertsManagement/alerts/ccc", "High memory", appID, "Fired")
	ids := make(chan any, 8)
	for range 8 {
		go func() {
			_, out := h.do(t, "POST", "/v1/alerts?token="+testToken, "application/json", body, nil)
			ids <- out["incident_id"]
		}()
	}
	first := <-ids
	for range 7 {
		if id := <-ids; id != first || id == nil {
			t.Fatalf("incident ids differ: %v %v", first, id)
		}
	}
	if n := len(h.queue.Messages()); n != 1 {
		t.Fatalf("%d jobs, want 1", n)
	}

	h2 := newHarness(t, func(c *Config) { c.State = policy.NewMemStore() })
	h2.bucket.Fail = errors.New("disk on fire")
	status, out := h2.do(t, "POST", "/v1/alerts?token="+testToken, "application/json", body, nil)
	if status != 503 || !strings.HasPrefix(out["error"].(string), "ingest: storage or queue unavailable: write manifest") {
		t.Fatalf("storage failure: %d %v", status, out)
	}
}

func TestDryRun(t *testing.T) {
	h := newHarness(t, nil)
	body := commonAlert("/subscriptions/"+sub+"/providers/Microsoft.AlertsManagement/alerts/dry", "High memory", appID, "Fired")
	status, out := h.do(t, "POST", "/v1/alerts?dry_run=true&token="+testToken, "application/json", body, nil)
	if status != 200 || out["status"] != "dry_run" {
		t.Fatalf("dry run: %d %v", status, out)
	}
	ev := out["events"].([]any)[0].(map[string]any)
	if ev["outcome"] != "accepted" || ev["decision"].(map[string]any)["policy"] != "memory" {
		t.Errorf("event %v", ev)
	}
	if len(h.queue.Messages()) != 0 || len(h.bucket.Keys()) != 0 {
		t.Fatalf("dry run wrote %v and sent %d jobs", h.bucket.Keys(), len(h.queue.Messages()))
	}
	if status, out := h.do(t, "POST", "/v1/alerts?dry_run=maybe&token="+testToken, "application/json", body, nil); status != 400 || out["error"] != `dry_run="maybe" is not a boolean` {
		t.Errorf("bad dry_run: %d %v", status, out)
	}
	// The real post afterwards is not refused by the dry run.
	if status, _ := h.do(t, "POST", "/v1/alerts?token="+testToken, "application/json", body, nil); status != 202 {
		t.Errorf("real post after dry run: %d", status)
	}
}
