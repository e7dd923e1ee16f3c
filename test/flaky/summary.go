package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
)

// event is the part of a `go test -json` event (cmd/test2json) we read.
type event struct {
	Action  string
	Package string
	Test    string
}

// summary counts test outcomes across every run.
type summary struct {
	passed    map[string]int // "pkg TestName" -> passes
	failed    map[string]int // "pkg TestName" -> failures
	pkgFailed map[string]int // packages that failed outside any test (build, panic, timeout)
	pkgFails  map[string]int // test failures per package, to tell the two apart
}

func summarize(r io.Reader) (*summary, error) {
	s := &summary{passed: map[string]int{}, failed: map[string]int{}, pkgFailed: map[string]int{}, pkgFails: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue // a build error line, already on stderr
		}
		key := e.Package + " " + e.Test
		switch {
		case e.Action == "pass" && e.Test != "":
			s.passed[key]++
		case e.Action == "fail" && e.Test != "":
			s.failed[key]++
			s.pkgFails[e.Package]++
		case e.Action == "fail":
			if s.pkgFails[e.Package] == 0 {
				s.pkgFailed[e.Package]++
			}
		}
	}
	return s, sc.Err()
}

func (s *summary) print(w io.Writer, n int) {
	total := 0
	for _, c := range s.passed {
		total += c
	}
	for _, c := range s.failed {
		total += c
	}
	if len(s.failed) == 0 && len(s.pkgFailed) == 0 {
		fmt.Fprintf(w, "flaky: %d test runs (%d rounds), none failed\n", total, n)
		return
	}
	keys := make([]string, 0, len(s.failed))
	for k := range s.failed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "flaky: %d test runs (%d rounds); failed:\n", total, n)
	for _, k := range keys {
		fmt.Fprintf(w, "  %-70s failed %d of %d\n", k, s.failed[k], s.failed[k]+s.passed[k])
	}
	for p := range s.pkgFailed {
		fmt.Fprintf(w, "  %-70s package failed outside a test (build error, panic or timeout)\n", p)
	}
}
