package conformance

import (
	"archive/zip"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

type processInfo struct {
	ID              int      `json:"id"`
	Name            string   `json:"name"`
	Href            string   `json:"href"`
	UserName        string   `json:"user_name"`
	StartTime       string   `json:"start_time"`
	OpenFileHandles []string `json:"open_file_handles"`
	IsSCMSite       bool     `json:"is_scm_site"`
	Threads         []struct {
		ID   int    `json:"id"`
		Href string `json:"href"`
	} `json:"threads"`
	Modules []struct {
		BaseAddress string `json:"base_address"`
		FileName    string `json:"file_name"`
		Href        string `json:"href"`
	} `json:"modules"`
}

// TestDiagnosticsApiFacts_ProcessApiTests is Kudu.FunctionalTests/DiagnosticsApiFacts.cs,
// ProcessApiTests, step by step, through Kudu.Client's
// RemoteProcessManager URLs (api/processes/…, pinned by cookie).
func TestDiagnosticsApiFacts_ProcessApiTests(t *testing.T) {
	_, a := newSim(t, sim.Config{Instances: 2})
	c := newClient(t, a.Instances[1])
	base := a.SCMURL + "/api/processes"

	// "Test current process": GetCurrentProcessAsync is GetProcessAsync(0).
	cur := decode[processInfo](t, c.get(base+"/0"))
	if !strings.Contains(cur.Name, "w3wp") {
		t.Errorf("process 0 name %q lacks w3wp", cur.Name)
	}
	// The test asserts Href contains "/diagnostics/processes/"+id, which
	// holds when asked through that alias: the href is built from the
	// request URL, with the trailing /0 rewritten to the pid.
	if want := base + "/" + strconv.Itoa(cur.ID); cur.Href != want {
		t.Errorf("process 0 href %q, want %q", cur.Href, want)
	}
	viaAlias := decode[processInfo](t, c.get(a.SCMURL+"/diagnostics/processes/0"))
	if !strings.Contains(viaAlias.Href, "/diagnostics/processes/"+strconv.Itoa(cur.ID)) {
		t.Errorf("href through /diagnostics/processes/0 is %q", viaAlias.Href)
	}

	// "Test get process by id".
	byID := decode[processInfo](t, c.get(base+"/"+strconv.Itoa(cur.ID)))
	if byID.ID != cur.ID || !strings.Contains(byID.Name, "w3wp") || !strings.Contains(byID.Href, "/processes/"+strconv.Itoa(cur.ID)) {
		t.Errorf("process by id: %+v", byID)
	}

	// "Test get not running process id": 404 whose message says so.
	r := c.get(base + "/99999")
	wantStatus(t, "GET 99999", r, http.StatusNotFound)
	if msg := decode[struct{ Message string }](t, r).Message; !strings.Contains(msg, "is not running") {
		t.Errorf("404 message %q", msg)
	}

	// "Test process list": at least one, and the current one in it.
	list := decode[[]processInfo](t, c.get(base))
	found := false
	for _, p := range list {
		found = found || p.ID == cur.ID
	}
	if len(list) < 1 || !found {
		t.Errorf("process list %+v lacks %d", list, cur.ID)
	}

	// "Test process dumps": MiniDump(format: raw|zip) of process 0 has bytes.
	for _, format := range []string{"raw", "zip"} {
		r := c.get(base + "/0/dump?format=" + format)
		wantStatus(t, "dump format="+format, r, http.StatusOK)
		if len(r.body) == 0 {
			t.Errorf("dump format=%s is empty", format)
		}
		if format == "zip" {
			if _, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body))); err != nil {
				t.Errorf("zip dump: %v", err)
			}
		}
	}

	// "Test Handles": process 0 holds kudu.core.dll open.
	cur = decode[processInfo](t, c.get(base+"/0"))
	handle := false
	for _, h := range cur.OpenFileHandles {
		handle = handle || strings.Contains(strings.ToLower(h), "kudu.core.dll")
	}
	if !handle {
		t.Errorf("open_file_handles of process 0 lack kudu.core.dll: %v", cur.OpenFileHandles)
	}

	// "Test Modules": process 0 has ntdll.dll.
	ntdll := false
	for _, m := range cur.Modules {
		ntdll = ntdll || strings.EqualFold(m.FileName, "ntdll.dll")
	}
	if !ntdll {
		t.Errorf("modules of process 0 lack ntdll.dll")
	}

	// "Test kill process": KillProcessAsync(currentId) throws
	// HttpRequestException (no answer: Kudu's w3wp dies inside the call);
	// after the site is back, process 0 has another start time.
	if r, err := c.try(http.MethodDelete, base+"/"+strconv.Itoa(cur.ID), ""); err == nil {
		t.Fatalf("killing Kudu's own process answered %d %q", r.status, r.body)
	}
	again := decode[processInfo](t, c.get(base+"/0"))
	if again.StartTime == cur.StartTime || again.ID == cur.ID {
		t.Errorf("Kudu after kill: start %s pid %d, before %s pid %d", again.StartTime, again.ID, cur.StartTime, cur.ID)
	}
}

