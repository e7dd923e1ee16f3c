package worker

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgressTotals: the running total counts each byte moved once — the
// final report of a target does not add its size again (two 1.5 GiB dumps
// once showed "1 done, 3488.4 MiB" after 1,952 MiB), and a retried attempt
// counts what it streams again, since those bytes moved again.
func TestProgressTotals(t *testing.T) {
	var out bytes.Buffer
	p := NewProgressPrinter(&out, time.Hour)
	const mb = 1 << 20
	a := Progress{Site: "app1", Instance: "i1", PID: 1, Process: "w3wp"}
	b := Progress{Site: "app1", Instance: "i2", PID: 2, Process: "w3wp"}
	report := func(base Progress, bytes int64, attempt int, done bool) {
		base.Bytes, base.Attempt, base.Done = bytes, attempt, done
		if done {
			base.Attempt, base.Outcome = 0, "captured"
		}
		p.Observe(base)
	}
	report(a, 10*mb, 1, false)
	report(b, 5*mb, 1, false)
	report(a, 20*mb, 1, false)
	report(a, 25*mb, 0, true) // a finished: 25 MiB moved for it
	if got := p.total; got != 30*mb {
		t.Fatalf("after a finished: total %d MiB, want 30 (25 of a, 5 of b)", got/mb)
	}
	report(b, 3*mb, 2, false) // b's second attempt starts over
	report(b, 8*mb, 0, true)
	if got := p.total; got != 25*mb+5*mb+8*mb {
		t.Fatalf("after b's retry: total %d MiB, want 38", got/mb)
	}
	// A small dump finished without any periodic report counts its size once.
	c := Progress{Site: "app2", Instance: "i1", PID: 3, Process: "w3wp"}
	report(c, mb/2, 0, true)
	if got := p.total; got != 38*mb+mb/2 {
		t.Fatalf("after a small dump: total %d, want %d", got, 38*mb+mb/2)
	}
	p.draw()
	p.Close()
	if s := out.String(); !strings.Contains(s, "3 done, 38.5 MiB") {
		t.Errorf("status line: %q", s)
	}
}
