package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/backend"
	"github.com/dumpflow/dumpflow/pkg/blob"
	"github.com/dumpflow/dumpflow/pkg/blob/fileblob"
)

const minidump2 = "../../../shared/testdata/minidumps/breakpad/minidump2.dmp"

func needDump(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(minidump2); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v (shared test data is required in CI)", minidump2, err)
		}
		t.Skipf("%s absent: shared test data not available", minidump2)
	}
}

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), err
}

// TestAnalyzeJSONContract checks every name docs/contracts.md fixes for
// `analyzer analyze`, valued as Breakpad values minidump2.dmp.
func TestAnalyzeJSONContract(t *testing.T) {
	needDump(t)
	out, err := runCLI(t, "analyze", minidump2, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	get := func(path string) any {
		var v any = doc
		for _, p := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[p]
		}
		return v
	}
	for path, want := range map[string]any{
		"system.cpu": "x86", "system.os_version": "5.1.2600", "system.service_pack": "Service Pack 2",
		"process.pid": 3932.0, "process.create_time": "2007-02-14T19:13:55Z",
		"exception.code": "0xc0000005", "exception.address": "0x40429e", "exception.thread_id": 3060.0,
		"crash.reason": "EXCEPTION_ACCESS_VIOLATION_WRITE", "crash.address": "0x45",
		"dump.type": "mini", "dump.size": 11317.0,
	} {
		if got := get(path); got != want {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	if n, ok := get("dump.bytes_read").(float64); !ok || n <= 0 {
		t.Errorf("dump.bytes_read = %v", get("dump.bytes_read"))
	}
	threads := doc["threads"].([]any)
	th0 := threads[0].(map[string]any)
	if th0["id"] != 3060.0 || th0["frames"].([]any)[0] != "test_app.exe+0x429e" {
		t.Errorf("threads[0] = %v", th0)
	}
	mod0 := doc["modules"].([]any)[0].(map[string]any)
	if mod0["name"] != "test_app.exe" || mod0["base"] != "0x400000" || mod0["size"] != 184320.0 || mod0["version"] != nil {
		t.Errorf("modules[0] = %v", mod0)
	}
}

func TestAnalyzeFromBlob(t *testing.T) {
	needDump(t)
	dir := t.TempDir()
	b, err := fileblob.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(minidump2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := b.NewWriter(context.Background(), "dumps/x/w3wp-1.dmp", &blob.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, f); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b.Close()
	url := backend.FileURL(dir)
	for _, args := range [][]string{
		{"analyze", url + "#dumps/x/w3wp-1.dmp", "--format", "md"},
		{"analyze", "--blob", url, "dumps/x/w3wp-1.dmp", "--format", "md"},
	} {
		out, err := runCLI(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(out, "EXCEPTION_ACCESS_VIOLATION_WRITE") {
			t.Errorf("%v: output lacks the crash reason:\n%s", args, out)
		}
	}
	if _, err := runCLI(t, "analyze", url+"#dumps/missing.dmp"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("missing blob: %v, want blob.ErrNotFound", err)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"analyze"}, {"analyze", "a.dmp", "b.dmp"}, {"analyze", "a.dmp", "--format", "pdf"},
		{"serve", "extra"},
	} {
		if _, err := runCLI(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	if _, err := runCLI(t, "analyze", filepath.Join(t.TempDir(), "none.dmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestRenderSample(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, "render-sample", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != filepath.Join(dir, "index.html") {
		t.Errorf("stdout = %q", out)
	}
	for _, name := range []string{"index.html", "index.md", "index.json", "dumps/shop-web/3a9f01c2/w3wp-4120.json"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	if _, err := runCLI(t, "render-sample"); !errors.Is(err, errUsage) {
		t.Errorf("without --out: %v", err)
	}
}

// TestAnalyzeWithSymbols runs `analyzer analyze --symbols` on minidump2
// with the shared Breakpad store: the crashing thread's stack names its
// functions and source lines in JSON and Markdown.
func TestAnalyzeWithSymbols(t *testing.T) {
	needDump(t)
	const store = "../../../shared/testdata/symbols"
	cache := t.TempDir()
	out, err := runCLI(t, "analyze", minidump2, "--symbols", store, "--symbols-cache", cache, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Threads []struct {
			Frames []string `json:"frames"`
			Stack  []struct {
				Module, Function, File, Trust string
				Line                          int
			} `json:"stack"`
		} `json:"threads"`
		Crash struct{ Symbol string } `json:"crash"`
		Dump  struct {
			Size        int64    `json:"size"`
			BytesRead   int64    `json:"bytes_read"`
			StreamTypes []string `json:"stream_types"`
		} `json:"dump"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Dump.BytesRead <= 0 || doc.Dump.BytesRead > doc.Dump.Size || len(doc.Dump.StreamTypes) == 0 {
		t.Errorf("dump = %+v", doc.Dump)
	}
	if doc.Crash.Symbol != "test_app.exe!`anonymous namespace'::CrashFunction [test_app.cc : 58 + 0x3]" {
		t.Errorf("crash.symbol = %q", doc.Crash.Symbol)
	}
	th := doc.Threads[0]
	if len(th.Stack) != 4 || th.Frames[1] != "test_app.exe+0x4200" {
		t.Fatalf("thread 0: frames %v stack %+v", th.Frames, th.Stack)
	}
	if f := th.Stack[1]; f.Function != "main" || f.File != `c:\test_app.cc` || f.Line != 65 || f.Trust != "cfi" {
		t.Errorf("frame 1 = %+v", f)
	}
	md, err := runCLI(t, "analyze", minidump2, "--symbols", store, "--symbols-cache", cache, "--format", "md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md, "test_app.exe!main [test_app.cc : 65 + 0x5]") {
		t.Errorf("markdown lacks Breakpad's frame:\n%s", md)
	}
	if _, err := runCLI(t, "analyze", minidump2, "--symbols", "srv*"); !errors.Is(err, errUsage) {
		t.Errorf("bad --symbols: err = %v, want a usage error", err)
	}
}
