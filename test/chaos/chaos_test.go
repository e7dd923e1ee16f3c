package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestChaosSmall is a short chaos run (40 targets, every fault, a SIGKILL
// every ~2 s) with the contract's checks: the last stdout line is the JSON
// summary, nothing is lost or duplicated.
func TestChaosSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the services as processes (about a minute)")
	}
	args := []string{"--targets", "40", "--instances", "4", "--apps-per-incident", "4", "--kill-every", "2s", "--lock", "6s", "--timeout", "4m", "--seed", "7"}
	if raceEnabled {
		args = append(args, "--race")
	}
	o, err := parseFlags(args)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := run(ctx, o, &out, &out)
	if err != nil {
		t.Fatalf("chaos run: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatalf("last stdout line is not JSON: %v\n%s", err, out.String())
	}
	for _, k := range []string{"targets", "captured", "failed", "lost", "duplicates", "duplicate_requests", "dead_lettered", "wall_s"} {
		if _, ok := last[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
	if !res.OK() || res.Problems != nil {
		t.Errorf("chaos run found problems: %v\n%s", res.Problems, out.String())
	}
	if res.Targets < 40 || res.Captured+res.Failed != res.Targets {
		t.Errorf("targets %d, captured %d, failed %d: want ≥ 40 targets, each captured or failed", res.Targets, res.Captured, res.Failed)
	}
	if res.Faults["5xx"] == 0 && res.Faults["throttle"] == 0 {
		t.Errorf("no faults were injected: %v", res.Faults)
	}
	t.Logf("%s", strings.Join(lines[len(lines)-6:], "\n"))
}
