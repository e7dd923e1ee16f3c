package sim

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaultLatency(t *testing.T) {
	s := newSim(t, Config{Faults: Faults{LatencyRate: 1, Latency: 150 * time.Millisecond}})
	t0 := time.Now()
	wantStatus(t, get(t, s.URL+"/app1/api/processes"), 200)
	if d := time.Since(t0); d < 150*time.Millisecond {
		t.Errorf("latency fault took only %v", d)
	}
	wantStatus(t, get(t, s.URL+"/"), 200) // the description is never faulted
}

func TestFault5xxAnd429(t *testing.T) {
	s := newSim(t, Config{Faults: Faults{ErrorRate: 1, Seed: 3}})
	seen := map[int]bool{}
	for i := 0; i < 20; i++ {
		r := get(t, s.URL+"/app1/api/processes")
		if r.status != 500 && r.status != 502 && r.status != 503 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("5xx fault: %d %q", r.status, r.header.Get("Content-Type"))
		}
		seen[r.status] = true
	}
	if len(seen) < 2 {
		t.Errorf("statuses %v", seen)
	}
	s2 := newSim(t, Config{Faults: Faults{ThrottleRate: 1, RetryAfter: 2500 * time.Millisecond}})
	r := get(t, s2.URL+"/subscriptions/x?api-version=1")
	if r.status != 429 || r.header.Get("Retry-After") != "3" {
		t.Fatalf("429: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	n := 0
	for _, e := range events(t, s2) {
		if e.Kind == EventFault && e.Status == 429 {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d 429 fault events", n)
	}
	// A rate of 0.5 faults some requests and not others.
	s3 := newSim(t, Config{Faults: Faults{ErrorRate: 0.5, Seed: 9}})
	ok := 0
	for i := 0; i < 40; i++ {
		if get(t, s3.URL+"/app1/api/processes").status == 200 {
			ok++
		}
	}
	if ok < 5 || ok > 35 {
		t.Errorf("%d/40 requests passed at rate 0.5", ok)
	}
}

func TestFaultResetMidStream(t *testing.T) {
	s := newSim(t, Config{DumpSize: 1 << 20, Faults: Faults{ResetRate: 1, Seed: 5}})
	for _, format := range []string{"raw", "zip"} {
		res, err := http.Get(s.URL + "/app1/api/processes/-1/dump?dumpType=2&format=" + format)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil || res.StatusCode != 200 {
			t.Fatalf("%s: read %d bytes, err %v, status %d: want a reset mid-body", format, n, err, res.StatusCode)
		}
		if format == "raw" && n >= 1<<20 {
			t.Fatalf("raw: %d bytes before the reset", n)
		}
		// The client sees the reset before the simulator's handler has
		// returned and released the app's staging file; the next dump of the
		// same app must not race that release (Kudu answers a concurrent
		// dump with 500). events settles: it waits until no request is in
		// a handler.
		events(t, s)
	}
	var cut []Event
	for _, e := range events(t, s) {
		if e.Kind == EventDump {
			cut = append(cut, e)
		}
	}
	if len(cut) != 2 || cut[0].Complete || cut[1].Complete || len(cut[0].SHA256) != 64 || cut[0].SHA256 != cut[1].SHA256 {
		t.Fatalf("cut events %+v", cut)
	}
	// The staging file was released with the broken response.
	if l := decode[[]map[string]any](t, get(t, s.URL+"/app1/api/vfs/LogFiles/minidump/")); len(l) != 0 {
		t.Errorf("staging file left after a reset: %v", l)
	}
}

func TestFaultThroughput(t *testing.T) {
	s := newSim(t, Config{DumpSize: 1 << 20, Faults: Faults{Throughput: 4 << 20}})
	t0 := time.Now()
	r := get(t, s.URL+"/app1/api/processes/-1/dump?dumpType=2")
	if d := time.Since(t0); r.status != 200 || len(r.body) != 1<<20 || d < 200*time.Millisecond {
		t.Fatalf("1 MiB at 4 MiB/s took %v (status %d)", d, r.status)
	}
}

func TestFaultScaling(t *testing.T) {
	s := newSim(t, Config{Instances: 3, Faults: Faults{ScaleInRate: 1}})
	for i := 0; i < 5; i++ {
		get(t, s.URL+"/app1/api/processes")
	}
	if n := len(s.Info().Apps[0].Instances); n != 1 {
		t.Errorf("after scale-in faults: %d instances, want 1 (never the last)", n)
	}
	s2 := newSim(t, Config{Instances: 1, Faults: Faults{ScaleOutRate: 1}})
	for i := 0; i < 3; i++ {
		get(t, s2.URL+"/app1/api/processes")
	}
	if n := len(s2.Info().Apps[0].Instances); n != 4 {
		t.Errorf("after scale-out faults: %d instances, want 4", n)
	}
}

func basic(user, pass string) []string {
	return []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}
}

func TestAuth(t *testing.T) {
	s := newSim(t, Config{Auth: Auth{Password: "pw", Tokens: []string{"tok"}}})
	a := s.Info().Apps[0]
	u := a.SCMURL + "/api/processes"
	r := get(t, u)
	if r.status != 401 || !strings.Contains(r.header.Get("Content-Type"), "text/html") || len(r.header.Values("WWW-Authenticate")) != 2 {
		t.Fatalf("anonymous: %d %v", r.status, r.header)
	}
	wantStatus(t, get(t, u, basic("$app1", "pw")...), 200)
	wantStatus(t, get(t, u, basic("$app1", "nope")...), 401)
	wantStatus(t, get(t, u, basic("$app2", "pw")...), 401)
	wantStatus(t, get(t, u, "Authorization", "Bearer tok"), 200)
	wantStatus(t, get(t, u, "Authorization", "Bearer other"), 401)
	arm := s.URL + a.ResourceID + "?api-version=2024-11-01"
	wantStatus(t, get(t, arm, basic("$app1", "pw")...), 401) // ARM takes bearer tokens only
	wantStatus(t, get(t, arm, "Authorization", "Bearer tok"), 200)
	wantStatus(t, get(t, s.URL+"/"), 200)

	s2 := newSim(t, Config{Auth: Auth{Password: "pw", BasicDisabled: true, Tokens: []string{"tok"}}})
	wantStatus(t, get(t, s2.URL+"/app1/api/processes", basic("$app1", "pw")...), 401)
	pol := decode[armEntryT](t, get(t, s2.URL+s2.Info().Apps[0].ResourceID+"/basicPublishingCredentialsPolicies/scm?api-version=1", "Authorization", "Bearer tok"))
	if pol.Properties["allow"] != false {
		t.Errorf("policy %+v", pol)
	}

	s3 := newSim(t, Config{Auth: Auth{Tokens: []string{"tok"}}, Faults: Faults{TokenRejectRate: 1}})
	r = get(t, s3.URL+"/app1/api/processes", "Authorization", "Bearer tok")
	if r.status != 401 || !strings.Contains(r.header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("token rejected: %d %v", r.status, r.header)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, cfg := range map[string]Config{
		"apps":      {Apps: -1},
		"names":     {Apps: 2, AppNames: []string{"a"}},
		"bad name":  {AppNames: []string{"Bad_Name"}},
		"reserved":  {AppNames: []string{"subscriptions"}},
		"rate":      {Faults: Faults{ErrorRate: 2}},
		"child":     {Child: "java"},
		"status":    {FirstByteStatus: 200},
		"negative":  {DumpSize: -1},
		"too small": {DumpSize: 1000},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"64MiB": 64 << 20, "1GiB": 1 << 30, "10": 10, "4 KiB": 4096, "2g": 2 << 30, "7B": 7} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "5XB", "99999999999999GiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) succeeded", in)
		}
	}
}
