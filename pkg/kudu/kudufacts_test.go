package kudu

// Tests of the client against answers the Kudu simulator used to get
// wrong (docs/kudu.md, "Where the earlier reading of Kudu was wrong"):
// the client must handle Kudu's real behaviour, not the simulator's.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// A kill whose connection drops without an answer (what Kudu does when
// the killed process is its own) is an error, transient, and neither a
// success nor "not found"; a front end turning it into 502 is transient
// too.
func TestKillAnswerLost(t *testing.T) {
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/4120": jsonReply(200, `{"id":4120,"name":"w3wp","machineName":"M"}`),
		"DELETE /api/processes/4120": func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			conn.Close()
		},
		"GET /api/processes/4121": jsonReply(200, `{"id":4121,"name":"w3wp","machineName":"M"}`),
		"DELETE /api/processes/4121": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><head><title>502 - Web server received an invalid response while acting as a gateway or proxy server.</title></head></html>"))
		},
	})
	c := newTestClient(t, srv, nil)
	err := c.Kill(context.Background(), 4120)
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, ErrRefused) || !IsTransient(err) {
		t.Fatalf("dropped kill: %v (transient %v)", err, IsTransient(err))
	}
	err = c.Kill(context.Background(), 4121)
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadGateway || !IsTransient(err) {
		t.Fatalf("502 kill: %v", err)
	}
}

// kuduSlashRules answers like VfsControllerBase: a folder without its
// slash and a file with one are redirected (307); DELETE of a file needs
// a matching If-Match.
func kuduSlashRules(t *testing.T) http.HandlerFunc {
	const dir, file, tag = "/api/vfs/data/dumpflow/", "/api/vfs/data/dumpflow/x.dmp", `"0102030405060708"`
	return func(w http.ResponseWriter, r *http.Request) {
		redirect := func(to string) {
			w.Header().Set("Location", "http://"+r.Host+to)
			w.WriteHeader(http.StatusTemporaryRedirect)
		}
		switch p := r.URL.Path; {
		case p == strings.TrimSuffix(dir, "/"):
			redirect(dir)
		case p == file+"/":
			redirect(file)
		case p == dir && r.Method == http.MethodGet:
			jsonReply(200, `[{"name":"x.dmp","size":3}]`)(w, r)
		case p == file && r.Method == http.MethodHead:
			w.Header().Set("ETag", tag)
			w.Header().Set("Content-Length", "3")
		case p == file && r.Method == http.MethodDelete:
			if r.Header.Get("If-Match") != tag {
				w.Header().Set("ETag", tag)
				jsonReply(412, `{"Message":"ETag does not represent the latest state of the resource."}`)(w, r)
				return
			}
			w.WriteHeader(http.StatusOK)
		default:
			t.Errorf("unexpected %s %s", r.Method, p)
			w.WriteHeader(http.StatusTeapot)
		}
	}
}

// The client follows Kudu's same-host 307s, keeping method and If-Match.
func TestVFSFollowsKuduRedirects(t *testing.T) {
	srv, rec := fakeServer(t, map[string]http.HandlerFunc{"/": kuduSlashRules(t)})
	c := newTestClient(t, srv, nil)
	ctx := context.Background()
	var entries []struct{ Name string }
	if err := c.c.getJSON(ctx, "list", c.vfsURL(`data\dumpflow`, ""), nil, &entries); err != nil || len(entries) != 1 {
		t.Fatalf("list without slash: %v %+v", err, entries)
	}
	f, err := c.vfsHead(ctx, c.vfsURL("data/dumpflow", "x.dmp")+"/")
	if err != nil || f.Size != 3 || f.ETag == "" {
		t.Fatalf("HEAD file/: %+v %v", f, err)
	}
	if err := c.vfsDelete(ctx, c.vfsURL("data/dumpflow", "x.dmp")+"/", f.ETag); err != nil {
		t.Fatalf("DELETE file/: %v", err)
	}
	var methods []string
	for _, r := range rec.all() {
		methods = append(methods, r.Method+" "+r.URL.Path)
	}
	if want := "GET /api/vfs/data/dumpflow,GET /api/vfs/data/dumpflow/,HEAD /api/vfs/data/dumpflow/x.dmp/,HEAD /api/vfs/data/dumpflow/x.dmp,DELETE /api/vfs/data/dumpflow/x.dmp/,DELETE /api/vfs/data/dumpflow/x.dmp"; strings.Join(methods, ",") != want {
		t.Errorf("requests %v", methods)
	}
}

