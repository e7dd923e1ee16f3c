package worker

import (
	"fmt"
	"slices"
	"strings"
)

// noMatchReason says that nothing on an instance matched the selector, what
// was asked for, and which processes the instance does run, so the person
// can correct the selector without listing processes by hand.
func noMatchReason(sel *selector, procs []Process) string {
	var b strings.Builder
	b.WriteString("no process on this instance matches ")
	b.WriteString(sel.describe())
	counts := map[string]int{}
	for _, p := range procs {
		if p.Name != "" {
			counts[strings.ToLower(p.Name)]++
		}
	}
	if len(counts) == 0 {
		b.WriteString("; Kudu listed no processes")
		return b.String()
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	slices.Sort(names)
	b.WriteString("; processes found: ")
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
		if c := counts[n]; c > 1 {
			fmt.Fprintf(&b, " ×%d", c)
		}
	}
	return b.String()
}

// describe names what the selector asks for, in the words of its flags.
func (s *selector) describe() string {
	var parts []string
	if len(s.names) > 0 {
		names := make([]string, 0, len(s.names))
		for n := range s.names {
			names = append(names, n)
		}
		slices.Sort(names)
		parts = append(parts, "process "+strings.Join(names, "|"))
	}
	if s.re != nil {
		parts = append(parts, "name /"+s.re.String()+"/")
	}
	if len(s.pids) > 0 {
		pids := make([]int, 0, len(s.pids))
		for p := range s.pids {
			pids = append(pids, p)
		}
		slices.Sort(pids)
		parts = append(parts, fmt.Sprintf("pids %v", pids))
	}
	if s.children {
		parts = append(parts, "children of the app's w3wp")
	}
	if s.minAge > 0 {
		parts = append(parts, "older than "+s.minAge.String())
	}
	if len(parts) == 0 {
		return "the app's own w3wp"
	}
	return strings.Join(parts, ", ")
}
