package worker

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the summary for a person: one line per target —
// captured, failed (with the reason), skipped (with why) — and one per
// kill, under a count line. It is what `worker capture` prints on stderr
// before the JSON line on stdout.
func (s *Summary) WriteText(w io.Writer) {
	killed := 0
	for _, k := range s.Killed {
		if k.Done {
			killed++
		}
	}
	fmt.Fprintf(w, "%d captured, %d failed, %d skipped", len(s.Dumps), len(s.Failures), len(s.Skipped))
	if len(s.Killed) > 0 {
		fmt.Fprintf(w, ", %d of %d killed", killed, len(s.Killed))
	}
	fmt.Fprintln(w)
	for _, d := range s.Dumps {
		state := "captured"
		if d.Existing {
			state = "stored before"
		}
		fmt.Fprintf(w, "  ✓ %-13s %s  %s  %s-%d  %s  sha256 %s  %s\n", state, d.App, where(d.Instance, d.MachineName),
			d.Process, d.PID, mib(d.Bytes), short(d.SHA256, 12), d.Key)
	}
	for _, f := range s.Failures {
		fmt.Fprintf(w, "  ✗ %-13s %s  %s%s: %s\n", "failed", f.App, where(f.Instance, f.MachineName), proc(f.Process, f.PID), f.Reason)
	}
	for _, f := range s.Skipped {
		fmt.Fprintf(w, "  - %-13s %s  %s%s: %s\n", "skipped", f.App, where(f.Instance, f.MachineName), proc(f.Process, f.PID), f.Reason)
	}
	for _, k := range s.Killed {
		switch {
		case k.Done && k.NewPID != 0:
			fmt.Fprintf(w, "  † %-13s %s  %s  pid %d (restarted as pid %d)\n", "killed", k.App, where(k.Instance, k.MachineName), k.PID, k.NewPID)
		case k.Done:
			fmt.Fprintf(w, "  † %-13s %s  %s  pid %d\n", "killed", k.App, where(k.Instance, k.MachineName), k.PID)
		default:
			fmt.Fprintf(w, "  ✗ %-13s %s  %s  pid %d: %s\n", "not killed", k.App, where(k.Instance, k.MachineName), k.PID, k.Reason)
		}
	}
}

// where names an instance by machine name (what the portal shows) and the
// start of its id; "" for app-level lines.
func where(instance, machine string) string {
	switch {
	case instance == "":
		return "(app)"
	case machine != "":
		return machine + " (" + short(instance, 8) + ")"
	default:
		return "instance " + short(instance, 12)
	}
}

func proc(name string, pid int) string {
	if pid == 0 {
		return ""
	}
	if name == "" {
		name = "pid"
	}
	return fmt.Sprintf("  %s-%d", name, pid)
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return strings.TrimSpace(s)
}
