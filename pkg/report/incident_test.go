package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/messages"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./pkg/report -update and review the diff", name)
	}
}

func TestIncidentGolden(t *testing.T) {
	m, jobs, dumps := Sample()
	inc := Build(m, jobs, dumps)
	for _, f := range []string{FormatJSON, FormatMarkdown, FormatHTML} {
		var buf bytes.Buffer
		if err := inc.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		golden(t, "incident."+f, buf.Bytes())
	}
}

func TestBuildIsPureAndOrderIndependent(t *testing.T) {
	m, jobs, dumps := Sample()
	render := func(jobs []*messages.JobCompleted, dumps []*DumpReport) string {
		var buf bytes.Buffer
		if err := Build(m, jobs, dumps).Write(&buf, FormatJSON); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	want := render(jobs, dumps)
	rev := slices.Clone(dumps)
	slices.Reverse(rev)
	if got := render(jobs, rev); got != want {
		t.Error("dump order changes the report")
	}
	// A duplicate JobCompleted (redelivery) changes nothing.
	if got := render(append(jobs, jobs[0]), dumps); got != want {
		t.Error("a duplicate job changes the report")
	}
}

func TestBuildCounts(t *testing.T) {
	m, jobs, dumps := Sample()
	inc := Build(m, jobs, dumps)
	want := Counts{Captured: 3, Failed: 1, Skipped: 1, Killed: 1, Analyzed: 1}
	if inc.Counts != want {
		t.Errorf("counts = %+v, want %+v", inc.Counts, want)
	}
	if inc.Complete {
		t.Error("incident with a job still running reported complete")
	}
	// Before any job reports, every app shows as pending.
	early := Build(m, nil, nil)
	if early.Counts.Pending != 2 || len(early.Targets) != 2 {
		t.Errorf("empty state: counts %+v, %d targets", early.Counts, len(early.Targets))
	}
	for _, r := range inc.Targets {
		if r.DumpLink != "" && !strings.HasPrefix(r.DumpLink, "../../dumps/") {
			t.Errorf("dump link %q is not relative to reports/{incident}/", r.DumpLink)
		}
		if r.AnalysisLink != "" && !strings.HasPrefix(r.AnalysisLink, "dumps/") {
			t.Errorf("analysis link %q is not relative to reports/{incident}/", r.AnalysisLink)
		}
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	m, jobs, dumps := Sample()
	var buf bytes.Buffer
	if err := Build(m, jobs, dumps).WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, bad := range []string{"<script src", "<link ", "http://", "https://", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML references an external asset: %q", bad)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	m, jobs, dumps := Sample()
	if err := Build(m, jobs, dumps).Write(&bytes.Buffer{}, "pdf"); err == nil {
		t.Error("unknown format accepted")
	}
}
