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
	// Links for a person to follow (the alert in the portal) are fine;
	// nothing the page loads by itself may come from elsewhere.
	for _, bad := range []string{"<script src", "<link ", `src="http`, "url(http", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML references an external asset: %q", bad)
		}
	}
	if !strings.Contains(html, `<a href="https://portal.azure.com/`) || !strings.Contains(html, `rel="noopener noreferrer"`) {
		t.Error("the trigger's portal link is missing")
	}
}

// TestReportCarriesTrigger: the report says why it exists — the alert's
// metric, observed value, threshold, window and description — and names
// instances by machine name, with every finding that calls for action
// saying what to do next.
func TestReportCarriesTrigger(t *testing.T) {
	m, jobs, dumps := Sample()
	inc := Build(m, jobs, dumps)
	var h, md bytes.Buffer
	if err := inc.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	if err := inc.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"html": h.String(), "md": md.String()} {
		for _, want := range []string{"Http5xx (Total) was 212 GreaterThan 50 over PT5M", "Checkout is failing", "RD3a9f01"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
	if !strings.Contains(h.String(), `title="instance 3a9f01c2"`) {
		t.Error("the instance id is not on hover")
	}
	for _, r := range inc.Targets {
		for _, f := range r.Findings {
			if f.Severity != "info" && f.Next == "" {
				t.Errorf("finding %q calls for action but says nothing to do next", f.Text)
			}
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	m, jobs, dumps := Sample()
	if err := Build(m, jobs, dumps).Write(&bytes.Buffer{}, "pdf"); err == nil {
		t.Error("unknown format accepted")
	}
}