// TestProcessController_KillProcess_FrontEnd is the flagged alternative to the dropped
// connection of ProcessApiTests: Config.SCMKillStatus models a front end
// that turns it into an error page. Either way no 2xx arrives
// (ProcessController.KillProcess never returns for its own process).
func TestProcessController_KillProcess_FrontEnd(t *testing.T) {
	_, a := newSim(t, sim.Config{SCMKillStatus: 502})
	c := newClient(t, a.Instances[0])
	r := c.send(http.MethodDelete, a.SCMURL+"/api/processes/0", "")
	wantStatus(t, "DELETE /api/processes/0", r, http.StatusBadGateway)
	// RemoteProcessManager.StopProcessAsync (POST {id}/stop, text/plain)
	// of Kudu itself fails the same way.
	r = c.send(http.MethodPost, a.SCMURL+"/api/processes/0/stop", "", "Content-Type", "text/plain; charset=utf-8")
	wantStatus(t, "POST /api/processes/0/stop", r, http.StatusBadGateway)
}

// TestRemoteProcessManager_StopProcessAsync is RemoteProcessManager.StopProcessAsync against
// ProcessController's stop route for an app process: 204, and the
// process is gone.
func TestRemoteProcessManager_StopProcessAsync(t *testing.T) {
	_, a := newSim(t, sim.Config{NoRespawn: true})
	c := newClient(t, a.Instances[0])
	app := decode[processInfo](t, c.get(a.SCMURL+"/api/processes/-1"))
	r := c.send(http.MethodPost, a.SCMURL+"/api/processes/"+strconv.Itoa(app.ID)+"/stop", "", "Content-Type", "text/plain; charset=utf-8")
	wantStatus(t, "stop", r, http.StatusNoContent)
	wantStatus(t, "after stop", c.get(a.SCMURL+"/api/processes/"+strconv.Itoa(app.ID)), http.StatusNotFound)
}

// TestProcessController_ThreadsAndModules checks Kudu.Services/Diagnostics/
// ProcessController.cs GetAllThreads, GetThread, GetAllModules and
// GetModule: hrefs are built from the request URL, so asked through id 0
// they keep /0/ (only GetProcessInfo rewrites a trailing /0), and an
// unknown thread or module is CreateResponse(NotFound): no body.
func TestProcessController_ThreadsAndModules(t *testing.T) {
	_, a := newSim(t, sim.Config{})
	c := newClient(t, a.Instances[0])
	base := a.SCMURL + "/api/processes/0"
	threads := decode[[]struct {
		ID   int    `json:"id"`
		Href string `json:"href"`
	}](t, c.get(base+"/threads"))
	if len(threads) == 0 || threads[0].Href != base+"/threads/"+strconv.Itoa(threads[0].ID) {
		t.Fatalf("threads of 0: %+v", threads)
	}
	th := decode[struct {
		Href    string `json:"href"`
		Process string `json:"process"`
	}](t, c.get(threads[0].Href))
	if th.Href != threads[0].Href || th.Process != base {
		t.Errorf("thread detail through 0: %+v", th)
	}
	mods := decode[[]struct {
		BaseAddress string `json:"base_address"`
		Href        string `json:"href"`
	}](t, c.get(base+"/modules"))
	if len(mods) == 0 || mods[0].Href != base+"/modules/"+mods[0].BaseAddress {
		t.Fatalf("modules of 0: %+v", mods)
	}
	if m := decode[struct{ Href string }](t, c.get(mods[0].Href)); m.Href != mods[0].Href {
		t.Errorf("module detail href %q, want %q", m.Href, mods[0].Href)
	}
	// The process detail itself names the real pid in its own links.
	d := decode[processInfo](t, c.get(base))
	if len(d.Threads) == 0 || !strings.HasPrefix(d.Threads[0].Href, a.SCMURL+"/api/processes/"+strconv.Itoa(d.ID)+"/threads/") {
		t.Errorf("detail thread href %+v", d.Threads)
	}
	for _, u := range []string{base + "/threads/1", base + "/modules/1234"} {
		r := c.get(u)
		wantStatus(t, u, r, http.StatusNotFound)
		if len(r.body) != 0 {
			t.Errorf("%s: 404 body %q, want none", u, r.body)
		}
	}
}

// TestProcessController_GetAllProcesses_UserFilter checks GetAllProcesses' filter
// (ProcessController.cs): only processes whose user is Kudu's own are
// listed unless ?allUsers=true. By default every process of the site
// shares the sandbox identity, so the app's w3wp is listed; with
// Config.SeparateSCMIdentity it is not.
func TestProcessController_GetAllProcesses_UserFilter(t *testing.T) {
	for _, sep := range []bool{false, true} {
		_, a := newSim(t, sim.Config{SeparateSCMIdentity: sep, Child: "none"})
		c := newClient(t, a.Instances[0])
		kudu := decode[processInfo](t, c.get(a.SCMURL+"/api/processes/0"))
		app := decode[processInfo](t, c.get(a.SCMURL+"/api/processes/-1"))
		has := func(list []processInfo, id int) bool {
			for _, p := range list {
				if p.ID == id {
					return true
				}
			}
			return false
		}
		def := decode[[]processInfo](t, c.get(a.SCMURL+"/api/processes"))
		all := decode[[]processInfo](t, c.get(a.SCMURL+"/api/processes?allUsers=true"))
		if !has(def, kudu.ID) || !has(all, kudu.ID) || !has(all, app.ID) {
			t.Errorf("separate=%v: Kudu %d or app %d missing: %+v / %+v", sep, kudu.ID, app.ID, def, all)
		}
		if has(def, app.ID) == sep {
			t.Errorf("separate=%v: app w3wp listed=%v without allUsers", sep, has(def, app.ID))
		}
		if sameUser := kudu.UserName == app.UserName; sameUser == sep {
			t.Errorf("separate=%v: users %q and %q", sep, kudu.UserName, app.UserName)
		}
	}
}
