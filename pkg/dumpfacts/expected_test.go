package dumpfacts

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/minidump"
)

// sharedDumps is the read-only corpus of real minidumps (SOURCES.md).
const sharedDumps = "../../../shared/testdata/minidumps"

// expected is the part of a .expected.json file the analysis must match.
type expected struct {
	File           string            `json:"file"`
	SizeBytes      int64             `json:"size_bytes"`
	OSVersion      string            `json:"os_version"`
	CPU            string            `json:"cpu"`
	CPUInfo        string            `json:"cpu_info"`
	CPUCount       int               `json:"cpu_count"`
	Crashed        bool              `json:"crashed"`
	CrashReason    string            `json:"crash_reason"`
	CrashAddress   string            `json:"crash_address"`
	CrashingThread *int              `json:"crashing_thread"`
	BreakpadCount  int               `json:"breakpad_thread_count"`
	FirstFrames    []string          `json:"first_frames"`
	Thread0Frames  []string          `json:"thread0_first_frames"`
	Uptime         string            `json:"breakpad_process_uptime"`
	ThreadCount    int               `json:"thread_count"`
	ThreadIDs      []string          `json:"thread_ids"`
	ThreadNames    map[string]string `json:"thread_names"`
	ModuleCount    int               `json:"module_count"`
	MainModule     string            `json:"main_module"`
	Modules        []struct {
		Name    string  `json:"name"`
		Version *string `json:"version"`
		Base    string  `json:"base"`
	} `json:"modules_by_address"`
	ProcessID int `json:"process_id"`
	MiscInfo  struct {
		CreateTime string `json:"process_create_time"`
		MaxMhz     string `json:"processor_max_mhz"`
	} `json:"misc_info"`
	Exception *struct {
		ThreadID string `json:"thread_id"`
		Code     string `json:"code"`
		Address  string `json:"address"`
	} `json:"exception"`
	MemoryInfoCount int `json:"memory_info_count"`
}

// dumpFiles lists the shared dumps, skipping (or failing under CI) when
// the corpus is absent.
func dumpFiles(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(sharedDumps, "*", "*.dmp"))
	if len(files) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no minidumps under %s (shared test data is required in CI)", sharedDumps)
		}
		t.Skipf("no minidumps under %s: shared test data absent", sharedDumps)
	}
	return files
}

func TestMatchesPeerTools(t *testing.T) {
	for _, f := range dumpFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			var want expected
			raw, err := os.ReadFile(strings.TrimSuffix(f, ".dmp") + ".expected.json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			r, err := minidump.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			a, err := Analyze(context.Background(), r, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Problems) > 0 {
				t.Logf("problems: %v", a.Problems)
			}
			checkAnalysis(t, a, &want)
		})
	}
}

