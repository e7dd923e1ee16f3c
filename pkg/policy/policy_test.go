package policy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/alert"
)

const testConfig = `{
  "production": true,
  "allow": {"subscriptions": ["sub1"], "resource_groups": ["/subscriptions/sub2/resourceGroups/rg-a"]},
  "policies": [
    {"name": "old", "match": {"rules": ["*"]}, "expires_at": "2020-01-01T00:00:00Z"},
    {"name": "mute-test", "match": {"labels": {"env": "test*"}}, "action": "ignore"},
    {"name": "memory", "match": {"sources": ["azure-common"], "rules": ["high memory*", "re:^mem-[0-9]+$"], "severities": ["Sev0", "1"],
      "targets": ["/subscriptions/*/providers/microsoft.web/sites/*"]},
     "action": "collect-kill", "dump_type": "full", "selector": {"names": ["w3wp"]},
     "limits": {"cooldown": "10m", "max_actions": 2, "window": "1h", "daily_cap": 3, "startup_grace": "2m"}}
  ],
  "schedules": [{"name": "nightly", "cron": "0 3 * * *", "jitter": "1m", "targets": {"apps": ["/subscriptions/sub1/resourceGroups/r/providers/Microsoft.Web/sites/a"]}}]
}`

func event(rule, sev string) *alert.Event {
	return &alert.Event{Source: alert.SourceAzureCommon, Status: alert.StatusFired, Rule: rule, Severity: sev,
		AlertID: "/x/1", FiredAt: "2024-01-01T00:00:00Z",
		ResourceIDs:  []string{"/subscriptions/SUB1/resourceGroups/R/providers/Microsoft.Web/sites/App"},
		MachineNames: []string{"RD01"}, Labels: map[string]string{"env": "prod"}}
}

