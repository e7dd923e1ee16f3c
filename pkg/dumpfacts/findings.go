package dumpfacts

import (
	"fmt"
	"sort"
	"strings"
)

// Thresholds above which a finding is raised.
const (
	manyThreads = 500
	manyHandles = 10000
)

// findings lists what a person should read first, most severe first.
func findings(a *Analysis) []Finding {
	var out []Finding
	add := func(sev, format string, args ...any) {
		out = append(out, Finding{Severity: sev, Text: fmt.Sprintf(format, args...)})
	}
	// next sets what to do about the finding added last.
	next := func(text string) { out[len(out)-1].Next = text }
	managed := a.Managed // a CLR module or a CLR exception
	for _, rt := range a.Runtimes {
		managed = managed || strings.Contains(strings.ToLower(rt.Name), ".net") || strings.Contains(strings.ToLower(rt.Name), "clr")
	}
	if c := a.Crash; c != nil {
		where := ""
		switch {
		case c.Symbol != "":
			where = " in " + c.Symbol
		case c.Location != "":
			where = " in " + c.Location
		}
		thread := fmt.Sprintf("thread %#x", c.ThreadID)
		if c.ThreadIndex != nil && a.Threads[*c.ThreadIndex].Name != "" {
			thread += fmt.Sprintf(" (%q)", a.Threads[*c.ThreadIndex].Name)
		}
		desc := c.Description
		if desc == "" {
			desc = "exception " + c.Reason
		}
		add(Critical, "%s%s on %s [%s]", upperFirst(desc), where, thread, c.Reason)
		n := fmt.Sprintf("Open this dump in Visual Studio (Debug with Mixed) or WinDbg and run `!analyze -v`; switch to the crashing thread with `~~[%#x]s` and read its stack with `k`.", c.ThreadID)
		if managed {
			n += " For the managed side: WinDbg with SOS (`!pe`, `!clrstack`) or `dotnet-dump analyze` on Windows (`pe`, `clrstack`)."
		}
		next(n)
	} else {
		add(Info, "No exception recorded: a snapshot of a running process (hang, high CPU or memory investigation)")
		n := "For a hang or high CPU, compare the busiest threads' stacks: `~*k` in WinDbg"
		if managed {
			n += "; for .NET, `dotnet-dump analyze` on Windows: `parallelstacks`, `clrstack -all`, `threadpool`"
		}
		next(n + ". Two dumps a few seconds apart show which threads do not move.")
	}
	if as := a.Assertion; as != nil {
		// Only the two assertion kinds Breakpad's handlers write say the
		// process stopped on purpose; an all-zero record is no assertion.
		sev := Info
		if as.Type == "invalid_parameter" || as.Type == "pure_virtual_call" {
			sev = Critical
		}
		add(sev, "Assertion record: %s", as.Text)
		if sev == Critical {
			next("Read the source at the file and line named; the dump's stack of the asserting thread shows how it got there (`k` in WinDbg).")
		}
	}
	if a.Managed {
		add(Info, "%s", ManagedNote)
	}
	for _, rt := range a.Runtimes {
		v := ""
		if rt.Version != nil {
			v = " " + *rt.Version
		}
		add(Info, "Runtime: %s (%s%s)", rt.Name, rt.Module, v)
	}
	if p := a.Process; p != nil {
		parts := []string{fmt.Sprintf("%d threads", len(a.Threads))}
		if p.UptimeSeconds != nil {
			parts = append(parts, "up "+Duration(*p.UptimeSeconds))
		}
		if p.MainModule != "" {
			parts = append([]string{p.MainModule}, parts...)
		}
		add(Info, "Process: %s", strings.Join(parts, ", "))
		if len(a.Threads) > manyThreads {
			add(Warning, "%d threads: look for thread-pool starvation or blocked threads", len(a.Threads))
			next("Group the threads by stack: `~*k` in WinDbg, or `dotnet-dump analyze` → `parallelstacks` and `threadpool` for .NET; many threads waiting on one lock or on I/O is the usual cause.")
		}
	}
	if m := a.Memory; m != nil {
		add(Info, "Memory: %s committed (%s private, %s image, %s mapped), %s reserved",
			Bytes(m.Committed), Bytes(m.Private), Bytes(m.Image), Bytes(m.Mapped), Bytes(m.Reserved))
		if a.System != nil && a.System.CPU == "x86" && m.Committed+m.Reserved > 1600<<20 {
			add(Warning, "32-bit process near its address-space limit (%s committed + reserved)", Bytes(m.Committed+m.Reserved))
			next("Switch the app to 64-bit (Configuration › General settings › Platform), or find what holds the memory with `!address -summary` (and `!dumpheap -stat` for .NET).")
		}
	}
	if h := a.Handles; h != nil {
		add(Info, "Handles: %d (%s)", h.Total, topTypes(h.ByType, 4))
		if h.Total > manyHandles {
			add(Warning, "%d open handles: a handle leak is likely", h.Total)
			next("See which type grows: `!handle 0 0` in WinDbg lists counts by type; a second dump later shows the trend.")
		}
	}
	if busy := busiest(a.Threads, 3); busy != "" {
		add(Info, "Busiest threads by CPU time: %s", busy)
	}
	for _, t := range a.Threads {
		if t.DumpWriter {
			add(Info, "Thread %#x is Breakpad's dump-writer thread, not part of the problem", t.ID)
		}
	}
	for _, p := range a.Problems {
		add(Warning, "Part of the dump could not be read: %s", p)
	}
	rank := map[string]int{Critical: 0, Warning: 1, Info: 2}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].Severity] < rank[out[j].Severity] })
	return out
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func topTypes(m map[string]int, n int) string {
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range m {
		all = append(all, kv{k, v})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].v != all[j].v {
			return all[i].v > all[j].v
		}
		return all[i].k < all[j].k
	})
	var parts []string
	for i, x := range all {
		if i == n {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, fmt.Sprintf("%d %s", x.v, x.k))
	}
	return strings.Join(parts, ", ")
}

// Duration formats seconds for people ("42s", "17m", "3h12m", "2d04h").
func Duration(s int64) string {
	switch {
	case s < 120:
		return fmt.Sprintf("%ds", s)
	case s < 7200:
		return fmt.Sprintf("%dm", s/60)
	case s < 172800:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}

// Bytes formats a byte count for people ("3.1 GiB").
func Bytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for x := n / unit; x >= unit && exp < 4; x /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// busiest lists up to n threads with the most CPU time (at least 1 s).
func busiest(threads []Thread, n int) string {
	var ts []Thread
	for _, t := range threads {
		if t.CPUSeconds != nil && *t.CPUSeconds >= 1 {
			ts = append(ts, t)
		}
	}
	sort.SliceStable(ts, func(i, j int) bool { return *ts[i].CPUSeconds > *ts[j].CPUSeconds })
	var parts []string
	for i, t := range ts {
		if i == n {
			break
		}
		where := ""
		switch {
		case len(t.Stack) > 0 && t.Stack[0].Function != "":
			where = " in " + t.Stack[0].String()
		case len(t.Frames) > 0:
			where = " in " + t.Frames[0]
		}
		parts = append(parts, fmt.Sprintf("%#x %.1f s%s", t.ID, *t.CPUSeconds, where))
	}
	return strings.Join(parts, ", ")
}
