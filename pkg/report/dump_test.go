package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestDumpGolden(t *testing.T) {
	_, _, dumps := Sample()
	a := dumps[0].Analysis
	for _, f := range []string{FormatJSON, FormatMarkdown, FormatHTML} {
		var buf bytes.Buffer
		if err := WriteDump(&buf, a, "w3wp-4120.dmp", f); err != nil {
			t.Fatal(err)
		}
		golden(t, "dump."+f, buf.Bytes())
	}
	if err := WriteDump(&bytes.Buffer{}, a, "x", "pdf"); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestDumpReportRoundTrip checks that the stored per-dump document keeps
// the analysis fields at the top level (the `analyzer analyze` JSON) and
// decodes back to the same analysis.
func TestDumpReportRoundTrip(t *testing.T) {
	_, _, dumps := Sample()
	b, err := json.Marshal(dumps[0])
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"capture", "system", "process", "crash", "threads", "modules", "dump"} {
		if _, ok := top[k]; !ok {
			t.Errorf("stored dump report lacks top-level %q", k)
		}
	}
	back, err := DecodeDumpReport(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(back)
	if !bytes.Equal(again, b) {
		t.Errorf("round trip changed the document:\n%s\n%s", b, again)
	}
	if _, err := DecodeDumpReport([]byte("{")); err == nil {
		t.Error("truncated JSON accepted")
	}
}

func TestMarkdownCodeSpans(t *testing.T) {
	for in, want := range map[string]string{
		"kernel32.dll!BaseProcessStart + 0x23":                                       "`kernel32.dll!BaseProcessStart + 0x23`",
		"test_app.exe!`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3]": "`` test_app.exe!`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3] ``",
	} {
		if got := mdCode(in); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
}
