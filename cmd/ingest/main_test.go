package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const fixturesDir = "../../../shared/fixtures/alerts"

func needFixtures(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(fixturesDir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared alert fixtures missing at %s: %v", fixturesDir, err)
		}
		t.Skipf("shared alert fixtures not found at %s; skipping", fixturesDir)
	}
}

// TestParseCommand runs `ingest parse` on every fixture and compares the
// expected keys (the command-line contract).
func TestParseCommand(t *testing.T) {
	needFixtures(t)
	files, _ := filepath.Glob(filepath.Join(fixturesDir, "*", "*.json"))
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".expected.json") {
			continue
		}
		n++
		var out bytes.Buffer
		if err := run(context.Background(), []string{"parse", f}, &out, &bytes.Buffer{}); err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		var got, want map[string]any
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".expected.json")
		if err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(raw, &want)
		for _, k := range []string{"source", "status", "rule", "severity", "alert_id", "fired_at", "resource_ids"} {
			if !reflect.DeepEqual(got[k], want[k]) {
				t.Errorf("%s: %s = %#v, want %#v", f, k, got[k], want[k])
			}
		}
	}
	if n == 0 {
		t.Fatal("no fixtures")
	}
}

func TestPlanCommand(t *testing.T) {
	dir := t.TempDir()
	alertFile := filepath.Join(dir, "alert.json")
	os.WriteFile(alertFile, []byte(`{"schemaId":"azureMonitorCommonAlertSchema","data":{"essentials":{
	"alertId":"/subscriptions/11111111-1111-1111-1111-111111111111/providers/Microsoft.AlertsManagement/alerts/1",
	"alertRule":"High memory w3wp","severity":"Sev1","monitorCondition":"Fired","firedDateTime":"2024-05-01T10:00:00Z",
	"alertTargetIDs":["/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/web/providers/microsoft.web/sites/shop"]}}}`), 0o644)
	var out bytes.Buffer
	err := run(context.Background(), []string{"plan", "--config", "../../docs/policies.example.json", alertFile}, &out, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var plan struct {
		DryRun bool `json:"dry_run"`
		Events []struct {
			Outcome  string `json:"outcome"`
			Decision struct {
				Policy string `json:"policy"`
				Action struct {
					DumpType string `json:"dump_type"`
				} `json:"action"`
			} `json:"decision"`
			Sites []struct {
				Site struct {
					Name string `json:"name"`
				} `json:"site"`
			} `json:"sites"`
		} `json:"events"`
	}
	if err := json.Unmarshal(out.Bytes(), &plan); err != nil {
		t.Fatal(err)
	}
	if !plan.DryRun || len(plan.Events) != 1 {
		t.Fatalf("plan %s", out.String())
	}
	ev := plan.Events[0]
	if ev.Outcome != "accepted" || ev.Decision.Policy != "w3wp-memory" || ev.Decision.Action.DumpType != "full" ||
		len(ev.Sites) != 1 || ev.Sites[0].Site.Name != "shop" {
		t.Errorf("event %+v", ev)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"parse"}, {"plan", "x.json"}, {"serve"}} {
		err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{})
		if !errors.Is(err, errUsage) {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
	t.Setenv("DUMPFLOW_WEBHOOK_TOKEN", "")
	err := run(context.Background(), []string{"serve", "--config", "../../docs/policies.example.json"}, &bytes.Buffer{}, &bytes.Buffer{})
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "every endpoint is authenticated") {
		t.Errorf("serve without token: %v", err)
	}
}
