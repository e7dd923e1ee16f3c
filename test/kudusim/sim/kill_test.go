package sim

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestKillRespawnAndAffinity(t *testing.T) {
	s := newSim(t, Config{Instances: 3, Child: "dotnet"})
	a := s.Info().Apps[0]
	in := a.Instances[1]
	// The cookie pins the instance and the response names it.
	for i := 0; i < 4; i++ {
		r := get(t, a.SCMURL+"/api/processes/0/environments/WEBSITE_INSTANCE_ID", affinity(in)...)
		if env := decode[map[string]string](t, r); env["WEBSITE_INSTANCE_ID"] != in {
			t.Fatalf("pinned to %s, served by %s", in, env["WEBSITE_INSTANCE_ID"])
		}
		if c := r.header.Values("Set-Cookie"); len(c) == 0 || c[0] != "ARRAffinity="+in+";Path=/app1;HttpOnly" {
			t.Fatalf("Set-Cookie %v", c)
		}
	}
	// An unknown instance id lands somewhere else, silently.
	r := get(t, a.SCMURL+"/api/processes/0/environments/WEBSITE_INSTANCE_ID", affinity("feedface")...)
	served := decode[map[string]string](t, r)["WEBSITE_INSTANCE_ID"]
	if r.status != 200 || served == "" || r.header.Get("Set-Cookie") != "ARRAffinity="+served+";Path=/app1;HttpOnly" {
		t.Fatalf("unknown affinity: %d served by %q cookie %q", r.status, served, r.header.Get("Set-Cookie"))
	}

	before := procs(t, s, "app1", in)
	w3wp := pidOf(t, s, "app1", in, "-1")
	r = call(t, http.MethodDelete, a.SCMURL+"/api/processes/"+itoaT(w3wp), nil, affinity(in)...)
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("DELETE: %d %q", r.status, r.body)
	}
	ev := events(t, s)
	last := ev[len(ev)-1]
	if last.Kind != EventKill || last.PID != w3wp || len(last.Killed) != 2 || last.Killed[1] != w3wp {
		t.Fatalf("kill event %+v (children first, then the process)", last)
	}
	// Next request: a new w3wp and a new dotnet child, new pids.
	after := procs(t, s, "app1", in)
	if len(after) != len(before) {
		t.Fatalf("after respawn %d processes, before %d", len(after), len(before))
	}
	if n := pidOf(t, s, "app1", in, "-1"); n == w3wp {
		t.Fatalf("respawned w3wp kept pid %d", n)
	}
	for _, p := range after {
		if int(p["id"].(float64)) == last.Killed[0] {
			t.Errorf("killed child %d still listed", last.Killed[0])
		}
	}
	// POST /stop is the same kill.
	child := 0
	for _, p := range after {
		if p["name"] == "dotnet" {
			child = int(p["id"].(float64))
		}
	}
	wantStatus(t, call(t, http.MethodPost, a.SCMURL+"/api/processes/"+itoaT(child)+"/stop", nil, affinity(in)...), 204)
	// ANCM restarts the dotnet child on the next request: a new pid.
	wantStatus(t, call(t, http.MethodDelete, a.SCMURL+"/api/processes/"+itoaT(child), nil, affinity(in)...), 404)
	again := 0
	for _, p := range procs(t, s, "app1", in) {
		if p["name"] == "dotnet" {
			again = int(p["id"].(float64))
		}
	}
	if again == 0 || again == child {
		t.Errorf("dotnet child after kill: pid %d (was %d)", again, child)
	}
	// Other instances are untouched.
	if len(procs(t, s, "app1", a.Instances[0])) != 3 {
		t.Error("kill leaked to another instance")
	}
}

func TestNoRespawnMinusOne500(t *testing.T) {
	s := newSim(t, Config{NoRespawn: true, Child: "none"})
	a := s.Info().Apps[0]
	w3wp := pidOf(t, s, "app1", a.Instances[0], "-1")
	wantStatus(t, call(t, http.MethodDelete, a.SCMURL+"/api/processes/"+itoaT(w3wp), nil), 204)
	r := get(t, a.SCMURL+"/api/processes/-1")
	e := decode[kuduException](t, r)
	if r.status != 500 || e.ExceptionType != "System.InvalidOperationException" {
		t.Fatalf("-1 without app w3wp: %d %s", r.status, r.body)
	}
	if len(procs(t, s, "app1", a.Instances[0])) != 1 {
		t.Error("app w3wp came back with NoRespawn")
	}
	// Killing Kudu itself: the call never answers, and Kudu comes back
	// with a new pid.
	k := pidOf(t, s, "app1", a.Instances[0], "0")
	req, _ := http.NewRequest(http.MethodDelete, a.SCMURL+"/api/processes/0", nil)
	req.AddCookie(&http.Cookie{Name: "ARRAffinity", Value: a.Instances[0]})
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("killing Kudu answered %d", resp.StatusCode)
	}
	if pidOf(t, s, "app1", a.Instances[0], "0") == k {
		t.Error("Kudu w3wp kept its pid")
	}
}

