package sim

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func TestInfoAndARM(t *testing.T) {
	s := newSim(t, Config{Apps: 2, Instances: 5, ARMPageSize: 2, Seed: 7})
	info := decode[Info](t, get(t, s.URL+"/"))
	if info.ARMURL != s.URL || info.SCMURLTemplate != s.URL+"/{app}" || len(info.Apps) != 2 {
		t.Fatalf("info = %+v", info)
	}
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	rid := regexp.MustCompile(`^/subscriptions/[0-9a-f-]{36}/resourceGroups/[^/]+/providers/Microsoft.Web/sites/app[12]$`)
	for _, a := range info.Apps {
		if !rid.MatchString(a.ResourceID) || a.SCMURL != strings.Replace(info.SCMURLTemplate, "{app}", a.Name, 1) || len(a.Instances) != 5 {
			t.Errorf("app %+v", a)
		}
		for _, id := range a.Instances {
			if !hex64.MatchString(id) {
				t.Errorf("instance id %q", id)
			}
		}
	}
	a := info.Apps[0]
	// Site: the SCM host under hostType Repository.
	site := decode[map[string]any](t, get(t, info.ARMURL+a.ResourceID+"?api-version=2024-11-01"))
	var repo string
	for _, h := range site["properties"].(map[string]any)["hostNameSslStates"].([]any) {
		if m := h.(map[string]any); m["hostType"] == "Repository" {
			repo = m["name"].(string)
		}
	}
	if "http://"+repo != a.SCMURL {
		t.Errorf("Repository host %q, scm_url %q", repo, a.SCMURL)
	}
	// Instances, paged by nextLink.
	var ids []string
	next := info.ARMURL + a.ResourceID + "/instances?api-version=2024-11-01"
	pages := 0
	for next != "" {
		page := decode[struct {
			Value []struct {
				ID, Name, Type string
				Properties     map[string]any
			}
			NextLink string
		}](t, get(t, next))
		for _, v := range page.Value {
			if v.ID != a.ResourceID+"/instances/"+v.Name || v.Type != "Microsoft.Web/sites/instances" || v.Properties["state"] != "READY" {
				t.Errorf("instance entry %+v", v)
			}
			ids = append(ids, v.Name)
		}
		next, pages = page.NextLink, pages+1
	}
	if pages != 3 || strings.Join(ids, ",") != strings.Join(a.Instances, ",") {
		t.Errorf("%d pages, ids %v, want %v", pages, ids, a.Instances)
	}
	wantStatus(t, get(t, info.ARMURL+a.ResourceID+"/instances/"+ids[1]+"?api-version=2024-11-01"), http.StatusOK)
	wantStatus(t, get(t, info.ARMURL+a.ResourceID+"/instances/"+strings.Repeat("0", 64)+"?api-version=2024-11-01"), http.StatusNotFound)
	r := get(t, info.ARMURL+a.ResourceID+"/instances")
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "MissingApiVersionParameter") {
		t.Errorf("no api-version: %d %s", r.status, r.body)
	}
	wantStatus(t, get(t, info.ARMURL+strings.Replace(a.ResourceID, "app1", "nope", 1)+"?api-version=1"), http.StatusNotFound)
	// ARM process routes under an instance: envelope, pid in properties.id.
	r = get(t, info.ARMURL+a.ResourceID+"/instances/"+ids[3]+"/processes?api-version=2024-11-01")
	list := decode[struct{ Value []armEntryT }](t, r)
	if len(list.Value) < 2 {
		t.Fatalf("ARM process list %s", r.body)
	}
	for _, e := range list.Value {
		pid := e.Properties["id"].(float64)
		if e.Type != "Microsoft.Web/sites/instances/processes" || !strings.HasSuffix(e.ID, "/instances/"+ids[3]+"/processes/"+strconv.Itoa(int(pid))) ||
			e.Name != "app1/"+ids[3]+"/"+strconv.Itoa(int(pid)) {
			t.Errorf("ARM entry %+v", e)
		}
	}
	machine := list.Value[0].Properties["machineName"]
	env := decode[map[string]string](t, get(t, a.SCMURL+"/api/processes/0/environments/WEBSITE_INSTANCE_ID", affinity(ids[3])...))
	if env["WEBSITE_INSTANCE_ID"] != ids[3] || len(env) != 1 {
		t.Errorf("env %v", env)
	}
	if ps := procs(t, s, "app1", ids[3]); ps[0]["machineName"] != machine {
		t.Errorf("machine %v vs ARM %v", ps[0]["machineName"], machine)
	}
	// Publishing credentials and the basic-auth policy.
	cred := decode[armEntryT](t, call(t, http.MethodPost, info.ARMURL+a.ResourceID+"/config/publishingcredentials/list?api-version=2024-11-01", nil))
	if cred.Properties["publishingUserName"] != "$app1" {
		t.Errorf("credentials %+v", cred)
	}
	pol := decode[armEntryT](t, get(t, info.ARMURL+a.ResourceID+"/basicPublishingCredentialsPolicies/scm?api-version=2024-11-01"))
	if pol.Properties["allow"] != true {
		t.Errorf("policy %+v", pol)
	}
}

