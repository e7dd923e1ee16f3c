package report

import (
	"time"

	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
)

// Sample returns the stored state of a realistic incident, for previews,
// documentation and golden tests: two apps, one job reported (captured,
// killed, not killed, failed and skipped targets, one analysis that
// failed), one job still running with one dump. It is the same on every
// call.
func Sample() (*messages.Manifest, []*messages.JobCompleted, []*DumpReport) {
	t0 := time.Date(2026, 3, 4, 10, 15, 0, 0, time.UTC)
	inc := "20260304t101500-5f1c2a9d0e7b4c11"
	site := func(name string) messages.Site {
		return messages.Site{ResourceID: "/subscriptions/0000/resourceGroups/shop/providers/Microsoft.Web/sites/" + name,
			SubscriptionID: "0000", ResourceGroup: "shop", Name: name}
	}
	web, api := site("shop-web"), site("shop-api")
	m := &messages.Manifest{Version: 1, IncidentID: inc, CreatedAt: t0.Add(4 * time.Second),
		Trigger: messages.Trigger{Kind: "alert", Source: "azure-monitor", Rule: "Http5xx > 50", AlertID: "a1b2c3",
			Severity: "Sev1", FiredAt: t0, Reason: "HTTP 5xx above 50 per minute for 5 minutes",
			Description: "Checkout is failing: server errors above 50 a minute",
			Conditions: []messages.Condition{{Metric: "Http5xx", Namespace: "Microsoft.Web/sites", Operator: "GreaterThan", Threshold: "50",
				Observed: "212", Aggregation: "Total", Window: "PT5M", WindowStart: "2026-11-03T09:55:00Z", WindowEnd: "2026-11-03T10:00:00Z"}},
			Links: map[string]string{"portal": "https://portal.azure.com/#resource/subscriptions/0000/resourceGroups/shop/providers/Microsoft.Web/sites/shop-web"}},
		Action: messages.Action{DumpType: messages.DumpFull, Kill: true, Analyze: true}, Policy: "crash-collect-kill",
		Jobs: []messages.ManifestJob{{JobID: messages.JobID(inc, web), Site: web}, {JobID: messages.JobID(inc, api), Site: api}}}
	dumpKey := func(s messages.Site, inst string, pid int) string {
		return layout.DumpKey(t0, inc, s.Segment(), inst, "w3wp", pid)
	}
	capture := func(s messages.Site, inst string, pid int, at time.Duration) *messages.DumpCaptured {
		return &messages.DumpCaptured{IncidentID: inc, JobID: messages.JobID(inc, s), Site: s, Instance: inst,
			MachineName: "RD" + inst[:6], PID: pid, Process: "w3wp", DumpType: messages.DumpFull, DumpKey: dumpKey(s, inst, pid),
			Bytes: 3 << 30, SHA256: "ab", Attempts: 1, DurationMS: 41000, CapturedAt: t0.Add(at)}
	}
	jobs := []*messages.JobCompleted{{IncidentID: inc, JobID: messages.JobID(inc, web), Site: web,
		StartedAt: t0.Add(6 * time.Second), FinishedAt: t0.Add(95 * time.Second), Instances: []string{"3a9f01c2", "7be210aa", "c0ffee11d2b4e6f8a0c1e3f5b7d9a2c4e6f8b0d2f4a6c8e0b2d4f6a8c0e2f4b6d8"},
		Targets: []messages.TargetResult{
			{Instance: "3a9f01c2", PID: 4120, Process: "w3wp", Outcome: messages.OutcomeCaptured, DumpKey: dumpKey(web, "3a9f01c2", 4120),
				Bytes: 3 << 30, Attempts: 1, Kill: &messages.Kill{Done: true, NewPID: 5012}},
			{Instance: "7be210aa", PID: 3880, Process: "w3wp", Outcome: messages.OutcomeCaptured, DumpKey: dumpKey(web, "7be210aa", 3880),
				Bytes: 3 << 30, Attempts: 2, Kill: &messages.Kill{Reason: "kill budget for this site is used up (2 per 30m)"}},
			{Instance: "c0ffee11d2b4e6f8a0c1e3f5b7d9a2c4e6f8b0d2f4a6c8e0b2d4f6a8c0e2f4b6d8", PID: 2216, Process: "w3wp", Outcome: messages.OutcomeFailed, Attempts: 3,
				Reason: "Kudu returned 502 Bad Gateway three times while streaming the dump"},
			{Instance: "c0ffee11d2b4e6f8a0c1e3f5b7d9a2c4e6f8b0d2f4a6c8e0b2d4f6a8c0e2f4b6d8", PID: 96, Process: "w3wp", Outcome: messages.OutcomeSkipped, Reason: "SCM (Kudu) process: never dumped"},
		}}}
	pid := uint32(4120)
	ct := "2026-03-04T07:02:11Z"
	up := int64(11569)
	ti := 0
	v := "8.0.1124.51707"
	crashed := &dumpfacts.Analysis{
		System:  &dumpfacts.System{OS: "Windows NT", CPU: "amd64", CPUInfo: "family 6 model 85 stepping 7", CPUCount: 4, OSVersion: "10.0.20348"},
		Process: &dumpfacts.Process{PID: &pid, CreateTime: &ct, UptimeSeconds: &up, MainModule: "w3wp.exe", ThreadCount: 2},
		Exception: &dumpfacts.Exception{Code: 0xc0000005, CodeName: "STATUS_ACCESS_VIOLATION", Address: 0x7ffd05e5a1b2, ThreadID: 0x1a2c,
			Parameters: []dumpfacts.Hex{1, 0x45}},
		Crash: &dumpfacts.Crash{Reason: "EXCEPTION_ACCESS_VIOLATION_WRITE", Address: 0x45, Description: "access violation writing 0x45 (a null or near-null pointer)",
			ThreadID: 0x1a2c, ThreadIndex: &ti, Location: "coreclr.dll+0x1a1b2",
			Symbol: "coreclr.dll!WKS::gc_heap::mark_object_simple + 0x62"},
		Threads: []dumpfacts.Thread{{ID: 0x1a2c, Frames: []string{"coreclr.dll+0x1a1b2", "coreclr.dll+0x2f00", "w3wp.exe+0x1f40"}, Crashed: true,
			Stack: []dumpfacts.StackFrame{
				{Address: 0x7ffd05e5a1b2, Module: "coreclr.dll", Offset: 0x1a1b2, Function: "WKS::gc_heap::mark_object_simple", FunctionOffset: 0x62, Trust: dumpfacts.TrustContext},
				{Address: 0x7ffd05e42f00, Module: "coreclr.dll", Offset: 0x2f00, Function: "WKS::GCHeap::Promote", FunctionOffset: 0x40, Trust: dumpfacts.TrustCFI},
				{Address: 0x7ff6a1b21f40, Module: "w3wp.exe", Offset: 0x1f40, Trust: dumpfacts.TrustScan}}},
			{ID: 0x1b00, Name: ".NET TP Worker", Frames: []string{"ntdll.dll+0x9f3a4"},
				Stack: []dumpfacts.StackFrame{{Address: 0x7ffd0a29f3a4, Module: "ntdll.dll", Offset: 0x9f3a4, Trust: dumpfacts.TrustContext}}}},
		Modules: []dumpfacts.Module{{Name: "w3wp.exe", Path: `C:\Windows\System32\inetsrv\w3wp.exe`, Base: 0x7ff6a1b20000, Size: 0x7000},
			{Name: "coreclr.dll", Path: `C:\Program Files\dotnet\shared\Microsoft.NETCore.App\8.0.11\coreclr.dll`, Base: 0x7ffd05e40000, Size: 0x4c1000, Version: &v}},
		Memory:         &dumpfacts.Memory{Committed: 3100 << 20, Private: 2800 << 20, Image: 210 << 20, Mapped: 90 << 20, Reserved: 1 << 30, Regions: 1811},
		Handles:        &dumpfacts.Handles{Total: 2212, ByType: map[string]int{"Event": 1200, "File": 512, "Key": 500}},
		Runtimes:       []dumpfacts.Runtime{{Name: ".NET 8.0", Module: "coreclr.dll", Version: &v}},
		Managed:        true,
		SymbolsMissing: []string{"w3wp.exe"},
		Dump:           dumpfacts.Dump{Type: "full", Size: 3 << 30, BytesRead: 1 << 20, Streams: 12, MemoryRanges: 1800, MemoryBytes: 3 << 30},
		Findings: []dumpfacts.Finding{
			{Severity: dumpfacts.Critical, Text: "Access violation writing 0x45 (a null or near-null pointer) in coreclr.dll+0x1a1b2 on thread 0x1a2c [EXCEPTION_ACCESS_VIOLATION_WRITE]",
				Next: "Open this dump in Visual Studio (Debug with Mixed) or WinDbg and run `!analyze -v`; switch to the crashing thread with `~~[0x1a2c]s` and read its stack with `k`. For the managed side: WinDbg with SOS (`!pe`, `!clrstack`) or `dotnet-dump analyze` on Windows (`pe`, `clrstack`)."},
			{Severity: dumpfacts.Info, Text: dumpfacts.ManagedNote},
			{Severity: dumpfacts.Info, Text: "Runtime: .NET 8.0 (coreclr.dll 8.0.1124.51707)"},
			{Severity: dumpfacts.Info, Text: "Memory: 3.0 GiB committed (2.7 GiB private, 210.0 MiB image, 90.0 MiB mapped), 1.0 GiB reserved"},
		},
	}
	dumps := []*DumpReport{
		{Capture: capture(web, "3a9f01c2", 4120, 48*time.Second), Analysis: crashed, AnalyzedAt: t0.Add(70 * time.Second)},
		{Capture: capture(web, "7be210aa", 3880, 52*time.Second), AnalysisError: "minidump: Memory64List range past the end of the file at offset 0x1c8", AnalyzedAt: t0.Add(75 * time.Second)},
		{Capture: capture(api, "51aa9e0d", 7304, 61*time.Second), AnalyzedAt: t0.Add(62 * time.Second)},
	}
	return m, jobs, dumps
}
