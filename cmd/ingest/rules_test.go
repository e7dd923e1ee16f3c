package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

const autoHealRules = `{"triggers":{"privateBytesInKB":3000000,
  "statusCodesRange":[{"statusCodes":"500-599","path":"","count":50,"timeInterval":"00:05:00"}]},
  "actions":{"actionType":"Recycle","minProcessExecutionTime":"00:10:00"}}`

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRulesCheck(t *testing.T) {
	good := writeFile(t, "rules.json", `{"rules":[{"name":"leak","sites":["/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a"],
		"triggers":{"privateBytesInKB":1000,"requests":{"count":10,"timeInterval":"0.00:01:00"}},"action":{"kind":"collect","dump_type":"full"}}]}`)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"rules", "check", good}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	var f struct {
		Rules []struct {
			Triggers struct {
				Requests struct{ TimeInterval string } `json:"requests"`
			} `json:"triggers"`
			Limits struct{ Cooldown string } `json:"limits"`
		} `json:"rules"`
	}
	if err := json.Unmarshal(out.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	if f.Rules[0].Triggers.Requests.TimeInterval != "00:01:00" || f.Rules[0].Limits.Cooldown != "00:10:00" {
		t.Fatalf("not normalized: %s", out.String())
	}
	bad := writeFile(t, "bad.json", `{"rules":[{"name":"x","triggers":{"statusCodes":[{"status":999,"count":1,"timeInterval":"00:01:00"}]},"action":{"kind":"log"}}]}`)
	err := run(context.Background(), []string{"rules", "check", bad}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "triggers.statusCodes[0].status") || !strings.Contains(err.Error(), "999") {
		t.Fatalf("bad rules: %v, want an error naming the field and value", err)
	}
}

func TestRulesImport(t *testing.T) {
	var out bytes.Buffer
	f := writeFile(t, "contoso.json", `{"properties":{"autoHealEnabled":true,"autoHealRules":`+autoHealRules+`}}`)
	if err := run(context.Background(), []string{"rules", "import", "--file", f}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"name": "contoso"`) || !strings.Contains(out.String(), `"kind": "collect-kill"`) {
		t.Fatalf("import --file: %s", out.String())
	}
	site := "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/contoso"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != site+"/config/web" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"name":"web","properties":{"alwaysOn":true,"autoHealEnabled":false,"autoHealRules":` + autoHealRules + `}}`))
	}))
	defer srv.Close()
	out.Reset()
	var errOut bytes.Buffer
	if err := run(context.Background(), []string{"rules", "import", "--site", site, "--arm-url", srv.URL, "--arm-auth=false"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), site) || !strings.Contains(out.String(), `"enabled": false`) || !strings.Contains(errOut.String(), "autoHealEnabled=false") {
		t.Fatalf("import --site: %s / %s", out.String(), errOut.String())
	}
	if err := run(context.Background(), []string{"rules", "import"}, &out, &out); !errors.Is(err, errUsage) {
		t.Fatalf("import without source: %v", err)
	}
	bad := writeFile(t, "bad.json", `{"triggers":{"requests":{"count":5,"timeInterval":"PT5M"}},"actions":{"actionType":"Recycle"}}`)
	if err := run(context.Background(), []string{"rules", "import", "--file", bad}, &out, &out); err == nil || !strings.Contains(err.Error(), "PT5M") {
		t.Fatalf("impossible rule imported: %v", err)
	}
}

// TestServeRulesCreateIncident runs ingest serve with a rules file against
// the simulator: the leaking w3wp crosses the rule's threshold and ingest
// writes one incident with one job for that instance and pid.
func TestServeRulesCreateIncident(t *testing.T) {
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 1, Script: &sim.Script{PrivateBytes: func(string, string, time.Duration) int64 { return 5 << 30 }}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	info := srv.Info()
	app := info.Apps[0]
	found := serveUntilIncident(t, info, `{"rules":[{"name":"leak","sites":["`+app.ResourceID+`"],"triggers":{"privateBytesInKB":4194304},
		"action":{"kind":"collect","dump_type":"full"}}]}`, 20*time.Second, "--rules-memory-poll", "50ms", "--rules-evaluate", "50ms")
	if len(found) != 1 {
		t.Fatalf("%d incidents, want 1", len(found))
	}
	m := found[0].m
	if m.Trigger.Kind != "rule" || m.Trigger.Rule != "leak" || len(m.Jobs) != 1 || len(m.Selector.PIDs) != 1 ||
		layout.ManifestKey(m.IncidentID) != found[0].key {
		t.Fatalf("manifest %+v", m)
	}
}

