// Command analyzer-bench analyzes hostile minidumps of up to 64 MB
// (pkg/minidump/minidumptest: lists as long as the file allows, every entry
// pointing at the same bytes) as `analyzer analyze FILE --format json` does
// (analyzer.AnalyzeFile, then report.WriteDump), each in a fresh process,
// and prints per dump the wall time, that process's peak RSS (VmHWM, read
// by the process itself at the end: getrusage would count the parent's
// memory, which exec inherits) and the JSON size; the last stdout line is
// JSON. Goal (issue 22, point 2): every dump within 5 s and 256 MiB.
//
//	go run ./test/bench/analyzer [--only NAME]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/pkg/analyzer"
	"github.com/dumpflow/dumpflow/pkg/dumpfacts"
	"github.com/dumpflow/dumpflow/pkg/minidump/minidumptest"
	"github.com/dumpflow/dumpflow/pkg/report"
)

type row struct {
	Name      string  `json:"name"`
	FileMB    float64 `json:"file_mb"`
	Seconds   float64 `json:"seconds"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
	JSONMB    float64 `json:"json_mb"`
	Error     string  `json:"error,omitempty"`
}

var cases = []struct {
	name string
	h    minidumptest.Hostile
}{
	{"100k threads, one stack", minidumptest.Hostile{Threads: 100_000}},
	{"1M threads, one stack", minidumptest.Hostile{Threads: 1_000_000}},
	{"500k modules", minidumptest.Hostile{Modules: 500_000, NameLen: 16}},
	{"500k modules, 4 KiB names", minidumptest.Hostile{Modules: 500_000, NameLen: 2048}},
	{"1.5M handles, 4 KiB names", minidumptest.Hostile{Handles: 1_500_000, NameLen: 2048}},
	{"4M thread names, 4 KiB", minidumptest.Hostile{Threads: 1, ThreadNames: 4_000_000, NameLen: 2048}},
	{"400k unloaded, 4 KiB names", minidumptest.Hostile{Unloaded: 400_000, NameLen: 2048}},
	{"3.5M memory ranges + 64k threads", minidumptest.Hostile{Threads: 65_536, MemoryRanges: 3_500_000}},
	{"1.2M memory infos", minidumptest.Hostile{MemoryInfos: 1_200_000}},
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "analyzer-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	only := flag.String("only", "", "run only the case with this name")
	child := flag.Bool("child", false, "internal: analyze FILE into OUT and print the peak RSS")
	flag.Parse()
	if *child {
		return analyzeChild(flag.Arg(0), flag.Arg(1))
	}
	dir, err := os.MkdirTemp("", "analyzer-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var rows []row
	failed := false
	for _, c := range cases {
		if *only != "" && c.name != *only {
			continue
		}
		data := c.h.Build()
		file := filepath.Join(dir, "dump.dmp")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			return err
		}
		r := row{Name: c.name, FileMB: float64(len(data)) / 1e6}
		data = nil
		outFile := filepath.Join(dir, "out.json")
		cmd := exec.Command(self, "--child", file, outFile)
		cmd.Stderr = os.Stderr
		start := time.Now()
		hwm, runErr := cmd.Output()
		r.Seconds = time.Since(start).Seconds()
		if kb, err := strconv.ParseFloat(strings.TrimSpace(string(hwm)), 64); err == nil {
			r.PeakRSSMB = kb / 1024
		}
		if fi, err := os.Stat(outFile); err == nil {
			r.JSONMB = float64(fi.Size()) / 1e6
		}
		if runErr != nil {
			r.Error = runErr.Error()
		}
		if r.Seconds > 5 || r.PeakRSSMB > 256 || runErr != nil {
			failed = true
		}
		fmt.Printf("%-36s %6.1f MB file  %6.2f s  %7.1f MB peak RSS  %7.2f MB JSON %s\n", r.Name, r.FileMB, r.Seconds, r.PeakRSSMB, r.JSONMB, r.Error)
		rows = append(rows, r)
	}
	j, _ := json.Marshal(rows)
	fmt.Println(string(j))
	if failed {
		return errors.New("goal missed: want every dump within 5 s and 256 MiB")
	}
	return nil
}

// analyzeChild is one `analyzer analyze FILE --format json` into out; it
// prints its own peak RSS in kB.
func analyzeChild(file, out string) error {
	a, err := analyzer.AnalyzeFile(context.Background(), file, dumpfacts.Options{})
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := report.WriteDump(w, a, filepath.Base(file), report.FormatJSON); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Println(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return nil
		}
	}
	return errors.New("no VmHWM in /proc/self/status")
}
