package kudu

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeVFS emulates the command API and the VFS behaviour the staged
// strategy relies on (kudu-api.md, "VFS, command API and the staged dump
// file"): the tool's file answers 404 while it is being written, GET
// honours Range/If-Range with a strong ETag from the write time, DELETE
// needs If-Match.
type fakeVFS struct {
	t         *testing.T
	mu        sync.Mutex
	files     map[string][]byte
	mtime     map[string]int64
	locked    map[string]bool
	dirMade   bool
	writeTime time.Duration
	payload   []byte
	// behaviour switches
	cutFirstGET   bool // first full GET is cut after 1/3 of the file
	lostAnswer    bool // the command call gets a 502 while the tool keeps writing
	abortCommand  bool // Kudu's idle rule kills the tool
	noFile        bool // the tool exits without writing
	throttled     bool // the front end answers the command call 429: nothing starts
	changeOnRange bool // the file is rewritten before the resume
	commands      []map[string]string
	gets          int
}

func newFakeVFS(t *testing.T) (*fakeVFS, *Client, *recorder) {
	f := &fakeVFS{t: t, files: map[string][]byte{}, mtime: map[string]int64{}, locked: map[string]bool{},
		writeTime: 60 * time.Millisecond, payload: fakeDump(300 << 10)}
	srv, rec := fakeServer(t, map[string]http.HandlerFunc{
		"PUT /api/vfs/data/dumpflow/":          f.mkdir,
		"POST /api/command":                    f.command,
		"GET /api/vfs/data/dumpflow/":          f.list,
		"GET /api/vfs/data/dumpflow/{name}":    f.get,
		"HEAD /api/vfs/data/dumpflow/{name}":   f.get,
		"DELETE /api/vfs/data/dumpflow/{name}": f.delete,
	})
	return f, newTestClient(t, srv, nil), rec
}

func etagOf(ticks int64) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(ticks))
	return `"` + hex.EncodeToString(b[:]) + `"`
}

func (f *fakeVFS) mkdir(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dirMade {
		jsonReply(409, `{"Message":"Cannot create directory"}`)(w, r)
		return
	}
	f.dirMade = true
	w.WriteHeader(201)
}

func (f *fakeVFS) command(w http.ResponseWriter, r *http.Request) {
	var body map[string]string
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		w.WriteHeader(400)
		return
	}
	f.mu.Lock()
	f.commands = append(f.commands, body)
	f.mu.Unlock()
	fields := strings.Fields(body["command"])
	name := fields[len(fields)-1]
	if f.throttled {
		w.Header().Set("Retry-After", "2")
		jsonReply(429, `{"Message":"Too many requests"}`)(w, r)
		return
	}
	if f.abortCommand {
		jsonReply(200, `{"Output":null,"Error":"Command 'starter.cmd \"D:\\devto ...' was aborted due to no output nor CPU activity for 60 seconds.","ExitCode":-1}`)(w, r)
		return
	}
	if f.noFile {
		jsonReply(200, `{"Output":"ProcDump v11.0\r\n","Error":"Error opening process 4120\r\n","ExitCode":-2}`)(w, r)
		return
	}
	f.mu.Lock()
	f.locked[name] = true
	f.files[name] = f.payload[:len(f.payload)/2] // partially written
	f.mu.Unlock()
	finish := func() {
		f.mu.Lock()
		f.files[name] = f.payload
		f.mtime[name] = time.Now().UnixNano()/100 + 621355968000000000
		delete(f.locked, name)
		f.mu.Unlock()
	}
	if f.lostAnswer {
		go func() { time.Sleep(f.writeTime); finish() }()
		jsonReply(502, `<html><head><title>502 Bad Gateway</title></head></html>`)(w, r)
		return
	}
	time.Sleep(f.writeTime)
	finish()
	jsonReply(200, `{"Output":"Dump 1 complete: 1 MB written in 0.1 seconds\r\n","Error":"","ExitCode":1}`)(w, r)
}