func TestEvaluate(t *testing.T) {
	c, err := Parse([]byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	d := c.Evaluate(event("High Memory w3wp", "Sev1"), now)
	if !d.Capture || d.Policy != "memory" || !d.Action.Kill || d.Action.DumpType != "full" || d.Action.Analyze {
		t.Fatalf("decision %+v", d)
	}
	if d.Selector.MinAgeSeconds != 120 || len(d.Selector.MachineNames) != 1 || d.Selector.Names[0] != "w3wp" {
		t.Errorf("selector %+v", d.Selector)
	}
	if len(d.Skipped) != 2 || !strings.Contains(d.Skipped[0], "expired") {
		t.Errorf("skipped %q", d.Skipped)
	}
	if d := c.Evaluate(event("mem-12", "Sev1"), now); d.Policy != "memory" {
		t.Errorf("regex rule: %+v", d)
	}
	for _, tc := range []struct {
		name string
		e    *alert.Event
		want string
	}{
		{"severity", event("high memory", "Sev3"), "no policy matches"},
		{"rule", event("cpu", "0"), "no policy matches"},
		{"resolved", func() *alert.Event { e := event("high memory", "Sev0"); e.Status = alert.StatusResolved; return e }(), "resolved alerts never capture"},
		{"ignored", func() *alert.Event { e := event("high memory", "Sev0"); e.Labels["env"] = "testing"; return e }(), `policy "mute-test" matches and says ignore`},
	} {
		d := c.Evaluate(tc.e, now)
		if d.Capture || d.Reason != tc.want {
			t.Errorf("%s: %+v", tc.name, d)
		}
	}
	if next := c.Schedules[0].Next(now); !next.Equal(now.Add(3 * time.Hour)) {
		t.Errorf("next slot %v", next)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ cfg, want string }{
		{`{"production": true, "policies": []}`, "production configuration needs an allowlist"},
		{`{"policies": [{"name": "a", "match": {"sources": ["nagios"]}}]}`, `unknown source "nagios"`},
		{`{"policies": [{"name": "a", "match": {"rules": ["re:("]}}]}`, "match.rules[0]"},
		{`{"policies": [{"name": "a", "action": "reboot"}]}`, `unknown action "reboot"`},
		{`{"policies": [{"name": "a", "dump_type": "huge"}]}`, `unknown dump type "huge"`},
		{`{"policies": [{"name": "a", "limits": {"max_actions": 2}}]}`, "max_actions needs a window"},
		{`{"policies": [{"name": "a"}, {"name": "a"}]}`, `duplicate name "a"`},
		{`{"policies": [{"name": "a", "colour": "red"}]}`, `unknown field "colour"`},
		{`{"allow": {"resource_groups": ["rg"]}}`, `"rg" is not /subscriptions/S/resourceGroups/R`},
		{`{"schedules": [{"name": "s", "cron": "61 * * * *", "targets": {"apps": ["/subscriptions/s"]}}]}`, "cron"},
		{`{"schedules": [{"name": "s", "cron": "@daily"}]}`, "targets: required"},
	} {
		_, err := Parse([]byte(tc.cfg))
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestAllowlist(t *testing.T) {
	a := Allowlist{Subscriptions: []string{"Sub1"}, ResourceGroups: []string{"/subscriptions/sub2/resourceGroups/RG-A"}}
	for _, tc := range []struct {
		sub, rg string
		want    bool
	}{{"sub1", "x", true}, {"SUB2", "rg-a", true}, {"sub2", "rg-b", false}, {"sub3", "rg-a", false}} {
		if got := a.Permits(tc.sub, tc.rg); got != tc.want {
			t.Errorf("Permits(%s, %s) = %v", tc.sub, tc.rg, got)
		}
	}
	if !(Allowlist{}).Permits("any", "any") {
		t.Error("empty allowlist must permit")
	}
}

func TestLimiter(t *testing.T) {
	ctx := context.Background()
	l := NewLimiter(NewMemStore())
	lim := Limits{Cooldown: Duration(10 * time.Minute), MaxActions: 2, Window: Duration(time.Hour), DailyCap: 3}
	t0 := time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
	target := "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a"
	step := func(inc string, at time.Time, want string) {
		t.Helper()
		v, err := l.Reserve(ctx, "p", lim, target, inc, at)
		if err != nil {
			t.Fatal(err)
		}
		if v.Limit != want {
			t.Fatalf("%s at %v: verdict %+v, want limit %q", inc, at, v, want)
		}
	}
	step("i1", t0, "")
	step("i1", t0.Add(time.Minute), "")           // same incident: idempotent
	step("i2", t0.Add(5*time.Minute), "cooldown") // within cooldown
	// Same target in another case is the same target.
	if v, _ := l.Check(ctx, "p", lim, strings.ToUpper(target), "i2", t0.Add(5*time.Minute)); v.Limit != "cooldown" {
		t.Fatalf("case-insensitive target: %+v", v)
	}
	step("i3", t0.Add(11*time.Minute), "")
	step("i4", t0.Add(30*time.Minute), "window") // 2 in the last hour
	step("i5", t0.Add(70*time.Minute), "")       // i1 left the window
	step("i6", t0.Add(12*time.Hour), "daily_cap")
	step("i7", t0.Add(17*time.Hour), "") // next UTC day
	if v, _ := l.Reserve(ctx, "other", lim, target, "i8", t0.Add(5*time.Minute)); !v.Allowed {
		t.Errorf("limits are per policy: %+v", v)
	}
}

func TestLimiterConcurrent(t *testing.T) {
	ctx := context.Background()
	l := NewLimiter(NewMemStore())
	lim := Limits{Cooldown: Duration(time.Hour)}
	now := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := l.Reserve(ctx, "p", lim, "/subscriptions/s/x", string(rune('a'+i)), now)
			if err == nil && v.Allowed {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 1 {
		t.Fatalf("%d reservations allowed within one cooldown, want 1", allowed)
	}
}

// FuzzParseConfig: any input is a config or a clear error, never a panic.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(testConfig))
	f.Add([]byte(`{"policies":[{"name":"a","match":{"rules":["re:a+"],"labels":{"k":"v*"}},"limits":{"cooldown":"1m"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
			return
		}
		c.Evaluate(event("high memory", "Sev1"), time.Now())
	})
}

// TestCaptureReasonText pins the decision's reason to its fmt form.
func TestCaptureReasonText(t *testing.T) {
	c, err := Parse([]byte(`{"policies": [{"name": "mem-hot", "action": "analyze"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	e := &alert.Event{Source: "azure-monitor-common", Status: alert.StatusFired, Rule: "High\tmemory é", Severity: "Sev\x01",
		FiredAt: "2024-05-01T10:00:00Z"}
	d := c.Evaluate(e, time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC))
	want := fmt.Sprintf("policy %q: %s alert %q (severity %q) from %s", "mem-hot", e.Source, e.Rule, e.Severity, e.FiredAt)
	if !d.Capture || d.Reason != want {
		t.Fatalf("decision %+v, want reason %q", d, want)
	}
}
