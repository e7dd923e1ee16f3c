package autoheal

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeLogs is a RawLogs folder in memory, shared by its instances.
type fakeLogs struct {
	mu     sync.Mutex
	files  map[string][]byte
	mtime  time.Time
	reads  []int64         // bytes asked per read
	no     bool            // no RawLogs folder
	fail   error           // listing fails
	down   map[string]bool // instances whose listing fails
	lists  map[string]int  // listings per instance
	insts  []string
	ignore bool // answer ranged reads with the whole file (a server ignoring Range)
}

func (f *fakeLogs) Instances(context.Context, string) ([]string, error) { return f.insts, nil }
func (f *fakeLogs) MachineName(_ context.Context, _, id string) (string, error) {
	return "M-" + id, nil
}
func (f *fakeLogs) ListLogs(_ context.Context, _, inst string) ([]LogFileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lists == nil {
		f.lists = map[string]int{}
	}
	f.lists[inst]++
	if f.down[inst] {
		return nil, fmt.Errorf("kudu: instance %s: 502", inst)
	}
	if f.no {
		return nil, ErrNoWebLogs
	}
	if f.fail != nil {
		return nil, f.fail
	}
	var out []LogFileInfo
	for n, b := range f.files {
		out = append(out, LogFileInfo{Name: n, Size: int64(len(b)), MTime: f.mtime})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
func (f *fakeLogs) ReadLog(_ context.Context, _, _ string, file LogFileInfo, off, n int64) ([]byte, int64, error) {
	name := file.Name
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads = append(f.reads, n)
	b, ok := f.files[name]
	if !ok {
		return nil, 0, fmt.Errorf("no file %s", name)
	}
	if off >= int64(len(b)) {
		return nil, int64(len(b)), nil // 416
	}
	end := min(off+n, int64(len(b)))
	return append([]byte(nil), b[off:end]...), int64(len(b)), nil
}

func (f *fakeLogs) write(name, s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.files == nil {
		f.files = map[string][]byte{}
	}
	f.files[name] = append(f.files[name], s...)
}

func (f *fakeLogs) set(name, s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[name] = []byte(s)
}

// recObs records observed requests per instance.
type recObs struct {
	mu   sync.Mutex
	reqs map[string][]Request
}

func (o *recObs) ObserveProcess(string, string, ProcessSample) {}
func (o *recObs) Forget(string, string)                        {}
func (o *recObs) ObserveRequests(_, inst string, rs ...Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.reqs == nil {
		o.reqs = map[string][]Request{}
	}
	o.reqs[inst] = append(o.reqs[inst], rs...)
}

func (o *recObs) paths(inst string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var p []string
	for _, r := range o.reqs[inst] {
		p = append(p, r.Path)
	}
	return strings.Join(p, ",")
}

var tailNow = time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC)

const shortFields = "#Fields: date time cs-uri-stem sc-status time-taken\n"

func reqLine(path string) string { return "2026-03-02 10:29:50 " + path + " 200 10\n" }

func newTailSource(f *fakeLogs) *WebLogs {
	return &WebLogs{Reader: f, Sites: []string{"site"}, Now: func() time.Time { return tailNow }}
}

// Rotation: a new file appears, the old one stops growing; both are read
// from where each left off.
func TestWebLogsRotation(t *testing.T) {
	f := &fakeLogs{insts: []string{"i1"}, mtime: tailNow}
	f.write("a.log", shortFields+reqLine("/1"))
	src, obs := newTailSource(f), &recObs{}
	src.Poll(context.Background(), obs)
	f.write("a.log", reqLine("/2"))
	f.write("b.log", shortFields+reqLine("/3"))
	src.Poll(context.Background(), obs)
	src.Poll(context.Background(), obs) // nothing new: nothing read again
	// Files are read concurrently: order across files is not kept.
	got := strings.Split(obs.paths("M-i1"), ",")
	sort.Strings(got)
	if strings.Join(got, ",") != "/1,/2,/3" {
		t.Fatalf("observed %q, want /1,/2,/3 once each", got)
	}
}

// Truncation: a file shorter than what was read is read again from 0.
func TestWebLogsTruncation(t *testing.T) {
	f := &fakeLogs{insts: []string{"i1"}, mtime: tailNow}
	f.write("a.log", shortFields+reqLine("/1")+reqLine("/2"))
	src, obs := newTailSource(f), &recObs{}
	src.Poll(context.Background(), obs)
	f.set("a.log", shortFields+reqLine("/3"))
	src.Poll(context.Background(), obs)
	if got := obs.paths("M-i1"); got != "/1,/2,/3" {
		t.Fatalf("observed %q, want /1,/2,/3", got)
	}
}

// A 416 (the file shrank between the listing and the read) restarts the
// file at 0 on the next poll without losing lines.
func TestWebLogs416Restarts(t *testing.T) {
	f := &fakeLogs{insts: []string{"i1"}, mtime: tailNow}
	f.write("a.log", shortFields+reqLine("/1")+reqLine("/2"))
	src, obs := newTailSource(f), &recObs{}
	src.Poll(context.Background(), obs)
	// The listing says it grew, the read finds it truncated (416).
	size := int64(len(f.files["a.log"]))
	f.write("a.log", reqLine("/x"))
	list, _ := f.ListLogs(context.Background(), "", "")
	f.set("a.log", shortFields)
	src.readFile(context.Background(), "site", src.state("site"), []string{"i1"}, "i1", list[0], obs, tailNow)
	if st := src.state("site").files["a.log"]; st.tail.off != 0 {
		t.Fatalf("offset %d after a 416 below %d, want 0", st.tail.off, size)
	}
	f.write("a.log", reqLine("/3"))
	src.Poll(context.Background(), obs)
	if got := obs.paths("M-i1"); got != "/1,/2,/3" {
		t.Fatalf("observed %q, want /1,/2,/3", got)
	}
}

// Reads are bounded: a big file is read MaxRead bytes per poll, and a
// line cut at the boundary is completed by the next read.
func TestWebLogsBoundedReads(t *testing.T) {
	f := &fakeLogs{insts: []string{"i1"}, mtime: tailNow}
	var b strings.Builder
	b.WriteString(shortFields)
	for i := range 100 {
		b.WriteString(reqLine(fmt.Sprintf("/%d", i)))
	}
	f.write("a.log", b.String())
	src, obs := newTailSource(f), &recObs{}
	src.MaxRead = 100
	polls := 0
	for obs.paths("M-i1") == "" || len(obs.reqs["M-i1"]) < 100 {
		if polls++; polls > 100 {
			t.Fatalf("not caught up after 100 polls: %d requests", len(obs.reqs["M-i1"]))
		}
		src.Poll(context.Background(), obs)
	}
	for _, n := range f.reads {
		if n > 100 {
			t.Fatalf("read of %d bytes, above MaxRead 100", n)
		}
	}
	for i, r := range obs.reqs["M-i1"] {
		if r.Path != fmt.Sprintf("/%d", i) {
			t.Fatalf("request %d is %s", i, r.Path)
		}
	}
}

// Requests older than Keep are not observed (a first read of a long file
// feeds only what a window can use).
func TestWebLogsKeep(t *testing.T) {
	f := &fakeLogs{insts: []string{"i1"}, mtime: tailNow}
	f.write("a.log", shortFields+"2026-03-02 09:00:00 /old 200 10\n"+reqLine("/new"))
	src, obs := newTailSource(f), &recObs{}
	src.Poll(context.Background(), obs)
	if got := obs.paths("M-i1"); got != "/new" {
		t.Fatalf("observed %q, want /new only", got)
	}
}

// With several instances and no way to attribute a file, its requests are
// held (bounded) until a pinned Kudu request names the instance.
func TestWebLogsPendingUntilAttributed(t *testing.T) {
	f := &fakeLogs{insts: []string{"i1", "i2"}, mtime: tailNow}
	fields := "#Fields: date time s-sitename cs-uri-stem cs(Cookie) sc-status time-taken\n"
	f.write("a.log", fields)
	for i := range 5 {
		f.write("a.log", fmt.Sprintf("2026-03-02 10:29:50 SITE /%d - 200 10\n", i))
	}
	src, obs := newTailSource(f), &recObs{}
	src.MaxPending = 3
	src.Poll(context.Background(), obs)
	if len(obs.reqs) != 0 {
		t.Fatalf("observed before attribution: %+v", obs.reqs)
	}
	f.write("a.log", "2026-03-02 10:29:55 ~1SITE /api/vfs/LogFiles/http/RawLogs/ ARRAffinity=i2;+ARRAffinitySameSite=i2 200 3\n")
	src.Poll(context.Background(), obs)
	if got := obs.paths("M-i2"); got != "/2,/3,/4" {
		t.Fatalf("observed %q on i2, want the 3 held most recent requests", got)
	}
}

// With a metrics source beside it (Handover), the logs count only
// requests from the minute they take over: the metrics had the earlier
// ones. Unreadable logs hand the site back to the metrics.
func TestWebLogsHandover(t *testing.T) {
	f := &fakeLogs{insts: []string{"i1"}, mtime: tailNow}
	f.write("a.log", shortFields+reqLine("/before"))
	src, obs := newTailSource(f), &recObs{}
	src.Handover = true
	src.Poll(context.Background(), obs)
	f.write("a.log", "2026-03-02 10:30:00 /after 200 10\n")
	src.Poll(context.Background(), obs)
	if got := obs.paths("M-i1"); got != "/after" {
		t.Fatalf("observed %q, want /after only (10:29:50 was the metrics' minute)", got)
	}
	if !src.Active("site") {
		t.Fatal("not active")
	}
	f.mu.Lock()
	f.fail = fmt.Errorf("kudu: 503")
	f.mu.Unlock()
	src.Poll(context.Background(), obs)
	if src.Active("site") {
		t.Fatal("still active while the logs cannot be read")
	}
}

// A client's affinity cookie attributes a file until a pinned Kudu request
// says otherwise; a cookie naming no current instance is not evidence.
func TestWebLogsAttributionByCookie(t *testing.T) {
	f := &fakeLogs{insts: []string{"i1", "i2"}, mtime: tailNow}
	fields := "#Fields: date time s-sitename cs-uri-stem cs(Cookie) sc-status time-taken\n"
	f.write("a.log", fields+"2026-03-02 10:29:50 SITE /0 ARRAffinity=gone 200 10\n")
	src, obs := newTailSource(f), &recObs{}
	src.Poll(context.Background(), obs)
	if len(obs.reqs) != 0 {
		t.Fatalf("attributed by a cookie of a vanished instance: %+v", obs.reqs)
	}
	f.write("a.log", "2026-03-02 10:29:51 SITE /1 ARRAffinity=i1 200 10\n")
	src.Poll(context.Background(), obs)
	if got := obs.paths("M-i1"); got != "/0,/1" {
		t.Fatalf("observed %q on i1, want /0,/1 (the held one too)", got)
	}
	f.write("a.log", "2026-03-02 10:29:52 ~1SITE /api/vfs/ ARRAffinity=i2 200 3\n2026-03-02 10:29:53 SITE /2 ARRAffinity=i1 200 10\n")
	src.Poll(context.Background(), obs)
	if got := obs.paths("M-i2"); got != "/2" {
		t.Fatalf("observed %q on i2, want /2: the pinned Kudu request outranks clients' cookies", got)
	}
}

// A layout without fields the rules read is said once, naming them.
func TestWebLogsWarnsMissingFields(t *testing.T) {
	f := &fakeLogs{insts: []string{"i1"}, mtime: tailNow}
	f.write("a.log", shortFields+reqLine("/1"))
	var out strings.Builder
	src := newTailSource(f)
	src.Log = slog.New(slog.NewTextHandler(&out, nil))
	src.Poll(context.Background(), &recObs{})
	f.write("a.log", reqLine("/2"))
	src.Poll(context.Background(), &recObs{})
	if n := strings.Count(out.String(), `missing="sc-substatus sc-win32-status"`); n != 1 {
		t.Fatalf("warned %d times, want once:\n%s", n, out.String())
	}
}

// Every instance is listed (pinned) only while a file needs attributing;
// then one listing does, through another instance when the first fails.
func TestWebLogsPinsOnlyWhileNeeded(t *testing.T) {
	f := &fakeLogs{insts: []string{"i1", "i2"}, mtime: tailNow}
	fields := "#Fields: date time s-computername cs-uri-stem sc-status time-taken\n"
	f.write("a.log", fields+"2026-03-02 10:29:50 RD1 /0 200 10\n")
	src, obs := newTailSource(f), &recObs{}
	src.Poll(context.Background(), obs) // no file known yet: both pinned
	src.Poll(context.Background(), obs) // the file names its machine: one listing
	if f.lists["i1"] != 2 || f.lists["i2"] != 1 {
		t.Fatalf("listings %v, want i1 twice and i2 once", f.lists)
	}
	f.write("b.log", "#Fields: date time cs-uri-stem sc-status time-taken\n2026-03-02 10:29:51 /1 200 10\n")
	src.Poll(context.Background(), obs) // b.log found, not attributed
	src.Poll(context.Background(), obs) // so both pinned again
	if f.lists["i2"] != 2 {
		t.Fatalf("listings %v, want i2 pinned again while b.log has no owner", f.lists)
	}
	f.mu.Lock()
	f.down = map[string]bool{"i1": true}
	f.files = map[string][]byte{"a.log": f.files["a.log"]} // b.log deleted: no file needs an owner
	f.mu.Unlock()
	f.write("a.log", "2026-03-02 10:29:52 RD1 /2 200 10\n")
	src.Poll(context.Background(), obs)
	if !src.Active("site") || !strings.HasSuffix(obs.paths("RD1"), "/2") {
		t.Fatalf("active %v, observed %q: want the folder listed through i2 when i1 fails", src.Active("site"), obs.paths("RD1"))
	}
}