// Kudu's 404s with no body (unknown thread or module) and its catch-all
// 404 (a JSON string) both match ErrNotFound and read well.
func TestNotFoundBodies(t *testing.T) {
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"GET /api/processes/5": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusNotFound)
		},
		"GET /api/processes/6":       jsonReply(200, `{"id":6,"name":"node","machineName":"M"}`),
		"POST /api/processes/6/stop": jsonReply(404, `"No route registered for '/api/processes/6/stop'"`),
	})
	c := newTestClient(t, srv, nil)
	_, err := c.Process(context.Background(), 5)
	var ae *APIError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &ae) || ae.Message != "" || !strings.Contains(err.Error(), "404 Not Found") {
		t.Fatalf("empty 404: %v", err)
	}
	err = c.Stop(context.Background(), 6)
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &ae) || ae.Message != "No route registered for '/api/processes/6/stop'" {
		t.Fatalf("catch-all 404: %v", err)
	}
}

// A 409 on PUT …/dir/ is accepted only when the folder lists: Kudu also
// answers 409 when a file holds the name (and GET dir/ then redirects to
// the file).
func TestVFSMkdirConflict(t *testing.T) {
	for _, tc := range []struct {
		name   string
		list   http.HandlerFunc
		wantOK bool
	}{
		{"folder exists", jsonReply(200, `[]`), true},
		{"file holds the name", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "http://"+r.Host+"/api/vfs/data/dumpflow")
			w.WriteHeader(http.StatusTemporaryRedirect)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := fakeServer(t, map[string]http.HandlerFunc{
				"PUT /api/vfs/data/dumpflow/": jsonReply(409, `{"Message":"Cannot delete directory. It is either not empty or access is not allowed."}`),
				"GET /api/vfs/data/dumpflow/": tc.list,
				"GET /api/vfs/data/dumpflow": func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/octet-stream")
					_, _ = w.Write([]byte("not a folder"))
				},
			})
			c := newTestClient(t, srv, nil)
			err := c.vfsMkdir(context.Background(), `data\dumpflow`)
			if (err == nil) != tc.wantOK || (err != nil && !strings.Contains(err.Error(), "409")) {
				t.Fatalf("vfsMkdir: %v", err)
			}
		})
	}
}

// The command call posts {command, dir} to /api/command (Kudu routes it
// with or without the trailing slash its own client adds) and reads
// Kudu's PascalCase CommandResult, Output null included.
func TestCommandCall(t *testing.T) {
	srv, _ := fakeServer(t, map[string]http.HandlerFunc{
		"POST /api/command": func(w http.ResponseWriter, r *http.Request) {
			var body map[string]string
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["command"] != "procdump -ma 12 x.dmp" || body["dir"] != `data\dumpflow` {
				t.Errorf("body %v %v", body, err)
			}
			jsonReply(200, `{"Output":null,"Error":"Command 'starter.cmd procdump -ma 1 ...' was aborted due to no output nor CPU activity for 60 seconds.","ExitCode":-1}`)(w, r)
		},
	})
	c := newTestClient(t, srv, nil)
	res, err := c.command(context.Background(), "procdump -ma 12 x.dmp", `data\dumpflow`)
	if err != nil || res.ExitCode != commandAborted || res.Output != "" || !strings.Contains(res.Error, "aborted") {
		t.Fatalf("command: %+v %v", res, err)
	}
}
