package dumpgen

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLLDBOpensGeneratedDumps is the outside check that generated dumps are
// real minidumps: Debian's lldb (apt package "lldb") must report the pid,
// every thread id and every module the builder wrote. Skipped when lldb is
// not on PATH, except under CI=true where it is required.
func TestLLDBOpensGeneratedDumps(t *testing.T) {
	lldb, err := exec.LookPath("lldb")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("lldb not on PATH; CI must install the Debian package lldb")
		}
		t.Skip("lldb not on PATH (apt-get install lldb)")
	}
	for _, tc := range []struct {
		name  string
		flags uint64
		size  int64
	}{
		{"mini", MiniDumpIgnoreInaccessibleMemory, 0},
		{"full", MiniDumpWithFullMemory | MiniDumpIgnoreInaccessibleMemory, 24 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := SampleSpec(4120, tc.flags, tc.size)
			s.PID = 6512
			d := mustNew(t, s)
			path := filepath.Join(t.TempDir(), tc.name+".dmp")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.WriteTo(f); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, lldb, "-b", "-c", path,
				"-o", "process status", "-o", "thread list", "-o", "image list").CombinedOutput()
			if err != nil {
				t.Fatalf("lldb: %v\n%s", err, out)
			}
			text := string(out)
			want := []string{fmt.Sprintf("Process %d stopped", s.PID)}
			for _, th := range s.Threads {
				want = append(want, fmt.Sprintf("tid = %#x", th.ID))
			}
			for _, m := range s.Modules {
				want = append(want, m.Path)
			}
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("lldb output lacks %q", w)
				}
			}
			if n := strings.Count(text, "tid = "); n != len(s.Threads) {
				t.Errorf("lldb lists %d threads, want %d", n, len(s.Threads))
			}
			if t.Failed() {
				t.Logf("lldb output:\n%s", text)
			}
		})
	}
}
