package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestVFS(t *testing.T) {
	s := newSim(t, Config{})
	v := s.URL + "/app1/api/vfs/"
	wantStatus(t, call(t, http.MethodPut, v+"data/dumpflow/", nil), 201)
	wantStatus(t, call(t, http.MethodPut, v+"data/dumpflow/", nil), 409)
	wantStatus(t, call(t, http.MethodPut, v+"data/dumpflow/a.txt", strings.NewReader("0123456789")), 201)
	r := call(t, http.MethodPut, v+"data/dumpflow/a.txt", strings.NewReader("abcdefghij"))
	wantStatus(t, r, 412)
	// Directory rules: 307 both ways.
	r = get(t, v+"data/dumpflow")
	if r.status != 307 || r.header.Get("Location") != v+"data/dumpflow/" {
		t.Fatalf("dir without slash: %d %q", r.status, r.header.Get("Location"))
	}
	r = get(t, v+"data/dumpflow/a.txt/")
	if r.status != 307 || r.header.Get("Location") != v+"data/dumpflow/a.txt" {
		t.Fatalf("file with slash: %d %q", r.status, r.header.Get("Location"))
	}
	// Listing: seven keys each.
	r = get(t, v+"data/dumpflow/")
	var list []map[string]any
	if err := json.Unmarshal(r.body, &list); err != nil || len(list) != 1 {
		t.Fatalf("listing %s", r.body)
	}
	var keys []string
	for k := range list[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "crtime,href,mime,mtime,name,path,size" || list[0]["path"] != `D:\home\data\dumpflow\a.txt` ||
		list[0]["href"] != v+"data/dumpflow/a.txt" || list[0]["size"] != 10.0 {
		t.Errorf("entry %v", list[0])
	}
	root := decode[[]map[string]any](t, get(t, v))
	found := 0
	for _, e := range root {
		if e["name"] == "SystemDrive" || e["name"] == "LocalSiteRoot" {
			found++
		}
	}
	if found != 2 {
		t.Errorf("root listing %v", root)
	}
	// GET: ETag from the mtime ticks, no Accept-Ranges; ranges.
	r = get(t, v+"data/dumpflow/a.txt")
	tag := r.header.Get("ETag")
	if r.status != 200 || string(r.body) != "0123456789" || len(tag) != 18 || r.header.Get("Accept-Ranges") != "" || r.header.Get("Last-Modified") == "" {
		t.Fatalf("GET: %d %q etag %q %v", r.status, r.body, tag, r.header)
	}
	wantBody(t, get(t, v+"data/dumpflow/a.txt", "Range", "bytes=4-"), 200, "0123456789") // no If-Range: no range
	r = get(t, v+"data/dumpflow/a.txt", "Range", "bytes=4-", "If-Range", tag)
	if r.status != 206 || string(r.body) != "456789" || r.header.Get("Content-Range") != "bytes 4-9/10" {
		t.Fatalf("range: %d %q %q", r.status, r.body, r.header.Get("Content-Range"))
	}
	wantBody(t, get(t, v+"data/dumpflow/a.txt", "Range", "bytes=4-5", "If-Range", tag), 206, "45")
	wantBody(t, get(t, v+"data/dumpflow/a.txt", "Range", "bytes=4-5", "If-Range", `"0000000000000000"`), 200, "0123456789")
	r = get(t, v+"data/dumpflow/a.txt", "Range", "bytes=20-", "If-Range", tag)
	if r.status != 416 || r.header.Get("Content-Range") != "bytes */10" {
		t.Errorf("range past the end: %d %q", r.status, r.header.Get("Content-Range"))
	}
	wantStatus(t, get(t, v+"data/dumpflow/a.txt", "If-None-Match", tag), 304)
	if r := call(t, http.MethodHead, v+"data/dumpflow/a.txt", nil); r.status != 200 || r.header.Get("ETag") != tag || len(r.body) != 0 {
		t.Errorf("HEAD: %d %v", r.status, r.header)
	}
	// PUT over an existing file needs If-Match.
	time.Sleep(2 * time.Millisecond)
	r = call(t, http.MethodPut, v+"data/dumpflow/a.txt", strings.NewReader("abc"), "If-Match", tag)
	wantStatus(t, r, 204)
	tag2 := r.header.Get("ETag")
	// DELETE: If-Match required; stale tag refused; 200 empty on success.
	r = call(t, http.MethodDelete, v+"data/dumpflow/a.txt", nil)
	if r.status != 412 || !strings.Contains(string(r.body), "ETag does not represent the latest state") || r.header.Get("ETag") != tag2 {
		t.Fatalf("DELETE without If-Match: %d %s", r.status, r.body)
	}
	wantStatus(t, call(t, http.MethodDelete, v+"data/dumpflow/a.txt", nil, "If-Match", tag), 412)
	r = call(t, http.MethodDelete, v+"data/dumpflow/a.txt", nil, "If-Match", tag2)
	if r.status != 200 || len(r.body) != 0 {
		t.Fatalf("DELETE: %d %q", r.status, r.body)
	}
	wantBody(t, get(t, v+"data/dumpflow/a.txt"), 404, `{"Message":"'D:\\home\\data\\dumpflow\\a.txt' not found."}`)
	wantStatus(t, call(t, http.MethodDelete, v+"data/dumpflow/a.txt", nil, "If-Match", "*"), 404)
	// Folders: 409 when not empty unless recursive.
	wantStatus(t, call(t, http.MethodPut, v+"data/x/b.txt", strings.NewReader("b")), 201)
	wantStatus(t, call(t, http.MethodDelete, v+"data/x/", nil), 409)
	wantStatus(t, call(t, http.MethodDelete, v+"data/x/?recursive=true", nil), 200)
	wantStatus(t, get(t, v+"data/x/"), 404)
	wantStatus(t, get(t, v+"../secret"), 400)
	// The deprecated /vfs alias is the same tree.
	wantStatus(t, get(t, s.URL+"/app1/vfs/data/dumpflow/"), 200)
}

// TestStagedDumpThroughCommandAndVFS follows the staged strategy: ProcDump
// started with the command API writes under %HOME%; the file is locked
// (404) while written, then complete; it is read in two ranges with
// If-Range and deleted with If-Match.
func TestStagedDumpThroughCommandAndVFS(t *testing.T) {
	s := newSim(t, Config{Instances: 2, DumpWriteTime: 500 * time.Millisecond, DumpSize: 1 << 20})
	a := s.Info().Apps[0]
	in := a.Instances[1]
	pid := pidOf(t, s, "app1", in, "-1")
	wantStatus(t, call(t, http.MethodPut, a.SCMURL+"/api/vfs/data/dumpflow/", nil), 201)
	cmd := `"D:\devtools\sysinternals\procdump.exe" -accepteula -ma ` + strconv.Itoa(pid) + ` job1.dmp`
	body, _ := json.Marshal(map[string]string{"command": cmd, "dir": `data\dumpflow`})
	done := make(chan resp, 1)
	go func() {
		done <- call(t, http.MethodPost, a.SCMURL+"/api/command", bytes.NewReader(body), affinity(in)...)
	}()
	u := a.SCMURL + "/api/vfs/data/dumpflow/job1.dmp"
	var sawLocked bool
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r := get(t, u)
		if r.status == 404 && strings.Contains(string(r.body), "being used by another process") {
			sawLocked = true
			// The tool is visible in the instance's process list meanwhile.
			names := ""
			for _, p := range procs(t, s, "app1", in) {
				names += p["name"].(string) + ","
			}
			if !strings.Contains(names, "procdump") {
				t.Errorf("procdump not listed: %s", names)
			}
			break
		}
	}
	if !sawLocked {
		t.Fatal("never saw the file locked while written")
	}
	res := <-done
	cr := decode[commandResult](t, res)
	if res.status != 200 || cr.ExitCode != 0 || cr.Output == nil || !strings.Contains(*cr.Output, "Dump 1 complete") {
		t.Fatalf("command: %d %s", res.status, res.body)
	}
	head := call(t, http.MethodHead, u, nil)
	tag := head.header.Get("ETag")
	if head.status != 200 || head.header.Get("Content-Length") != "1048576" {
		t.Fatalf("HEAD after write: %d %v", head.status, head.header)
	}
	first := get(t, u, "Range", "bytes=0-99999", "If-Range", tag)
	rest := get(t, u, "Range", "bytes=100000-", "If-Range", tag)
	if first.status != 206 || rest.status != 206 {
		t.Fatalf("ranges %d %d", first.status, rest.status)
	}
	whole := append(first.body, rest.body...)
	got, _, err := dumpPID(whole)
	if err != nil || int(got) != pid || len(whole) != 1<<20 {
		t.Fatalf("staged dump pid %d (%v), %d bytes", got, err, len(whole))
	}
	sum := sha256.Sum256(whole)
	var staged *Event
	for _, e := range events(t, s) {
		if e.Kind == EventStagedDump {
			e := e
			staged = &e
		}
	}
	if staged == nil || !staged.Complete || staged.SHA256 != hex.EncodeToString(sum[:]) || staged.Instance != in || staged.Path != `data\dumpflow\job1.dmp` {
		t.Fatalf("staged event %+v", staged)
	}
	// Same process and type through the direct route: the same bytes.
	direct := get(t, a.SCMURL+"/api/processes/"+strconv.Itoa(pid)+"/dump?dumpType=2", affinity(in)...)
	if sha256.Sum256(direct.body) != sum {
		t.Error("direct and staged dumps of one process differ")
	}
	// A second run without -o refuses to overwrite.
	cr = decode[commandResult](t, call(t, http.MethodPost, a.SCMURL+"/api/command", bytes.NewReader(body), affinity(in)...))
	if cr.ExitCode == 0 {
		t.Error("procdump overwrote an existing file without -o")
	}
	wantStatus(t, call(t, http.MethodDelete, u, nil), 412)
	wantStatus(t, call(t, http.MethodDelete, u, nil, "If-Match", tag), 200)
	// Other commands.
	cr = decode[commandResult](t, call(t, http.MethodPost, a.SCMURL+"/api/command", strings.NewReader(`{"command":"echo hi"}`)))
	if cr.Output == nil || *cr.Output != "hi\r\n" {
		t.Errorf("echo: %+v", cr)
	}
	cr = decode[commandResult](t, call(t, http.MethodPost, a.SCMURL+"/api/command", strings.NewReader(`{"command":"frob"}`)))
	if cr.ExitCode != 9009 || !strings.Contains(cr.Error, "is not recognized") {
		t.Errorf("unknown command: %+v", cr)
	}
	wantStatus(t, call(t, http.MethodPost, a.SCMURL+"/api/command", strings.NewReader(`{`)), 400)
}

