package kudu

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestListProcessesDocShape(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"plain array", docList},
		{"ARM value list", `{"value":[{"id":"/x/processes/6512","name":"a/b/6512","type":"Microsoft.Web/sites/instances/processes","properties":{"id":6512,"name":"dotnet","machineName":"DW1SDWK00003C"}},
			{"id":"/x/processes/4120","name":"a/b/4120","type":"Microsoft.Web/sites/instances/processes","properties":{"id":4120,"name":"w3wp","machineName":"DW1SDWK00003C"}},
			{"id":"/x/processes/7788","name":"a/b/7788","type":"Microsoft.Web/sites/instances/processes","properties":{"id":7788,"name":"w3wp","machineName":"DW1SDWK00003C"}}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := fakeServer(t, map[string]http.HandlerFunc{"GET /api/processes": jsonReply(200, tc.body)})
			ps, err := newTestClient(t, srv, nil).ListProcesses(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.Name+":"+itoa(p.ID)+"@"+p.MachineName)
			}
			want := []string{"dotnet:6512@DW1SDWK00003C", "w3wp:4120@DW1SDWK00003C", "w3wp:7788@DW1SDWK00003C"}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestListProcessesUserName(t *testing.T) {
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{"GET /api/processes": jsonReply(200, docList)})
	ps, err := newTestClient(t, srv, nil).ListProcesses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ps[2].UserName != `IIS APPPOOL\~1contoso` || ps[0].Href != "https://contoso.scm.azurewebsites.net/api/processes/6512" {
		t.Fatalf("short fields: %+v", ps[2])
	}
	if ps[0].IsSCMSite || ps[0].PrivateMemory != 0 {
		t.Fatalf("list entries must not carry detail fields: %+v", ps[0])
	}
}

func TestProcessDetailDocShape(t *testing.T) {
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{"GET /api/processes/4120": jsonReply(200, docDetail)})
	p, err := newTestClient(t, srv, nil).Process(context.Background(), 4120)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"id", p.ID, 4120},
		{"parent", p.ParentID, 3000},
		{"children", p.ChildIDs, []int{6512}},
		{"scm", p.IsSCMSite, false},
		{"webjob", p.IsWebJob, false},
		{"private", p.PrivateMemory, int64(845103104)},
		{"ws", p.WorkingSet, int64(612347904)},
		{"threads", p.ThreadCount, 38},
		{"handles", p.HandleCount, 1204},
		{"start", p.StartTime, time.Date(2025, 3, 1, 9, 58, 11, 42631200, time.UTC)},
		{"cpu", p.TotalCPUTime, 2*time.Minute + 13*time.Second + 515625000*time.Nanosecond},
		{"iis timeout", p.IISProfileTimeout, 180 * time.Second},
		{"thread list", p.Threads, []Thread{{ID: 4200, Href: "https://contoso.scm.azurewebsites.net/api/processes/4120/threads/4200", State: "Wait"}}},
		{"module", p.Modules[0].BaseAddress + " " + p.Modules[0].FileName, "7ff6a1b20000 w3wp.exe"},
		{"minidump", p.Minidump, "https://contoso.scm.azurewebsites.net/api/processes/4120/dump"},
		{"env", p.Environment["APP_POOL_ID"], "contoso"},
		{"cmd", strings.HasPrefix(p.CommandLine, `c:\windows\system32\inetsrv\w3wp.exe -ap "contoso"`), true},
		{"handles list", p.OpenFileHandles, []string{`D:\home\LogFiles\eventlog.xml`}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestProcessARMEnvelope(t *testing.T) {
	for _, body := range []string{docARMDetail, docARMDetailIdentifier} {
		srv, rec := fakeServer(t, map[string]http.HandlerFunc{"GET /api/processes/4120": jsonReply(200, body)})
		p, err := newTestClient(t, srv, nil).Process(context.Background(), 4120)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID != 4120 || p.Name != "w3wp" || p.MachineName != "DW1SDWK00003C" {
			t.Fatalf("envelope not unwrapped: %+v", p)
		}
		if strings.Contains(body, "deployment_name") && (p.DeploymentName != "contoso" || p.CommandLine != "" || p.PrivateMemory != 845103104) {
			t.Fatalf("ARM properties: %+v", p)
		}
		if h := rec.all()[0].Header.Get("x-ms-geo-location"); h != "" {
			t.Fatalf("client must not ask for ARM mode, sent x-ms-geo-location %q", h)
		}
	}
}

func TestSpecialIDs(t *testing.T) {
	srv, rec := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/0":  jsonReply(200, docSCMDetail),
		"GET /api/processes/-1": jsonReply(500, doc500NoW3wp),
	})
	c := newTestClient(t, srv, nil)
	p, err := c.Process(context.Background(), PIDSCM)
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsSCMSite || p.ID != 7788 {
		t.Fatalf("pid 0 detail: %+v", p)
	}
	_, err = c.Process(context.Background(), PIDApp)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 500 || !strings.Contains(ae.Message, "Sequence contains no elements") {
		t.Fatalf("-1 without w3wp: %v", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Fatal("500 must not match ErrNotFound")
	}
	if got := rec.all()[1].URL.Path; got != "/api/processes/-1" {
		t.Fatalf("path %q", got)
	}
	// The SCM pid learnt from the detail is refused for kill and dump.
	if err := c.Kill(context.Background(), 7788); !errors.Is(err, ErrRefused) {
		t.Fatalf("kill SCM: %v", err)
	}
	if _, err := c.Dump(context.Background(), 7788, DumpOptions{}); !errors.Is(err, ErrRefused) {
		t.Fatalf("dump SCM: %v", err)
	}
}

func TestProcessNotFound(t *testing.T) {
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{"GET /api/processes/999": jsonReply(404, doc404)})
	_, err := newTestClient(t, srv, nil).Process(context.Background(), 999)
	if !errors.Is(err, ErrNotFound) || IsTransient(err) {
		t.Fatalf("got %v", err)
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Message != "Process with an Id of 999 is not running." || ae.Op != "get process 999" {
		t.Fatalf("APIError: %+v", ae)
	}
}

func TestThreadsModulesEnvironment(t *testing.T) {
	srv, rec := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/4120/threads":                 jsonReply(200, docThreads),
		"GET /api/processes/4120/modules":                 jsonReply(200, docModules),
		"GET /api/processes/4120/environments/{filter}":   jsonReply(200, `{"WEBSITE_INSTANCE_ID":"abc","WEBSITE_SITE_NAME":"contoso"}`),
		"GET /api/processes/5/modules":                    jsonReply(400, `{"Message":"Only part of a ReadProcessMemory or WriteProcessMemory request was completed"}`),
		"GET /api/processes/6/environments/{filter}":      jsonReply(200, `{"id":"/x","name":"WEBSITE","type":"t","properties":{"WEBSITE_SITE_NAME":"contoso","name":"WEBSITE"}}`),
		"GET /api/processes/7/environments/{filter}":      jsonReply(200, `[1,2]`),
		"GET /api/processes/4120/threads/{tid}":           jsonReply(404, `{"Message":"not found"}`),
		"GET /api/processes/4120/modules/{base}":          jsonReply(404, `{"Message":"not found"}`),
		"GET /api/processes/4120/environments/all/extra/": jsonReply(404, `{}`),
	})
	c := newTestClient(t, srv, nil)
	ctx := context.Background()
	th, err := c.Threads(ctx, 4120)
	if err != nil || len(th) != 2 || th[1].State != "Running" || th[1].ID != 4204 {
		t.Fatalf("threads %v %v", th, err)
	}
	mods, err := c.Modules(ctx, 4120)
	if err != nil || len(mods) != 1 || mods[0].FileVersion != "10.0.20348.1" {
		t.Fatalf("modules %v %v", mods, err)
	}
	if _, err := c.Modules(ctx, 5); err == nil || IsTransient(err) {
		t.Fatalf("modules 400: %v", err)
	}
	env, err := c.Environment(ctx, 4120, "WEBSITE INST/x")
	if err != nil || env["WEBSITE_INSTANCE_ID"] != "abc" {
		t.Fatalf("env %v %v", env, err)
	}
	if got := rec.all()[len(rec.all())-1].URL.EscapedPath(); got != "/api/processes/4120/environments/WEBSITE%20INST%2Fx" {
		t.Fatalf("filter not escaped as one segment: %s", got)
	}
	env, err = c.Environment(ctx, 6, "WEBSITE")
	if err != nil || env["WEBSITE_SITE_NAME"] != "contoso" || len(env) != 1 {
		t.Fatalf("ARM env %v %v", env, err)
	}
	var de *DecodeError
	if _, err := c.Environment(ctx, 7, "x"); !errors.As(err, &de) || IsTransient(err) {
		t.Fatalf("bad env JSON: %v", err)
	}
	if _, err := c.Environment(ctx, 7, ""); err == nil {
		t.Fatal("empty filter accepted")
	}
}

func TestBadJSONIsPermanent(t *testing.T) {
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes":   jsonReply(200, `[{"id": "x"}]`),
		"GET /api/processes/1": jsonReply(200, `{"name": "w3wp"}`),
		"GET /api/processes/2": jsonReply(200, `{"id": 2, "start_time": "yesterday"}`),
		"GET /api/processes/3": jsonReply(200, `{"id": 3, "children": ["https://h/api/processes/abc"]}`),
	})
	c := newTestClient(t, srv, nil)
	_, err := c.ListProcesses(context.Background())
	var de *DecodeError
	if !errors.As(err, &de) || IsTransient(err) {
		t.Fatalf("list: %v", err)
	}
	for _, pid := range []int{1, 2, 3} {
		if _, err := c.Process(context.Background(), pid); !errors.As(err, &de) || IsTransient(err) {
			t.Fatalf("pid %d: %v", pid, err)
		}
	}
}

func TestRequestTimeout(t *testing.T) {
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		},
	})
	c := newTestClient(t, srv, func(cfg *Config) { cfg.RequestTimeout = 100 * time.Millisecond })
	_, err := c.ListProcesses(context.Background())
	if !errors.Is(err, ErrRequestTimeout) || !IsTransient(err) {
		t.Fatalf("got %v", err)
	}
}
