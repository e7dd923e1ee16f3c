package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	stream := strings.Join([]string{
		`{"Action":"run","Package":"p","Test":"TestA"}`,
		`{"Action":"pass","Package":"p","Test":"TestA"}`,
		`{"Action":"fail","Package":"p","Test":"TestB"}`,
		`{"Action":"pass","Package":"p","Test":"TestB"}`,
		`{"Action":"fail","Package":"p"}`,
		`# q [build failed]`,
		`{"Action":"fail","Package":"q"}`,
		`{"Action":"pass","Package":"r","Test":"TestC"}`,
	}, "\n")
	s, err := summarize(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if s.failed["p TestB"] != 1 || s.passed["p TestB"] != 1 || s.failed["p TestA"] != 0 {
		t.Errorf("counts: failed %v passed %v", s.failed, s.passed)
	}
	if s.pkgFailed["p"] != 0 || s.pkgFailed["q"] != 1 {
		t.Errorf("package failures %v: p failed through a test, q outside any", s.pkgFailed)
	}
	var out bytes.Buffer
	s.print(&out, 2)
	if !strings.Contains(out.String(), "p TestB") || !strings.Contains(out.String(), "failed 1 of 2") || !strings.Contains(out.String(), "q ") {
		t.Errorf("report:\n%s", out.String())
	}

	clean, _ := summarize(strings.NewReader(`{"Action":"pass","Package":"p","Test":"TestA"}`))
	out.Reset()
	clean.print(&out, 1)
	if !strings.Contains(out.String(), "none failed") {
		t.Errorf("clean report: %s", out.String())
	}
}