func TestCommandIdleRule(t *testing.T) {
	s := newSim(t, Config{DumpWriteTime: 3 * time.Second, CommandIdleTimeout: 300 * time.Millisecond, DumpToolSilent: true, DumpSize: 1 << 20})
	a := s.Info().Apps[0]
	pid := pidOf(t, s, "app1", a.Instances[0], "-1")
	body := `{"command":"procdump64.exe -accepteula -ma ` + strconv.Itoa(pid) + ` %HOME%\\data\\x.dmp","dir":""}`
	t0 := time.Now()
	cr := decode[commandResult](t, call(t, http.MethodPost, a.SCMURL+"/api/command", strings.NewReader(body)))
	if cr.ExitCode != -1 || cr.Output != nil || !strings.Contains(cr.Error, "was aborted due to no output nor CPU activity") || time.Since(t0) > 2*time.Second {
		t.Fatalf("idle kill: %+v after %v", cr, time.Since(t0))
	}
	// The killed tool leaves a truncated, unlocked file.
	r := get(t, a.SCMURL+"/api/vfs/data/x.dmp")
	if r.status != 200 || len(r.body) >= 1<<20 {
		t.Fatalf("truncated file: %d, %d bytes", r.status, len(r.body))
	}
}

func TestCommandFirstByteLimit(t *testing.T) {
	s := newSim(t, Config{DumpWriteTime: 600 * time.Millisecond, FirstByteLimit: 100 * time.Millisecond, DumpSize: 1 << 20})
	a := s.Info().Apps[0]
	pid := pidOf(t, s, "app1", a.Instances[0], "-1")
	body := `{"command":"procdump -ma ` + strconv.Itoa(pid) + ` D:\\home\\data\\y.dmp"}`
	r := call(t, http.MethodPost, a.SCMURL+"/api/command", strings.NewReader(body))
	wantStatus(t, r, 504)
	// The command goes on: the file completes anyway.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r := call(t, http.MethodHead, a.SCMURL+"/api/vfs/data/y.dmp", nil)
		if r.status == 200 && r.header.Get("Content-Length") == "1048576" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("file never completed: %d", r.status)
		}
	}
}

func TestVFSRangeIgnoresIfNoneMatch(t *testing.T) {
	s := newSim(t, Config{})
	v := s.URL + "/app1/api/vfs/data/r.txt"
	r := call(t, http.MethodPut, v, strings.NewReader("0123456789"))
	wantStatus(t, r, 201)
	wantBody(t, get(t, v, "Range", "bytes=0-1", "If-Range", r.header.Get("ETag"), "If-None-Match", r.header.Get("ETag")), 206, "01")
}
