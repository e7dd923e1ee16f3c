package harness

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
	"github.com/dumpflow/dumpflow/pkg/layout"
	"github.com/dumpflow/dumpflow/pkg/messages"
	"github.com/dumpflow/dumpflow/pkg/report"
)

func TestVerifyDumpFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	t0 := time.Now().UTC()
	inc := messages.IncidentID(t0, "manual", "verify-test")
	dump := []byte("MDMP dump bytes")
	dumpKey := layout.DumpKey(t0, inc, "shop", "in1", "w3wp", 42)
	analysisKey := layout.DumpReportKey(inc, "shop", "in1", "w3wp", 42)
	put(t, b, dumpKey, dump, map[string]string{"sha256": hexSHA(dump)})
	dr, err := json.Marshal(report.DumpReport{Capture: &messages.DumpCaptured{DumpKey: dumpKey, SHA256: hexSHA(dump)}})
	if err != nil {
		t.Fatal(err)
	}
	put(t, b, analysisKey, dr, nil)
	rep := &report.Incident{ID: inc, Targets: []report.Target{{App: "shop", Instance: "in1",
		Outcome: messages.OutcomeCaptured, DumpKey: dumpKey, AnalysisKey: analysisKey}}}

	if n, err := VerifyDumpFiles(ctx, b, dir, rep); err != nil || n != 1 {
		t.Fatalf("VerifyDumpFiles = %d, %v; want 1, nil", n, err)
	}
	// A dump file the report does not know of.
	if err := os.WriteFile(b.Path("stray.dmp"), dump, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyDumpFiles(ctx, b, dir, rep); err == nil || !strings.Contains(err.Error(), "stray.dmp") {
		t.Errorf("VerifyDumpFiles with a stray dump = %v, want it named", err)
	}
	os.Remove(b.Path("stray.dmp"))
	// A dump whose bytes changed on disk.
	if err := os.WriteFile(b.Path(dumpKey), []byte("MDMP dump bytez"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyDumpFiles(ctx, b, dir, rep); err == nil || !strings.Contains(err.Error(), "sha256sum") {
		t.Errorf("VerifyDumpFiles with a changed dump = %v, want a sha256sum mismatch", err)
	}
}