func (f *fakeVFS) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var entries []map[string]any
	for name, data := range f.files {
		entries = append(entries, map[string]any{"name": name, "size": len(data), "mime": "application/octet-stream",
			"mtime": "2025-03-01T10:15:30.1234567+00:00", "crtime": "2025-03-01T10:15:30.1234567+00:00",
			"href": "http://" + r.Host + "/api/vfs/data/dumpflow/" + name, "path": `D:\home\data\dumpflow\` + name})
	}
	b, _ := json.Marshal(entries)
	jsonReply(200, string(b))(w, r)
}

func (f *fakeVFS) get(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f.mu.Lock()
	data, ok := f.files[name]
	locked := f.locked[name]
	mt := f.mtime[name]
	f.gets++
	cut := f.cutFirstGET && r.Method == http.MethodGet && r.Header.Get("Range") == ""
	if cut {
		f.cutFirstGET = false
	}
	if f.changeOnRange && r.Header.Get("Range") != "" {
		mt++
		f.mtime[name] = mt
	}
	f.mu.Unlock()
	if !ok {
		jsonReply(404, `{"Message":"'D:\\home\\data\\dumpflow\\`+name+`' not found."}`)(w, r)
		return
	}
	if locked {
		jsonReply(404, `{"Message":"An error has occurred.","ExceptionMessage":"The process cannot access the file because it is being used by another process.","ExceptionType":"System.IO.IOException"}`)(w, r)
		return
	}
	w.Header().Set("ETag", etagOf(mt))
	if cut {
		hijackCut(f.t, w, len(data), data[:len(data)/3], true)
		return
	}
	http.ServeContent(w, r, "", time.Unix(0, 0), bytes.NewReader(data))
}

func (f *fakeVFS) delete(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.files[name]; !ok {
		jsonReply(404, `{"Message":"not found"}`)(w, r)
		return
	}
	im := r.Header.Get("If-Match")
	if im == "" {
		jsonReply(412, `{"Message":"Updating an existing resource requires an If-Match header carrying a single, strong ETag."}`)(w, r)
		return
	}
	if im != "*" && im != etagOf(f.mtime[name]) {
		w.Header().Set("ETag", etagOf(f.mtime[name]))
		jsonReply(412, `{"Message":"etag mismatch"}`)(w, r)
		return
	}
	delete(f.files, name)
	w.WriteHeader(200)
}

func fastStaged(t *testing.T, c *Client) *Staged {
	s, err := NewStaged(c, StagedConfig{PollInterval: 10 * time.Millisecond, MaxWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStagedDumpResumed(t *testing.T) {
	f, c, rec := newFakeVFS(t)
	f.cutFirstGET = true
	d, err := fastStaged(t, c).Dump(context.Background(), 4120, DumpOptions{Type: DumpFull, Name: "job1/inst a/4120"})
	if err != nil {
		t.Fatal(err)
	}
	if d.FileName != "job1_inst_a_4120.dmp" || d.Size != int64(len(f.payload)) {
		t.Fatalf("dump %q size %d", d.FileName, d.Size)
	}
	got, err := io.ReadAll(d.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, f.payload) {
		t.Fatalf("payload differs: %d bytes", len(got))
	}
	if err := d.Body.Close(); err != nil {
		t.Fatalf("close/delete: %v", err)
	}
	f.mu.Lock()
	_, left := f.files[d.FileName]
	cmd := f.commands[0]
	f.mu.Unlock()
	if left {
		t.Fatal("staged file not deleted")
	}
	if cmd["command"] != `"`+DefaultToolPath+`" -accepteula -r -ma 4120 job1_inst_a_4120.dmp` || cmd["dir"] != DefaultStagedDir {
		t.Fatalf("command %q", cmd)
	}
	var resumed, del *http.Request
	for _, r := range rec.all() {
		if r.Method == http.MethodGet && r.Header.Get("Range") != "" {
			resumed = r
		}
		if r.Method == http.MethodDelete && r.Header.Get("If-Match") != "*" {
			del = r
		}
	}
	if resumed == nil || resumed.Header.Get("Range") != "bytes=102400-" || !strings.HasPrefix(resumed.Header.Get("If-Range"), `"`) {
		t.Fatalf("resume request: %v", resumed)
	}
	if del == nil || del.Header.Get("If-Match") != resumed.Header.Get("If-Range") {
		t.Fatalf("delete must carry the file's ETag: %v", del)
	}
}

func TestStagedAnswerLost(t *testing.T) {
	f, c, _ := newFakeVFS(t)
	f.lostAnswer = true
	d, err := fastStaged(t, c).Dump(context.Background(), 4120, DumpOptions{Type: DumpMini})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Body.Close()
	got, err := io.ReadAll(d.Body)
	if err != nil || !bytes.Equal(got, f.payload) {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	if !strings.Contains(f.commands[0]["command"], "-mm 4120 dumpflow-4120-") {
		t.Fatalf("mini command %q", f.commands[0]["command"])
	}
}

func TestStagedFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*fakeVFS)
		is   error
	}{
		{"aborted by idle rule", func(f *fakeVFS) { f.abortCommand = true }, ErrStaged},
		{"no file", func(f *fakeVFS) { f.noFile = true }, ErrStaged},
		{"changed before resume", func(f *fakeVFS) { f.cutFirstGET, f.changeOnRange = true, true }, ErrChanged},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, c, _ := newFakeVFS(t)
			tc.set(f)
			d, err := fastStaged(t, c).Dump(context.Background(), 4120, DumpOptions{Type: DumpFull})
			if err == nil {
				defer d.Body.Close()
				_, err = io.Copy(io.Discard, d.Body)
			}
			if !errors.Is(err, tc.is) || IsTransient(err) {
				t.Fatalf("got %v (transient %v)", err, IsTransient(err))
			}
		})
	}
}

// TestStagedToolNotStarted: a command call refused by the front end (429)
// never started the tool; the listing shows no file, so the throttle error
// comes back (transient, with its Retry-After) instead of a 30-minute wait.
func TestStagedToolNotStarted(t *testing.T) {
	f, c, _ := newFakeVFS(t)
	f.throttled = true
	_, err := fastStaged(t, c).Dump(context.Background(), 4120, DumpOptions{Type: DumpFull})
	if d, ok := RetryAfter(err); !ok || d != 2*time.Second || !IsTransient(err) {
		t.Fatalf("got %v", err)
	}
}

func TestStagedRefusalsAndConfig(t *testing.T) {
	_, c, rec := newFakeVFS(t)
	s := fastStaged(t, c)
	for _, pid := range []int{0, -1} {
		if _, err := s.Dump(context.Background(), pid, DumpOptions{}); !errors.Is(err, ErrRefused) {
			t.Fatalf("pid %d: %v", pid, err)
		}
	}
	if _, err := s.Dump(context.Background(), 5, DumpOptions{Type: 0x6}); err == nil {
		t.Fatal("unsupported dump type accepted")
	}
	if len(rec.all()) != 0 {
		t.Fatal("refused dumps reached the server")
	}
	for _, cfg := range []StagedConfig{{FullArgs: "-ma {pid}"}, {Dir: `..\x`}, {ToolPath: `a"b`}, {PollInterval: -1}} {
		if _, err := NewStaged(c, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}
