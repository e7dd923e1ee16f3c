package sim

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDumpRawAndZip(t *testing.T) {
	cfg := Config{Seed: 42, DumpSize: 1<<20 + 123, Instances: 2}
	s := newSim(t, cfg)
	a := s.Info().Apps[0]
	in := a.Instances[1]
	pid := pidOf(t, s, "app1", in, "-1")
	r := get(t, a.SCMURL+"/api/processes/-1/dump?dumpType=2", affinity(in)...)
	wantStatus(t, r, 200)
	if r.header.Get("Content-Length") != "1048699" || len(r.body) != 1<<20+123 || r.header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("raw: length %q/%d type %q", r.header.Get("Content-Length"), len(r.body), r.header.Get("Content-Type"))
	}
	cd := regexp.MustCompile(`^attachment; filename=w3wp-` + in[:6] + `-\d\d-\d\d-\d\d-\d\d-\d\d\.dmp$`)
	if !cd.MatchString(r.header.Get("Content-Disposition")) {
		t.Errorf("Content-Disposition %q", r.header.Get("Content-Disposition"))
	}
	got, streams, err := dumpPID(r.body)
	if err != nil || int(got) != pid || streams != 6 {
		t.Fatalf("dump pid %d streams %d err %v, want pid %d", got, streams, err, pid)
	}
	sum := sha256.Sum256(r.body)
	ev := events(t, s)
	last := ev[len(ev)-1]
	if last.Kind != EventDump || !last.Complete || last.SHA256 != hex.EncodeToString(sum[:]) || last.PID != pid || last.Instance != in || last.DumpType != 2 || last.Bytes != 1<<20+123 {
		t.Fatalf("event %+v", last)
	}
	// Same inputs in another simulator with the same seed: same bytes.
	s2 := newSim(t, cfg)
	r2 := get(t, s2.URL+"/app1/api/processes/-1/dump?dumpType=2", affinity(in)...)
	if sha256.Sum256(r2.body) != sum {
		t.Error("same seed, app, instance, pid and type gave different bytes")
	}
	// Mini dump: natural size, different bytes.
	mini := get(t, a.SCMURL+"/api/processes/-1/dump", affinity(in)...)
	if len(mini.body) >= 1<<20 || len(mini.body) < 64 || bytes.Equal(mini.body[:64], r.body[:64]) {
		t.Errorf("mini dump of %d bytes", len(mini.body))
	}
	// Zip: chunked, no Content-Length, minidump.dmp equal to the raw dump.
	req, _ := http.NewRequest(http.MethodGet, a.SCMURL+"/api/processes/-1/dump?dumpType=2&format=ZIP", nil)
	req.Header.Set("Cookie", "ARRAffinity="+in)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	zb, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || res.ContentLength != -1 || len(res.TransferEncoding) == 0 || res.Header.Get("Content-Type") != "application/zip" ||
		!strings.HasSuffix(res.Header.Get("Content-Disposition"), ".zip") {
		t.Fatalf("zip: %v %d len=%d te=%v %v", err, res.StatusCode, res.ContentLength, res.TransferEncoding, res.Header)
	}
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 3 || zr.File[0].Name != "minidump.dmp" {
		t.Fatalf("zip entries %v", zr.File)
	}
	rc, _ := zr.File[0].Open()
	inner, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(inner, r.body) {
		t.Fatalf("zip entry differs from raw dump (%v)", err)
	}
}

func TestDumpErrors(t *testing.T) {
	s := newSim(t, Config{SKU: "Free"})
	u := s.URL + "/app1/api/processes/-1/dump"
	wantBody(t, get(t, u+"?format=tar"), 400, `{"Message":"Requested value 'tar' was not found."}`)
	wantBody(t, get(t, u+"?format=5"), 400, `{"Message":"Dump format (5) is not supported."}`)
	wantStatus(t, get(t, u+"?dumpType=abc"), 400)
	wantBody(t, get(t, u+"?dumpType=2"), 500, `{"Message":"Site sku (Free) does not support full minidump."}`)
	wantStatus(t, get(t, u+"?dumptype=6&Format=Raw"), 200) // 2|4 skips the SKU check; names are case-insensitive
	wantStatus(t, get(t, u+"?dumpType=262144"), 500)       // outside MINIDUMP_TYPE's valid mask
	wantStatus(t, get(t, u+"?format=1"), 200)
	wantStatus(t, get(t, s.URL+"/app1/api/processes/4/dump"), 404)
}