type armEntryT struct {
	ID, Name, Type, Location string
	Properties               map[string]any
}

func TestProcessListAndDetail(t *testing.T) {
	s := newSim(t, Config{Apps: 3, Instances: 1, WebJobs: true})
	for ai, want := range [][]string{{"dotnet", "dotnet", "w3wp", "w3wp"}, {"dotnet", "w3wp", "w3wp"}, {"dotnet", "node", "w3wp", "w3wp"}} {
		a := s.Info().Apps[ai]
		inst := a.Instances[0]
		ps := procs(t, s, a.Name, inst)
		var names []string
		for _, p := range ps {
			names = append(names, p["name"].(string))
			keys := []string{}
			for k := range p {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if strings.Join(keys, ",") != "href,id,machineName,name,user_name" {
				t.Errorf("list entry keys %v", keys)
			}
			if p["href"] != a.SCMURL+"/api/processes/"+strconv.Itoa(int(p["id"].(float64))) {
				t.Errorf("href %v", p["href"])
			}
		}
		if strings.Join(names, ",") != strings.Join(want, ",") {
			t.Errorf("app %s names %v, want %v", a.Name, names, want)
		}
		scm, webjob, app := 0, 0, 0
		for _, p := range ps {
			r := get(t, p["href"].(string), affinity(inst)...)
			d := decode[map[string]any](t, r)
			for _, k := range []string{"minidump", "threads", "modules", "start_time", "private_memory", "environment_variables", "parent", "time_stamp"} {
				if _, ok := d[k]; !ok {
					t.Errorf("detail of %v lacks %s", p["id"], k)
				}
			}
			if d["is_scm_site"] == false || d["is_webjob"] == false {
				t.Errorf("false booleans must be omitted: %s", r.body)
			}
			if !strings.Contains(string(r.body), `"iis_profile_timeout_in_seconds":180.0`) ||
				!regexp.MustCompile(`"start_time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z"`).Match(r.body) {
				t.Errorf("number/date formats: %s", r.body)
			}
			switch {
			case d["is_scm_site"] == true:
				scm++
				if d["user_name"] != `IIS APPPOOL\`+a.Name { // Kudu shares the site's sandbox identity
					t.Errorf("scm user %v", d["user_name"])
				}
			case d["is_webjob"] == true:
				webjob++
				if d["description"] != "WebJob: cleanup, Type: Continuous" {
					t.Errorf("webjob description %v", d["description"])
				}
			case d["name"] == "w3wp":
				app++
				if kids, _ := d["children"].([]any); (a.Name == "app2") != (len(kids) == 0) {
					t.Errorf("app %s w3wp children %v", a.Name, kids)
				}
			}
		}
		if scm != 1 || webjob != 1 || app != 1 {
			t.Errorf("app %s: scm=%d webjob=%d app w3wp=%d", a.Name, scm, webjob, app)
		}
	}
}

func TestAliasesRoutesAndErrors(t *testing.T) {
	s := newSim(t, Config{})
	a := s.Info().Apps[0]
	in := a.Instances[0]
	kudu := decode[map[string]any](t, get(t, a.SCMURL+"/api/processes/0"))
	if kudu["is_scm_site"] != true || kudu["href"] != a.SCMURL+"/api/processes/"+strconv.Itoa(int(kudu["id"].(float64))) {
		t.Errorf("id 0: %v %v", kudu["is_scm_site"], kudu["href"])
	}
	appP := decode[map[string]any](t, get(t, a.SCMURL+"/api/processes/-1"))
	if appP["is_scm_site"] != nil || appP["name"] != "w3wp" || appP["href"] != a.SCMURL+"/api/processes/-1" {
		t.Errorf("id -1: %v %v", appP["is_scm_site"], appP["href"])
	}
	pid := strconv.Itoa(int(appP["id"].(float64)))
	for _, prefix := range []string{"/api/diagnostics/processes", "/diagnostics/processes"} {
		r := get(t, a.SCMURL+prefix+"/"+pid)
		if d := decode[map[string]any](t, r); d["href"] != a.SCMURL+prefix+"/"+pid {
			t.Errorf("%s href %v", prefix, d["href"])
		}
	}
	wantBody(t, get(t, a.SCMURL+"/api/processes/99999"), 404, `{"Message":"Process with an Id of 99999 is not running."}`)
	wantStatus(t, call(t, http.MethodPost, a.SCMURL+"/api/processes/"+pid+"/kill", nil), 404)
	wantStatus(t, get(t, a.SCMURL+"/api/processes/"+pid+"/gcdump?format=raw"), 404)
	wantStatus(t, get(t, a.SCMURL+"/api/processes/abc"), 400)
	wantStatus(t, call(t, http.MethodPut, a.SCMURL+"/api/processes/"+pid, nil), 404) // Kudu's catch-all
	// Threads and modules.
	th := decode[[]map[string]any](t, get(t, a.SCMURL+"/api/processes/"+pid+"/threads"))
	if len(th) == 0 || th[0]["state"] == nil {
		t.Fatalf("threads %v", th)
	}
	td := decode[map[string]any](t, get(t, th[0]["href"].(string)))
	if _, ok := td["priviledged_processor_time"]; !ok || td["wait_reason"] == nil {
		t.Errorf("thread detail %v", td)
	}
	wantStatus(t, get(t, a.SCMURL+"/api/processes/"+pid+"/threads/1"), 404)
	mods := decode[[]map[string]any](t, get(t, a.SCMURL+"/api/processes/"+pid+"/modules"))
	var files []string
	for _, m := range mods {
		files = append(files, strings.ToLower(m["file_name"].(string)))
	}
	if !sort.StringsAreSorted(files) || len(files) < 4 {
		t.Errorf("modules not sorted by file name: %v", files)
	}
	md := decode[map[string]any](t, get(t, mods[0]["href"].(string)))
	if md["file_path"] == nil || md["module_memory_size"] == nil {
		t.Errorf("module detail %v", md)
	}
	wantStatus(t, get(t, a.SCMURL+"/api/processes/"+pid+"/modules/1234"), 404)
	// Environments: substring, case-insensitive; all.
	env := decode[map[string]string](t, get(t, a.SCMURL+"/api/processes/"+pid+"/environments/instance_id"))
	if env["WEBSITE_INSTANCE_ID"] != in || len(env) != 1 {
		t.Errorf("env %v", env)
	}
	if all := decode[map[string]string](t, get(t, a.SCMURL+"/api/processes/"+pid+"/environments/all")); len(all) < 10 {
		t.Errorf("env all has %d entries", len(all))
	}
	// Profile start/stop.
	wantStatus(t, call(t, http.MethodPost, a.SCMURL+"/api/processes/"+pid+"/profile/start?iisProfiling=false", nil), 200)
	if d := decode[map[string]any](t, get(t, a.SCMURL+"/api/processes/"+pid)); d["is_profile_running"] != true {
		t.Error("profile not running after start")
	}
	if r := get(t, a.SCMURL+"/api/processes/"+pid+"/profile/stop"); r.status != 200 || r.header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("profile stop %d", r.status)
	}
	// ARM mode on the Kudu route: envelope and RBAC filtering.
	r := get(t, a.SCMURL+"/api/processes/"+pid, "x-ms-geo-location", "westeurope")
	e := decode[armEntryT](t, r)
	if e.Location != "westeurope" || e.Properties["command_line"] != nil || len(e.Properties["environment_variables"].(map[string]any)) > 3 {
		t.Errorf("ARM mode detail not filtered: %s", r.body)
	}
	r = get(t, a.SCMURL+"/api/processes/"+pid, "x-ms-geo-location", "westeurope", "X-MS-CLIENT-ROLEBASED-CONTRIBUTOR", "1")
	if e := decode[armEntryT](t, r); e.Properties["command_line"] == nil {
		t.Errorf("contributor lost command_line: %s", r.body)
	}
	if l := decode[struct{ Value []armEntryT }](t, get(t, a.SCMURL+"/api/processes", "x-ms-geo-location", "westeurope")); len(l.Value) != 3 {
		t.Errorf("ARM list %+v", l)
	}
	wantStatus(t, get(t, a.SCMURL+"/api/nothing"), 404)
	wantStatus(t, get(t, s.URL+"/nosuchapp/api/processes"), 404)
}
