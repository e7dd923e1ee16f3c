package layout

import (
	"strings"
	"testing"
	"time"
)

func TestSegmentIsSafe(t *testing.T) {
	for _, in := range []string{"", ".", "..", "../../etc/passwd", "a/b", `a\b`, "w3wp\x00", "naïve", strings.Repeat("x", 500), "C:evil"} {
		s := Segment(in)
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "/\\:\x00") || len(s) > MaxSegment {
			t.Errorf("Segment(%q) = %q is unsafe", in, s)
		}
	}
	if Segment("contoso_staging") != "contoso_staging" {
		t.Error("safe segment altered")
	}
}

func TestKeysFollowDesignLayout(t *testing.T) {
	day := time.Date(2026, 11, 26, 23, 59, 0, 0, time.FixedZone("x", -5*3600)) // 27th in UTC
	got := DumpKey(day, "inc1", "contoso", "inst", "W3WP", 4120)
	if want := "dumps/2026-11-27/inc1/contoso/inst/w3wp-4120.dmp"; got != want {
		t.Fatalf("DumpKey = %q, want %q", got, want)
	}
	if got := DumpReportKey("inc1", "contoso", "inst", "w3wp", 4120); got != "reports/inc1/dumps/contoso/inst/w3wp-4120.json" {
		t.Fatal(got)
	}
	if got := SeriesDumpKey(day, "inc1", "contoso", "inst", "W3WP", 4120, 2); got != "dumps/2026-11-27/inc1/contoso/inst/w3wp-4120.2.dmp" {
		t.Fatal(got)
	}
	if got := SeriesDumpReportKey("inc1", "contoso", "inst", "w3wp", 4120, 3); got != "reports/inc1/dumps/contoso/inst/w3wp-4120.3.json" {
		t.Fatal(got)
	}
	if SeriesDumpKey(day, "inc1", "contoso", "inst", "w3wp", 4120, 0) != DumpKey(day, "inc1", "contoso", "inst", "w3wp", 4120) {
		t.Fatal("index 0 is not the plain dump key")
	}
	if got := ReportKey("inc1", "html"); got != "reports/inc1/index.html" {
		t.Fatal(got)
	}
	if got := JobKey("inc1", "contoso"); got != "incidents/inc1/jobs/contoso.json" || !strings.HasPrefix(got, JobPrefix("inc1")) {
		t.Fatal(got)
	}
	for _, seg := range strings.Split(ManifestKey(".."), "/") {
		if seg == ".." || seg == "." || seg == "" {
			t.Fatalf("traversal segment in %q", ManifestKey(".."))
		}
	}
	if SiteLockKey("Contoso") != SiteLockKey("contoso") {
		t.Fatal("site lock key must ignore case")
	}
}