func TestStagingFileIsPerApp(t *testing.T) {
	s := newSim(t, Config{Apps: 2, Instances: 2, DumpWriteTime: time.Second})
	info := s.Info()
	a := info.Apps[0]
	var wg sync.WaitGroup
	results := make([]resp, 3)
	start := func(i int, url, inst string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = get(t, url+"/api/processes/-1/dump", affinity(inst)...)
		}()
	}
	start(0, a.SCMURL, a.Instances[0])
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if len(decode[[]map[string]any](t, get(t, a.SCMURL+"/api/vfs/LogFiles/minidump/"))) == 1 || time.Now().After(deadline) {
			break
		}
	}
	// While the first dump is being written: the staging file is locked.
	r := get(t, a.SCMURL+"/api/vfs/LogFiles/minidump/minidump.dmp")
	if e := decode[kuduException](t, r); r.status != 404 || !strings.Contains(e.ExceptionMessage, "being used by another process") {
		t.Errorf("VFS GET of the staging file while written: %d %s", r.status, r.body)
	}
	list := decode[[]map[string]any](t, get(t, a.SCMURL+"/api/vfs/LogFiles/minidump/"))
	if len(list) != 1 || list[0]["name"] != "minidump.dmp" {
		t.Errorf("staging listing %v", list)
	}
	start(1, a.SCMURL, a.Instances[1])                       // same app, other instance: fails
	start(2, info.Apps[1].SCMURL, info.Apps[1].Instances[0]) // other app: fine
	wg.Wait()
	wantStatus(t, results[0], 200)
	wantBody(t, results[1], 500, `{"Message":"`+strings.ReplaceAll(errStagingBusyMsg, `\`, `\\`)+`"}`)
	wantStatus(t, results[2], 200)
	// The file vanished with the response.
	r = get(t, a.SCMURL+"/api/vfs/LogFiles/minidump/minidump.dmp")
	if r.status != 404 || !strings.Contains(string(r.body), "not found") {
		t.Errorf("staging file after the response: %d %s", r.status, r.body)
	}
	wantStatus(t, get(t, a.SCMURL+"/api/processes/-1/dump", affinity(a.Instances[1])...), 200)
}

func TestFirstByteLimit(t *testing.T) {
	// The write outlasts the limit by far, so the 504 (and the next
	// request) arrive while it goes on even on a heavily loaded machine.
	const write = 3 * time.Second
	s := newSim(t, Config{DumpWriteTime: write, FirstByteLimit: 100 * time.Millisecond})
	u := s.URL + "/app1/api/processes/-1/dump"
	t0 := time.Now()
	r := get(t, u)
	if r.status != 504 || len(r.body) != 0 || time.Since(t0) >= write {
		t.Fatalf("first-byte limit: %d %q after %v", r.status, r.body, time.Since(t0))
	}
	// Kudu still writes the abandoned dump: the app's staging file is busy.
	r = get(t, u)
	if r.status != 500 || !strings.Contains(string(r.body), "being used by another process") {
		t.Fatalf("dump during the abandoned write: %d %s", r.status, r.body)
	}
	// When the abandoned write is over, the file is gone and dumps start again.
	for deadline := time.Now().Add(write + 15*time.Second); ; time.Sleep(20 * time.Millisecond) {
		if len(decode[[]map[string]any](t, get(t, s.URL+"/app1/api/vfs/LogFiles/minidump/"))) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("staging file still held long after the write time")
		}
	}
	wantStatus(t, get(t, u), 504)
	ev := events(t, s)
	cut := 0
	for _, e := range ev {
		if e.Kind == EventDump && e.Status == 504 && !e.Complete {
			cut++
		}
	}
	if cut != 2 {
		t.Errorf("%d cut dump events: %+v", cut, ev)
	}
}

// TestStagingFileReadableWhileStreamed: once written, the staging file is
// held by the raw response with share Read, so a VFS GET in that window
// reads the same dump (the only way to save it, kudu-api.md).
func TestStagingFileReadableWhileStreamed(t *testing.T) {
	s := newSim(t, Config{DumpSize: 1 << 20, Faults: Faults{Throughput: 2 << 20}})
	a := s.Info().Apps[0]
	direct := make(chan resp, 1)
	go func() { direct <- get(t, a.SCMURL+"/api/processes/-1/dump?dumpType=2") }()
	var viaVFS resp
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if viaVFS = get(t, a.SCMURL+"/api/vfs/LogFiles/minidump/minidump.dmp"); viaVFS.status == 200 {
			break
		}
	}
	d := <-direct
	if viaVFS.status != 200 || d.status != 200 || !bytes.Equal(viaVFS.body, d.body) {
		t.Fatalf("VFS %d (%d bytes), direct %d (%d bytes)", viaVFS.status, len(viaVFS.body), d.status, len(d.body))
	}
}
