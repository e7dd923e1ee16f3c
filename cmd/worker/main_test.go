package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/worker"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// TestMain lets the test binary run as the worker command itself (for the
// process-level tests).
func TestMain(m *testing.M) {
	if os.Getenv("WORKER_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func startSim(t *testing.T, cfg sim.Config) *sim.Server {
	t.Helper()
	srv, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestCaptureContract(t *testing.T) {
	srv := startSim(t, sim.Config{Apps: 2, Instances: 2, Seed: 1, DumpWriteTime: 5 * time.Millisecond})
	info := srv.Info()
	blobDir := t.TempDir()
	args := []string{"capture", "--app", info.Apps[0].ResourceID, "--app", info.Apps[1].ResourceID,
		"--arm-url", info.ARMURL, "--scm-url-template", info.SCMURLTemplate, "--kill", "--blob", "file://" + blobDir, "--concurrency", "3"}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	var sum worker.Summary
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Dumps) != 4 || len(sum.Failures) != 0 || len(sum.Killed) != 4 {
		t.Fatalf("summary %+v", sum)
	}
	// The contract's names, exactly.
	var raw map[string][]map[string]any
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"app", "instance", "pid", "process", "key", "bytes", "sha256", "duration_ms", "attempts"} {
		if _, ok := raw["dumps"][0][k]; !ok {
			t.Errorf("dumps[0] lacks %q", k)
		}
	}
	for _, k := range []string{"dumps", "failures", "killed"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
}

// TestCaptureSeries: --series 2 --series-interval 1 takes two dumps of the
// process a second apart (a real wait: the binary's clock is the wall's).
func TestCaptureSeries(t *testing.T) {
	srv := startSim(t, sim.Config{Apps: 1, Instances: 1, Seed: 5, DumpWriteTime: 5 * time.Millisecond})
	info := srv.Info()
	args := []string{"capture", "--app", info.Apps[0].ResourceID, "--arm-url", info.ARMURL, "--scm-url-template", info.SCMURLTemplate,
		"--series", "2", "--series-interval", "1", "--blob", "file://" + t.TempDir()}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	var sum worker.Summary
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Dumps) != 2 || len(sum.Failures) != 0 {
		t.Fatalf("summary %+v", sum)
	}
	var dumps []time.Time
	for i, d := range sum.Dumps {
		if d.Series == nil || d.Series.Index != i+1 || d.Series.Count != 2 || d.Series.ID != sum.Dumps[0].Series.ID || !strings.HasSuffix(d.Key, fmt.Sprintf(".%d.dmp", i+1)) {
			t.Fatalf("dump %d: %+v (series %+v)", i+1, d, d.Series)
		}
	}
	for _, ev := range srv.Events() {
		if ev.Kind == sim.EventDump && ev.Complete {
			dumps = append(dumps, ev.Time)
		}
	}
	// Start to start one second apart; the simulator records when each
	// dump ended, and these small dumps take milliseconds: without the
	// wait they would end milliseconds apart.
	if len(dumps) != 2 || dumps[1].Sub(dumps[0]) < 500*time.Millisecond {
		t.Fatalf("simulator served dumps at %v, want two a second apart", dumps)
	}
}

func TestCaptureFailureExitsNonZeroAndReadsEnv(t *testing.T) {
	srv := startSim(t, sim.Config{Apps: 1, Instances: 1, Seed: 2})
	info := srv.Info()
	t.Setenv("DUMPFLOW_APP", info.Apps[0].ResourceID)
	t.Setenv("DUMPFLOW_ARM_URL", info.ARMURL)
	t.Setenv("DUMPFLOW_SCM_URL_TEMPLATE", info.SCMURLTemplate)
	t.Setenv("DUMPFLOW_BLOB", "file://"+t.TempDir())
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"capture", "--instances", "no-such-instance"}, &stdout, &stderr)
	if !errors.Is(err, errTargetsFailed) {
		t.Fatalf("err = %v, want errTargetsFailed; stderr %s", err, stderr.String())
	}
	var sum worker.Summary
	if err := json.Unmarshal([]byte(lastLine(stdout.String())), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Failures) != 1 || sum.Failures[0].Reason == "" {
		t.Fatalf("summary %+v", sum)
	}
}

func TestCaptureUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"capture"},
		{"capture", "--app", "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a"},
		{"capture", "--app", "not-a-resource-id", "--blob", "file:///tmp/x"},
		{"capture", "--app", "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a", "--blob", "file:///tmp/x", "--dump-type", "huge"},
		{"capture", "--app", "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a", "--blob", "file:///tmp/x", "--series", "3"},
		{"capture", "--app", "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/a", "--blob", "file:///tmp/x", "--series", "11", "--series-interval", "5"},
		{"nope"},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

