package machine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadAndCPU(t *testing.T) {
	if _, err := os.Stat("/proc/loadavg"); err != nil {
		t.Skip("no /proc/loadavg here")
	}
	if f := strings.Fields(LoadAverage()); len(f) != 3 {
		t.Errorf("LoadAverage() = %q, want three fields", LoadAverage())
	}
	if l := Load1(); l < 0 {
		t.Errorf("Load1() = %v", l)
	}
	before := CPUTime()
	x := 0
	for i := range 50_000_000 {
		x += i % 7
	}
	_ = x
	if after := CPUTime(); after <= before {
		t.Errorf("CPUTime did not grow over a busy loop: %v then %v", before, after)
	}
}

func TestStartCPUProfileStopsOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	stop, err := StartCPUProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	stop() // harmless
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("profile %s: %v (size %v)", path, err, fi)
	}
	// A second profile can start once the first stopped.
	stop2, err := StartCPUProfile(filepath.Join(t.TempDir(), "again.pprof"))
	if err != nil {
		t.Fatal(err)
	}
	stop2()
}