func TestScaleControl(t *testing.T) {
	s := newSim(t, Config{Instances: 2})
	a := s.Info().Apps[0]
	id, err := s.AddInstance("app1")
	if err != nil || len(s.Info().Apps[0].Instances) != 3 {
		t.Fatalf("AddInstance: %v", err)
	}
	if err := s.RemoveInstance("app1", a.Instances[0]); err != nil {
		t.Fatal(err)
	}
	// Pinned to a removed instance: served elsewhere, silently.
	env := decode[map[string]string](t, get(t, a.SCMURL+"/api/processes/0/environments/WEBSITE_INSTANCE_ID", affinity(a.Instances[0])...))
	if env["WEBSITE_INSTANCE_ID"] == a.Instances[0] {
		t.Error("removed instance still serves")
	}
	if err := s.RemoveInstance("app1", "nope"); err == nil {
		t.Error("removing an unknown instance succeeded")
	}
	wantStatus(t, call(t, http.MethodPost, s.URL+"/_sim/apps/app1/instances", nil), 201)
	wantStatus(t, call(t, http.MethodDelete, s.URL+"/_sim/apps/app1/instances/"+id, nil), 204)
	ev := decode[[]Event](t, get(t, s.URL+"/_sim/events"))
	kinds := map[string]int{}
	for _, e := range ev {
		kinds[e.Kind]++
	}
	if kinds[EventScaleOut] != 2 || kinds[EventScaleIn] != 2 {
		t.Errorf("events %v", kinds)
	}
}

func TestSlots(t *testing.T) {
	s := newSim(t, Config{Apps: 2, Slots: []string{"staging"}, Auth: Auth{Password: "pw", Tokens: []string{"tok"}}})
	info := s.Info()
	if len(info.Apps) != 4 || info.Apps[1].Name != "app1-staging" || !strings.HasSuffix(info.Apps[1].ResourceID, "/sites/app1/slots/staging") {
		t.Fatalf("apps %+v", info.Apps)
	}
	slot := info.Apps[1]
	bt := []string{"Authorization", "Bearer tok"}
	site := decode[armEntryT](t, get(t, s.URL+slot.ResourceID+"?api-version=1", bt...))
	if site.Type != "Microsoft.Web/sites/slots" || site.Name != "app1/staging" {
		t.Errorf("slot site %+v", site)
	}
	l := decode[struct{ Value []armEntryT }](t, get(t, s.URL+slot.ResourceID+"/instances?api-version=1", bt...))
	if len(l.Value) != 1 || l.Value[0].Name != slot.Instances[0] || l.Value[0].Type != "Microsoft.Web/sites/slots/instances" {
		t.Errorf("slot instances %+v", l)
	}
	// The slot's SCM site takes the slot's publishing user.
	wantStatus(t, get(t, slot.SCMURL+"/api/processes", basic("$app1__staging", "pw")...), 200)
	wantStatus(t, get(t, slot.SCMURL+"/api/processes", basic("$app1", "pw")...), 401)
	env := decode[map[string]string](t, get(t, slot.SCMURL+"/api/processes/-1/environments/all", bt...))
	if env["WEBSITE_SITE_NAME"] != "app1" || env["WEBSITE_SLOT_NAME"] != "staging" || env["APP_POOL_ID"] != "app1__staging" {
		t.Errorf("slot env %v", env)
	}
	if _, err := New(Config{Slots: []string{"Bad Slot"}}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad slot name: %v", err)
	}
}

func TestUnreadableChildren(t *testing.T) {
	s := newSim(t, Config{Child: "node", UnreadableChildren: true})
	a := s.Info().Apps[0]
	var node float64
	for _, p := range procs(t, s, "app1", a.Instances[0]) {
		if p["name"] == "node" {
			node = p["id"].(float64)
		}
	}
	r := get(t, a.SCMURL+"/api/processes/"+strconv.Itoa(int(node)))
	d := decode[map[string]any](t, r)
	if d["private_memory"] != -1.0 || d["thread_count"] != -1.0 || d["total_cpu_time"] != "-00:00:01" || d["start_time"] != nil || d["file_name"] != "N/A" || d["modules"] != nil {
		t.Errorf("unreadable detail: %s", r.body)
	}
}
