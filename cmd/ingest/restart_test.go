package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// asMain makes the test binary run as the ingest command when the restart
// test starts it as a child process (a real process, without a build).
const asMain = "DUMPFLOW_TEST_INGEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// serveProc is `ingest serve` in a child process, logging to a file.
type serveProc struct {
	cmd  *exec.Cmd
	log  string
	done chan error
}

func startServe(t *testing.T, logPath string, args []string) *serveProc {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), asMain+"=1")
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() { // owned by p: ends when the child does
		p.done <- cmd.Wait()
		f.Close()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *serveProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err // for Cleanup
		if err != nil {
			t.Fatalf("ingest serve exited with %v; log %s", err, p.log)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("ingest serve did not stop within 30 s of SIGTERM; log %s", p.log)
	}
}

// waitLog waits until a line of the log contains every part.
func (p *serveProc) waitLog(t *testing.T, timeout time.Duration, parts ...string) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(p.log)
		for _, line := range strings.Split(string(data), "\n") {
			ok := line != ""
			for _, s := range parts {
				ok = ok && strings.Contains(line, s)
			}
			if ok {
				return line
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	data, _ := os.ReadFile(p.log)
	t.Fatalf("no log line with %q within %s; log:\n%s", parts, timeout, data)
	return ""
}

func countManifests(t *testing.T, dir string) int {
	t.Helper()
	b, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	list, err := b.List(context.Background(), "incidents/")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range list {
		if strings.HasSuffix(a.Key, "/manifest.json") {
			n++
		}
	}
	return n
}

// TestRuleCooldownSurvivesRestart runs ingest serve as a real process with
// a rule whose trigger holds the whole time; it acts once; the process is
// stopped and a new one started on the same storage; the new one holds the
// rule back by the cooldown recorded by the first (and makes no second
// incident).
func TestRuleCooldownSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ingest serve twice")
	}
	srv, err := sim.New(sim.Config{Apps: 1, Instances: 1, Script: &sim.Script{PrivateBytes: func(string, string, time.Duration) int64 { return 5 << 30 }}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	info := srv.Info()
	app := info.Apps[0]
	sub := strings.Split(app.ResourceID, "/")[2]
	dir := t.TempDir()
	config := writeFile(t, "policies.json", `{"allow":{"subscriptions":["`+sub+`"]},"policies":[]}`)
	rules := writeFile(t, "rules.json", `{"rules":[{"name":"leak","sites":["`+app.ResourceID+`"],"triggers":{"privateBytesInKB":4194304},
		"action":{"kind":"collect","dump_type":"full"},"limits":{"cooldown":"01:00:00"}}]}`)
	blobDir := filepath.Join(dir, "b")
	args := []string{"--listen", "127.0.0.1:0", "--config", config, "--rules", rules,
		"--queue", backend.FileURL(filepath.Join(dir, "q")), "--blob", backend.FileURL(blobDir),
		"--webhook-token", "0123456789abcdef0123", "--arm-url", info.ARMURL, "--arm-auth=false", "--schedules=false",
		"--scm-url-template", info.SCMURLTemplate, "--rules-memory-poll", "50ms", "--rules-evaluate", "50ms", "--log-level", "debug"}

	first := startServe(t, filepath.Join(dir, "first.log"), args)
	first.waitLog(t, 60*time.Second, "ingest: auto-heal incident", `"rule":"leak"`)
	first.stop(t)
	if n := countManifests(t, blobDir); n != 1 {
		t.Fatalf("first run made %d incidents, want 1", n)
	}

	second := startServe(t, filepath.Join(dir, "second.log"), args)
	line := second.waitLog(t, 60*time.Second, "auto-heal rule met but held back", `"rule":"leak"`)
	if !strings.Contains(line, "cooldown") {
		t.Fatalf("restarted ingest held the rule back for another reason: %s", line)
	}
	second.stop(t)
	if n := countManifests(t, blobDir); n != 1 {
		t.Fatalf("after the restart there are %d incidents, want still 1 (the cooldown holds)", n)
	}
	data, _ := os.ReadFile(second.log)
	if strings.Contains(string(data), "auto-heal rule fired") {
		t.Fatalf("the restarted process fired within the cooldown:\n%s", data)
	}
}
