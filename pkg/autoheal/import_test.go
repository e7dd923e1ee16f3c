package autoheal

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// configWeb has the shape ARM returns for GET .../config/web (trimmed to a
// few siteConfig properties besides the auto-heal ones).
const configWeb = `{
  "id": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Web/sites/contoso/config/web",
  "name": "web",
  "type": "Microsoft.Web/sites/config",
  "location": "West Europe",
  "properties": {
    "numberOfWorkers": 1,
    "netFrameworkVersion": "v8.0",
    "use32BitWorkerProcess": false,
    "alwaysOn": true,
    "autoHealEnabled": true,
    "autoHealRules": {
      "triggers": {
        "privateBytesInKB": 3000000,
        "slowRequestsWithPath": [
          { "path": "/api/*", "timeTaken": "00:00:30", "count": 20, "timeInterval": "00:02:00" }
        ],
        "statusCodesRange": [
          { "statusCodes": "500-599", "path": "", "count": 50, "timeInterval": "00:05:00" }
        ],
        "requests": null,
        "statusCodes": [],
        "slowRequests": null
      },
      "actions": {
        "actionType": "CustomAction",
        "customAction": {
          "exe": "D:\\home\\data\\DaaS\\bin\\DaasConsole.exe",
          "parameters": "-CollectKillAnalyze \"Memory Dump\" 60"
        },
        "minProcessExecutionTime": "00:10:00"
      }
    }
  }
}`

func TestImportConfigWeb(t *testing.T) {
	r, err := Import("contoso", []byte(configWeb))
	if err != nil {
		t.Fatal(err)
	}
	if !r.IsEnabled() || r.Triggers.PrivateBytesInKB != 3000000 || len(r.Triggers.SlowRequestsWithPath) != 1 ||
		r.Triggers.SlowRequestsWithPath[0].TimeTaken.Duration() != 30*time.Second ||
		r.Triggers.StatusCodesRange[0].TimeInterval.Duration() != 5*time.Minute {
		t.Fatalf("imported triggers wrong: %+v", r.Triggers)
	}
	if r.Action != (Action{Kind: ActionCollectKill, DumpType: "full"}) {
		t.Fatalf("action = %+v, want collect-kill full (DaaS CollectKillAnalyze Memory Dump)", r.Action)
	}
	if r.MinProcessExecutionTime.Duration() != 10*time.Minute {
		t.Fatalf("minProcessExecutionTime = %v", r.MinProcessExecutionTime)
	}
}

func TestImportShapesAndActions(t *testing.T) {
	bare := `{"triggers":{"requests":{"count":100,"timeInterval":"00:01:00"}},"actions":{"actionType":%s}}`
	for _, tc := range []struct {
		actionType string
		want       Action
	}{
		{`"Recycle"`, Action{Kind: ActionCollectKill, DumpType: "mini"}},
		{`"LogEvent"`, Action{Kind: ActionLog}},
		{`0`, Action{Kind: ActionCollectKill, DumpType: "mini"}},
		{`1`, Action{Kind: ActionLog}},
	} {
		r, err := Import("x", []byte(strings.Replace(bare, "%s", tc.actionType, 1)))
		if err != nil || r.Action != tc.want {
			t.Errorf("actionType %s: %+v, %v; want %+v", tc.actionType, r, err, tc.want)
		}
	}
	site := `{"properties":{"siteConfig":{"autoHealEnabled":false,"autoHealRules":{"triggers":{"privateBytesInKB":100},"actions":{"actionType":"LogEvent"}}}}}`
	r, err := Import("site", []byte(site))
	if err != nil || r.IsEnabled() {
		t.Fatalf("site resource import: %+v %v (want disabled)", r, err)
	}
}

func TestImportRejects(t *testing.T) {
	for _, tc := range []struct{ name, doc, field string }{
		{"unknown field", `{"triggers":{"privateBytesInKB":1,"memoryMB":5},"actions":{"actionType":"LogEvent"}}`, "autoHealRules"},
		{"ISO duration", `{"triggers":{"requests":{"count":1,"timeInterval":"PT5M"}},"actions":{"actionType":"LogEvent"}}`, "autoHealRules"},
		{"zero count", `{"triggers":{"requests":{"count":0,"timeInterval":"00:01:00"}},"actions":{"actionType":"LogEvent"}}`, "triggers.requests.count"},
		{"bad status", `{"triggers":{"statusCodes":[{"status":700,"count":1,"timeInterval":"00:01:00"}]},"actions":{"actionType":"LogEvent"}}`, "triggers.statusCodes[0].status"},
		{"reversed range", `{"triggers":{"statusCodesRange":[{"statusCodes":"599-500","count":1,"timeInterval":"00:01:00"}]},"actions":{"actionType":"LogEvent"}}`, "triggers.statusCodesRange[0].statusCodes"},
		{"no trigger", `{"triggers":{},"actions":{"actionType":"LogEvent"}}`, "triggers"},
		{"unknown action", `{"triggers":{"privateBytesInKB":1},"actions":{"actionType":"Reboot"}}`, "autoHealRules.actions.actionType"},
		{"numeric action 7", `{"triggers":{"privateBytesInKB":1},"actions":{"actionType":7}}`, "autoHealRules.actions.actionType"},
		{"custom without exe", `{"triggers":{"privateBytesInKB":1},"actions":{"actionType":"CustomAction"}}`, "autoHealRules.actions.customAction"},
		{"null rules", `{"properties":{"autoHealEnabled":false,"autoHealRules":null}}`, "autoHealRules"},
		{"huge memory", `{"triggers":{"privateBytesInKB":4000000000},"actions":{"actionType":"LogEvent"}}`, "triggers.privateBytesInKB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Import("x", []byte(tc.doc))
			var ie *ImportError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("err = %v, want ImportError on %s", err, tc.field)
			}
		})
	}
}

func TestParseFileStrict(t *testing.T) {
	good := `{"rules":[{"name":"leak","triggers":{"privateBytesInKB":1000},"action":{"kind":"collect","dump_type":"full"}}],
	          "proactive":{"enabled":true,"memoryLimitBytes":3758096384,"action":{"kind":"collect","dump_type":"mini"}}}`
	if _, err := ParseFile([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`{"rules":[{"name":"a","triggers":{"privateBytesInKB":1},"action":{"kind":"collect","dump_type":"huge"}}]}`,
		`{"rules":[{"name":"a","triggers":{"privateBytesInKB":1},"action":{"kind":"log"}},{"name":"a","triggers":{"privateBytesInKB":1},"action":{"kind":"log"}}]}`,
		`{"rules":[],"extra":1}`,
		`{"rules":[{"triggers":{"privateBytesInKB":1},"action":{"kind":"log"}}]}`,
		`{"rules":[{"name":"a","triggers":{"privateBytesInKB":1},"action":{"kind":"log"},"limits":{"maxActions":-1}}]}`,
	} {
		if _, err := ParseFile([]byte(bad)); err == nil {
			t.Errorf("ParseFile accepted %s", bad)
		}
	}
}

func FuzzImport(f *testing.F) {
	f.Add([]byte(configWeb))
	f.Add([]byte(`{"triggers":{"requests":{"count":1,"timeInterval":"00:00:01"}},"actions":{"actionType":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Import("fuzz", data)
		if err != nil {
			return
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("imported rule does not validate: %v", err)
		}
		_ = NewEvaluator(&File{Rules: []Rule{*r}}).Evaluate(time.Now())
	})
}