func checkAnalysis(t *testing.T, a *Analysis, want *expected) {
	t.Helper()
	eq := func(what string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	eq("system.cpu", a.System.CPU, want.CPU)
	eq("system.cpu_info", a.System.CPUInfo, want.CPUInfo)
	eq("system.cpu_count", a.System.CPUCount, want.CPUCount)
	// Breakpad's form is "major.minor.build CSD".
	eq("os_version + service_pack", a.System.OSVersion+" "+a.System.ServicePack, want.OSVersion)
	eq("process.pid", *a.Process.PID, uint32(want.ProcessID))
	if ts := strings.Fields(want.MiscInfo.CreateTime); len(ts) == 3 {
		eq("process.create_time", *a.Process.CreateTime, ts[1]+"T"+ts[2]+"Z")
	}
	if want.MiscInfo.MaxMhz != "" {
		if a.System.ProcessorMaxMhz == nil {
			t.Errorf("system.processor_max_mhz missing, want %s", want.MiscInfo.MaxMhz)
		} else {
			eq("system.processor_max_mhz", strconv.Itoa(int(*a.System.ProcessorMaxMhz)), want.MiscInfo.MaxMhz)
		}
	}
	if up := strings.Fields(want.Uptime); len(up) == 2 {
		eq("process.uptime_seconds", Hex(*a.Process.UptimeSeconds).String(), hexOf(t, up[0], 10))
	}
	eq("dump.size", a.Dump.Size, want.SizeBytes)
	if want.Exception != nil {
		if a.Exception == nil {
			t.Fatal("exception missing")
		}
		eq("exception.code", a.Exception.Code.String(), want.Exception.Code)
		eq("exception.address", a.Exception.Address.String(), want.Exception.Address)
		eq("exception.thread_id", Hex(a.Exception.ThreadID).String(), want.Exception.ThreadID)
	} else if a.Exception != nil || a.Crash != nil {
		t.Errorf("exception = %+v, want none", a.Exception)
	}
	if want.Crashed {
		eq("crash.reason", a.Crash.Reason, want.CrashReason)
		eq("crash.address", a.Crash.Address.String(), want.CrashAddress)
	} else if a.Crash != nil {
		t.Errorf("crash = %+v, want none", a.Crash)
	}
	eq("thread count", len(a.Threads), want.ThreadCount)
	var bpThreads []Thread
	for i, th := range a.Threads {
		if i < len(want.ThreadIDs) {
			eq("threads[].id", Hex(th.ID).String(), want.ThreadIDs[i])
		}
		if name, ok := want.ThreadNames[Hex(th.ID).String()]; ok {
			eq("thread name", th.Name, name)
		}
		if !th.DumpWriter {
			bpThreads = append(bpThreads, th)
		}
	}
	eq("threads without the dump writer", len(bpThreads), want.BreakpadCount)
	frames := want.FirstFrames
	thread := Thread{}
	if want.CrashingThread != nil {
		if *want.CrashingThread >= len(bpThreads) {
			t.Fatalf("crashing thread index %d out of range", *want.CrashingThread)
		}
		thread = bpThreads[*want.CrashingThread]
		if !thread.Crashed {
			t.Errorf("thread %#x should be marked crashed", thread.ID)
		}
		eq("crash.location", a.Crash.Location, frames[0])
	} else if len(bpThreads) > 0 {
		thread, frames = bpThreads[0], want.Thread0Frames
	}
	if len(frames) > 0 {
		if len(thread.Frames) == 0 {
			t.Fatalf("thread %#x has no frames", thread.ID)
		}
		eq("frame 0", thread.Frames[0], frames[0])
		// The walk follows Breakpad's: its first frames are the peer's.
		n := min(len(frames), len(thread.Frames))
		if strings.Join(thread.Frames[:n], " ") != strings.Join(frames[:n], " ") || len(thread.Frames) < len(frames) && !thread.Truncated {
			t.Errorf("frames %v, want first frames %v", thread.Frames, frames)
		}
	}
	eq("module count", len(a.Modules), want.ModuleCount)
	if len(a.Modules) > 0 {
		eq("main module", a.Modules[0].Name, want.MainModule)
		eq("process.main_module", a.Process.MainModule, want.MainModule)
	}
	byBase := map[string]Module{}
	for _, m := range a.Modules {
		byBase[m.Base.String()] = m
	}
	for _, m := range want.Modules {
		got, ok := byBase[hexOf(t, m.Base, 16)]
		if !ok {
			t.Errorf("module %s at %s missing", m.Name, m.Base)
			continue
		}
		eq("module name at "+m.Base, got.Name, m.Name)
		if (got.Version == nil) != (m.Version == nil) || (m.Version != nil && *got.Version != *m.Version) {
			t.Errorf("module %s version = %v, want %v", m.Name, deref(got.Version), deref(m.Version))
		}
	}
	if want.MemoryInfoCount > 0 {
		eq("memory.regions", a.Memory.Regions, want.MemoryInfoCount)
	}
}

func hexOf(t *testing.T, s string, base int) string {
	t.Helper()
	var h Hex
	in := s
	if base == 10 {
		in = s
		if err := json.Unmarshal([]byte(in), &h); err != nil {
			t.Fatal(err)
		}
	} else if err := json.Unmarshal([]byte(`"`+in+`"`), &h); err != nil {
		t.Fatal(err)
	}
	return h.String()
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