// TestRulesCheckCPU: a CPU rule is printed with its defaults, and one
// beyond DaaS's limits is refused naming the rule and the field.
func TestRulesCheckCPU(t *testing.T) {
	good := writeFile(t, "cpu.json", `{"rules":[{"name":"slow-api","triggers":{"slowRequestsWithPath":[{"timeTaken":"00:00:10","path":"/api/*","count":5,"timeInterval":"00:01:00"}]},"action":{"kind":"log"}}],
		"cpuRules":[{"name":"hot","sites":["/s"],"mode":"Collect","cpuThreshold":50,"thresholdSeconds":15,"monitorDuration":5}]}`)
	var out, notes bytes.Buffer
	if err := run(context.Background(), []string{"rules", "check", good}, &out, &notes); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(notes.String(), "rule hot: cpu from CPU watch") ||
		!strings.Contains(notes.String(), "rule slow-api: slowRequestsWithPath[0] otherwise from Azure Monitor metrics") || !strings.Contains(notes.String(), "never fires") {
		t.Fatalf("sources not reported on stderr:\n%s", notes.String())
	}
	if !strings.Contains(out.String(), `"dump_type": "full"`) || !strings.Contains(out.String(), `"maximumNumberOfHours": 168`) {
		t.Fatalf("defaults not shown: %s", out.String())
	}
	bad := writeFile(t, "cpubad.json", `{"rules":[],"cpuRules":[{"name":"hot","sites":["/s"],"mode":"Collect","cpuThreshold":50,"thresholdSeconds":15,"monitorDuration":5,"maxActions":21}]}`)
	err := run(context.Background(), []string{"rules", "check", bad}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "cpuRules[0] (hot)") || !strings.Contains(err.Error(), "maxActions") || !strings.Contains(err.Error(), "20") {
		t.Fatalf("bad cpu rule: %v, want an error naming the rule, the field and the limit", err)
	}
}

// TestServeCPURuleCreatesIncident runs ingest serve with a CPU rule
// against the simulator, whose app w3wp spins at 95 %: after the baseline
// and three samples 5 s apart (DaaS's minimum interval and run), ingest
// writes one incident for that pid. It waits in real time (about 20 s), as
// DaaS's limits forbid a faster rule.
func TestServeCPURuleCreatesIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a 15 s CPU run in real time")
	}
	const cores = 2
	t0 := time.Now()
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 1, Cores: cores, Script: &sim.Script{
		CPUTime: func(app, inst string, pid int, name string) (time.Duration, bool) {
			if name != "w3wp" {
				return 0, false
			}
			return time.Duration(0.95 * cores * float64(time.Since(t0))), true
		}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	info := srv.Info()
	app := info.Apps[0]
	// Both w3wps spin in the script; Kudu's own is never a target, so the
	// one incident is the app's.
	found := serveUntilIncident(t, info, `{"rules":[],"cpuRules":[{"name":"hot","sites":["`+app.ResourceID+`"],
		"mode":"Collect","cpuThreshold":80,"thresholdSeconds":15,"monitorDuration":5,"maxActions":1,"processesToMonitor":["w3wp"]}]}`,
		90*time.Second, "--schedules=false")
	if len(found) == 0 {
		t.Fatal("no incident from the CPU rule within 90 s")
	}
	m := found[0].m
	if m.Trigger.Rule != "hot" || m.Trigger.Kind != "rule" || len(m.Selector.PIDs) != 1 || m.Action.Analyze || m.Action.Kill {
		t.Fatalf("manifest %+v", m)
	}
	if !strings.Contains(m.Trigger.Reason, "w3wp") || !strings.Contains(m.Trigger.Reason, "thresholdSeconds 15") {
		t.Fatalf("reason %q", m.Trigger.Reason)
	}
	// Three intervals of 5 s, each jittered by at most -10 %.
	if took := time.Since(t0); took < 13500*time.Millisecond {
		t.Fatalf("acted after %v, before a 15 s run could be observed", took)
	}
}

// TestConfigErrorsSayWhere: a JSON mistake in a rules or policy file is
// reported with its line and column.
func TestConfigErrorsSayWhere(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "rules.json")
	if err := os.WriteFile(bad, []byte("{\n  \"rules\": [\n    {\"name\": \"x\", \"enabeld\": true}\n  ]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"rules", "check", bad}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "line 3, column") || !strings.Contains(err.Error(), "enabeld") {
		t.Fatalf("rules check: %v", err)
	}
	pol := filepath.Join(dir, "policies.json")
	if err := os.WriteFile(pol, []byte("{\n  \"production\": true,\n  \"allow\": {\"subscriptions\": [\"s\"]}\n  \"policies\": []\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	alert := filepath.Join(dir, "alert.json")
	if err := os.WriteFile(alert, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"plan", "--config", pol, alert}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "line 4, column 3") {
		t.Fatalf("plan with a bad policy file: %v", err)
	}
}
