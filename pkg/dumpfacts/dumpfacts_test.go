package dumpfacts

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/minidump"
)

// TestDumpFacts checks the facts about the file itself on a small real
// dump: bytes_read within the file (re-reads count once), the stream
// list, MiscInfo's build strings and the processor's rated clock.
func TestDumpFacts(t *testing.T) {
	dumpFiles(t)
	r, err := minidump.Open(filepath.Join(sharedDumps, "breakpad", "tiny-exe-fastfail.dmp"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a, err := Analyze(context.Background(), r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := a.Dump
	if d.BytesRead <= 0 || d.BytesRead > d.Size || d.BytesFetched < d.BytesRead {
		t.Errorf("bytes_read %d, bytes_fetched %d, size %d", d.BytesRead, d.BytesFetched, d.Size)
	}
	if len(d.StreamTypes) != d.Streams || d.StreamTypes[0] == "" {
		t.Errorf("stream_types %v for %d streams", d.StreamTypes, d.Streams)
	}
	has := map[string]bool{}
	for _, s := range d.StreamTypes {
		has[s] = true
	}
	for _, s := range []string{"ThreadListStream", "ModuleListStream", "SystemInfoStream", "MiscInfoStream"} {
		if !has[s] {
			t.Errorf("stream_types lacks %s: %v", s, d.StreamTypes)
		}
	}
	mi, err := r.MiscInfo()
	if err != nil {
		t.Fatal(err)
	}
	if mi.Flags1&minidump.MiscBuildString != 0 && (d.BuildString == "" || d.BuildString != mi.BuildString || d.DbgBuildString != mi.DbgBldStr) {
		t.Errorf("build strings %q %q, MiscInfo has %q %q", d.BuildString, d.DbgBuildString, mi.BuildString, mi.DbgBldStr)
	}
	if mi.Flags1&minidump.MiscPowerInfo != 0 && (a.System.ProcessorMaxMhz == nil || *a.System.ProcessorMaxMhz != mi.ProcessorMaxMhz) {
		t.Errorf("processor_max_mhz %v, MiscInfo has %d", a.System.ProcessorMaxMhz, mi.ProcessorMaxMhz)
	}
	if d.BuildString != "19041.1.amd64fre.vb_release.191206-1406" || d.DbgBuildString != "dbgcore.amd64,10.0.19041.789" {
		t.Errorf("build strings %q %q", d.BuildString, d.DbgBuildString)
	}
}