// TestCaptureTellsAPerson: the terminal output of a failed capture says
// what failed and why, per target, before the JSON line — a person need
// not read the JSON.
func TestCaptureTellsAPerson(t *testing.T) {
	srv := startSim(t, sim.Config{Apps: 1, Instances: 1, Seed: 3, DumpWriteTime: 5 * time.Millisecond})
	info := srv.Info()
	good := info.Apps[0].Instances[0]
	args := []string{"capture", "--app", info.Apps[0].ResourceID, "--arm-url", info.ARMURL, "--scm-url-template", info.SCMURLTemplate,
		"--instances", good + ",deadbeef", "--blob", "file://" + t.TempDir(), "--progress", "never"}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	if !errors.Is(err, errTargetsFailed) {
		t.Fatalf("err = %v; stderr %s", err, stderr.String())
	}
	text := stderr.String()
	for _, want := range []string{"1 captured, 1 failed", "✓ captured", "w3wp-", "✗ failed", "deadbeef"} {
		if !strings.Contains(text, want) {
			t.Errorf("stderr lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(lastLine(text), "{") || !strings.HasPrefix(lastLine(stdout.String()), "{") {
		t.Errorf("the JSON goes to stdout only:\nstdout %s\nstderr %s", stdout.String(), text)
	}
}

// TestCaptureNothingMatched: a selector that matches nothing anywhere is
// not a success: a distinct exit status, and the processes that do exist.
func TestCaptureNothingMatched(t *testing.T) {
	srv := startSim(t, sim.Config{Apps: 1, Instances: 2, Seed: 4})
	info := srv.Info()
	args := []string{"capture", "--app", info.Apps[0].ResourceID, "--arm-url", info.ARMURL, "--scm-url-template", info.SCMURLTemplate,
		"--process", "java", "--blob", "file://" + t.TempDir(), "--progress", "never"}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	if code := cli.ExitCode(err, &stderr); code != exitNothingMatched {
		t.Fatalf("exit %d (err %v), want %d; stderr %s", code, err, exitNothingMatched, stderr.String())
	}
	text := stderr.String()
	for _, want := range []string{"0 captured, 0 failed, 2 skipped", "no process on this instance matches process java", "processes found: ", "w3wp", "no process matched the selector"} {
		if !strings.Contains(text, want) {
			t.Errorf("stderr lacks %q:\n%s", want, text)
		}
	}
}

// TestCaptureMissingApp: an app that does not exist is said to be missing
// (ARM's 404 for the site), not "the process is no longer running".
func TestCaptureMissingApp(t *testing.T) {
	srv := startSim(t, sim.Config{Apps: 1, Instances: 1, Seed: 5})
	info := srv.Info()
	missing := info.Apps[0].ResourceID[:strings.LastIndex(info.Apps[0].ResourceID, "/")+1] + "no-such-app"
	args := []string{"capture", "--app", missing, "--arm-url", info.ARMURL, "--scm-url-template", info.SCMURLTemplate,
		"--blob", "file://" + t.TempDir(), "--progress", "never"}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	if !errors.Is(err, errTargetsFailed) {
		t.Fatalf("err = %v; stderr %s", err, stderr.String())
	}
	text := stderr.String()
	if !strings.Contains(text, "app no-such-app not found in subscription") || strings.Contains(text, "no longer running") {
		t.Errorf("stderr:\n%s", text)
	}
}

// TestCaptureHTTPSAgainstSimulator: pointing at the simulator's ARM
// without --scm-url-template makes the worker speak HTTPS to a plain-HTTP
// host; the reason names the flag that fixes it.
func TestCaptureHTTPSAgainstSimulator(t *testing.T) {
	srv := startSim(t, sim.Config{Apps: 1, Instances: 1, Seed: 6})
	info := srv.Info()
	args := []string{"capture", "--app", info.Apps[0].ResourceID, "--arm-url", info.ARMURL,
		"--blob", "file://" + t.TempDir(), "--progress", "never", "--auth", "none"}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, &stdout, &stderr)
	if !errors.Is(err, errTargetsFailed) {
		t.Fatalf("err = %v; stderr %s", err, stderr.String())
	}
	if text := stderr.String(); !strings.Contains(text, "--scm-url-template http://HOST:PORT/{app}") {
		t.Errorf("stderr:\n%s", text)
	}
}
