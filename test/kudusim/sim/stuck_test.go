package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/minidump"
)

// frame0s analyzes a dump and returns each thread's frame 0 address.
func frame0s(t *testing.T, b []byte) map[uint32]uint64 {
	t.Helper()
	r, err := minidump.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := dumpfacts.Analyze(context.Background(), r, dumpfacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32]uint64{}
	for _, th := range a.Threads {
		if len(th.Stack) == 0 {
			t.Fatalf("thread %d has no frame 0 (%s)", th.ID, th.Error)
		}
		if th.Stack[0].Module == "" {
			t.Errorf("thread %d frame 0 %v lies outside every module", th.ID, th.Stack[0].Address)
		}
		out[th.ID] = uint64(th.Stack[0].Address)
	}
	return out
}

// Under Script.Stuck, the stuck threads keep their frame 0 from dump to
// dump of one process, and every other thread's frame 0 moves each time;
// each dump's event carries the SHA-256 of its own bytes.
func TestStuckThreadsKeepFrame0AcrossDumps(t *testing.T) {
	var mu sync.Mutex
	stuck := map[int]bool{}
	cfg := Config{Seed: 7, Script: &Script{Stuck: func(app, instance string, pid, tid int) bool {
		mu.Lock()
		defer mu.Unlock()
		v := tid%3 == 0
		stuck[tid] = v
		return v
	}}}
	s := newSim(t, cfg)
	a := s.Info().Apps[0]
	in := a.Instances[0]
	var dumps []map[uint32]uint64
	for range 3 {
		r := get(t, a.SCMURL+"/api/processes/-1/dump", affinity(in)...)
		wantStatus(t, r, 200)
		dumps = append(dumps, frame0s(t, r.body))
		ev := events(t, s)
		sum := sha256.Sum256(r.body)
		if last := ev[len(ev)-1]; last.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("dump %d: event SHA-256 %s is not the body's", len(dumps), last.SHA256)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	nStuck, nMoved := 0, 0
	for tid, rip := range dumps[0] {
		st, seen := stuck[int(tid)]
		if !seen {
			t.Fatalf("Stuck was not asked about thread %d", tid)
		}
		for i, d := range dumps[1:] {
			same := d[tid] == rip
			if st && !same {
				t.Errorf("stuck thread %d moved in dump %d: %#x → %#x", tid, i+2, rip, d[tid])
			}
			if !st && (same || d[tid] == dumps[i][tid]) {
				t.Errorf("thread %d did not move in dump %d (%#x)", tid, i+2, d[tid])
			}
		}
		if st {
			nStuck++
		} else {
			nMoved++
		}
	}
	if nStuck == 0 || nMoved == 0 {
		t.Fatalf("%d stuck and %d moving threads; the test needs both", nStuck, nMoved)
	}
	// Without the script every dump of a process is the same bytes.
	s2 := newSim(t, Config{Seed: 7})
	a2 := s2.Info().Apps[0]
	one := get(t, a2.SCMURL+"/api/processes/-1/dump", affinity(in)...)
	two := get(t, a2.SCMURL+"/api/processes/-1/dump", affinity(in)...)
	if !bytes.Equal(one.body, two.body) {
		t.Error("without Script.Stuck two dumps of one process differ")
	}
}

// TestLLDBSeesMovedFrames is the outside check that a dump whose threads
// were moved by Script.Stuck is still a real minidump: lldb reports every
// thread at the frame 0 the analysis found, inside a module. Skipped when
// lldb is not on PATH, except under CI=true where it is required.
func TestLLDBSeesMovedFrames(t *testing.T) {
	lldb, err := exec.LookPath("lldb")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("lldb not on PATH; CI must install the Debian package lldb")
		}
		t.Skip("lldb not on PATH (apt-get install lldb)")
	}
	s := newSim(t, Config{Seed: 8, Script: &Script{Stuck: func(_, _ string, _, tid int) bool { return tid%2 == 0 }}})
	a := s.Info().Apps[0]
	in := a.Instances[0]
	_ = get(t, a.SCMURL+"/api/processes/-1/dump", affinity(in)...)
	second := get(t, a.SCMURL+"/api/processes/-1/dump", affinity(in)...) // moved once
	wantStatus(t, second, 200)
	path := filepath.Join(t.TempDir(), "moved.dmp")
	if err := os.WriteFile(path, second.body, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, lldb, "-b", "-c", path, "-o", "thread list").Output()
	if err != nil {
		t.Fatalf("lldb: %v\n%s", err, out)
	}
	for tid, pc := range frame0s(t, second.body) {
		re := regexp.MustCompile(fmt.Sprintf(`tid = %#x, 0x%016x \S+\.(dll|exe)`, tid, pc))
		if !re.Match(out) {
			t.Errorf("lldb does not show thread %#x at %#x in a module", tid, pc)
		}
	}
	if t.Failed() {
		t.Logf("lldb output:\n%s", out)
	}
}
