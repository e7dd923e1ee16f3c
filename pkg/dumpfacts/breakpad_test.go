package dumpfacts

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/minidump"
)

// breakpadStacks reads the thread lines of `minidump_stackwalk -m`
// output: thread|frame|module|function|file|line|offset. A frame reads
// "module+0xoffset" (the offset is module-relative without symbols) or
// the bare address outside every module.
func breakpadStacks(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), "|")
		if len(p) != 7 {
			continue
		}
		th, err1 := strconv.Atoi(p[0])
		_, err2 := strconv.Atoi(p[1])
		if err1 != nil || err2 != nil {
			continue
		}
		for len(out) <= th {
			out = append(out, nil)
		}
		fr := p[2] + "+" + p[6]
		if p[2] == "" {
			fr = p[6]
		}
		out[th] = append(out[th], normHex(fr))
	}
	return out
}

// normHex lower-cases and strips leading zeros of the hex number after "0x".
func normHex(s string) string {
	i := strings.Index(s, "0x")
	if i < 0 {
		return s
	}
	v, err := strconv.ParseUint(s[i+2:], 16, 64)
	if err != nil {
		return s
	}
	return s[:i] + fmt.Sprintf("%#x", v)
}

// TestStacksMatchBreakpad walks every thread of the shared dumps without
// symbols and compares each stack, frame by frame, with Breakpad's
// minidump_stackwalk -m output for the same dump.
func TestStacksMatchBreakpad(t *testing.T) {
	total, same := 0, 0
	for _, f := range dumpFiles(t) {
		want := breakpadStacks(t, strings.TrimSuffix(f, ".dmp")+".breakpad-stackwalk-m.txt")
		r, err := minidump.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		a, err := Analyze(context.Background(), r, Options{})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		var threads []Thread
		for _, th := range a.Threads {
			if !th.DumpWriter {
				threads = append(threads, th)
			}
		}
		if len(threads) != len(want) {
			t.Errorf("%s: %d threads, Breakpad walked %d", filepath.Base(f), len(threads), len(want))
			continue
		}
		for i, th := range threads {
			total++
			w := want[i]
			if th.Truncated && len(w) > len(th.Frames) {
				w = w[:len(th.Frames)] // Options.MaxFrames cut the walk
			}
			if strings.Join(th.Frames, " ") == strings.Join(w, " ") && len(th.Stack) == len(th.Frames) {
				same++
				continue
			}
			t.Errorf("%s thread %d (%#x):\n got  %v\n want %v", filepath.Base(f), i, th.ID, th.Frames, want[i])
		}
	}
	t.Logf("%d of %d stacks identical to Breakpad's (up to Options.MaxFrames)", same, total)
}
