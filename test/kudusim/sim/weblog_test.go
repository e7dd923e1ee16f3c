package sim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// Web server logs: IIS's header directives, one line per request in the
// #Fields order with '+' for spaces and '-' for none, Kudu's own requests
// as ~1{SITE} with their cookies through the log buffer, the debug
// endpoint, hourly and size rollover.
func TestWebLogs(t *testing.T) {
	clock := time.Date(2026, 3, 2, 10, 59, 0, 0, time.UTC)
	s := newSim(t, Config{Instances: 2, WebLogs: WebLogs{Apps: []string{"*"}, Now: func() time.Time { return clock }}})
	info := s.Info()
	id := info.Apps[0].Instances[0]
	base := s.URL + "/app1/api/vfs/LogFiles/http/RawLogs/"
	wantStatus(t, get(t, base), 404) // nothing logged yet: no folder

	if err := s.LogRequests("app1", id, LoggedRequest{At: clock, Path: "/api/orders", Query: "id=1", Status: 503, SubStatus: 2,
		Win32Status: 64, TimeTaken: 1500 * time.Millisecond, UserAgent: "Mozilla/5.0 (Windows)"}); err != nil {
		t.Fatal(err)
	}
	name := id[:6] + "-2026030210.log"
	body := string(get(t, base+name, affinity(id)...).body)
	want := "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-03-02 10:59:00\r\n" +
		"#Fields: date time s-sitename cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Cookie) cs(Referer) cs-host sc-status sc-substatus sc-win32-status sc-bytes cs-bytes time-taken\r\n" +
		"2026-03-02 10:59:00 APP1 GET /api/orders id=1 443 - 10.0.0.1 Mozilla/5.0+(Windows) - - app1.azurewebsites.net 503 2 64 0 0 1500\r\n"
	if body != want {
		t.Fatalf("log file:\n%q\nwant\n%q", body, want)
	}
	// That GET (pinned) is in IIS's buffer, not yet in the file; the next
	// logged request flushes it first.
	clock = clock.Add(2 * time.Minute) // a new hour: a new file
	r := call(t, http.MethodPost, s.URL+"/_sim/apps/app1/instances/"+id+"/requests", strings.NewReader(`[{"path":"/x","status":200,"time_taken_ms":7}]`))
	wantStatus(t, r, http.StatusNoContent)
	next := string(get(t, base+id[:6]+"-2026030211.log", affinity(id)...).body)
	lines := strings.Split(strings.TrimSpace(next), "\r\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[4], "2026-03-02 10:59:00 ~1APP1 GET /api/vfs/LogFiles/http/RawLogs/"+name+" - 443 ") ||
		!strings.Contains(lines[4], " ARRAffinity="+id+" - app1.scm.azurewebsites.net 200 0 0 ") ||
		!strings.HasPrefix(lines[5], "2026-03-02 11:01:00 APP1 GET /x - ") || !strings.HasSuffix(lines[5], " 200 0 0 0 0 7") {
		t.Fatalf("next hour's file:\n%s", next)
	}
	wantStatus(t, call(t, http.MethodPost, s.URL+"/_sim/apps/app1/instances/nope/requests", strings.NewReader(`[]`)), 404)
	wantStatus(t, call(t, http.MethodPost, s.URL+"/_sim/apps/app1/instances/"+id+"/requests", strings.NewReader(`{`)), 400)

	// The buffer is written after a minute on its own.
	other := info.Apps[0].Instances[1]
	get(t, s.URL+"/app1/api/processes", affinity(other)...)
	clock = clock.Add(time.Minute)
	get(t, s.URL+"/app1/api/processes", affinity(other)...)
	if err := s.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	list := decode[[]map[string]any](t, get(t, base, affinity(id)...))
	found := false
	for _, e := range list {
		found = found || e["name"] == other[:6]+"-2026030211.log"
	}
	if !found {
		t.Fatalf("instance 2's buffered Kudu requests were not written after a minute: %v", list)
	}
}

func TestWebLogsRolloverBySize(t *testing.T) {
	s := newSim(t, Config{WebLogs: WebLogs{Apps: []string{"app1"}, MaxFileBytes: 400}})
	id := s.Info().Apps[0].Instances[0]
	for range 4 {
		if err := s.LogRequests("app1", id, LoggedRequest{At: time.Now(), Path: "/p", Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	list := decode[[]map[string]any](t, get(t, s.URL+"/app1/api/vfs/LogFiles/http/RawLogs/"))
	if len(list) < 2 {
		t.Fatalf("%d files, want a rollover at 400 bytes", len(list))
	}
	for _, e := range list {
		b := string(get(t, s.URL+"/app1/api/vfs/LogFiles/http/RawLogs/"+e["name"].(string)).body)
		if !strings.HasPrefix(b, "#Software: ") || !strings.Contains(b, "\r\n#Fields: ") {
			t.Fatalf("%s has no header directives:\n%s", e["name"], b)
		}
	}
	if err := s.LogRequests("app2", id); err == nil {
		t.Fatal("logged for an unknown app")
	}
}
