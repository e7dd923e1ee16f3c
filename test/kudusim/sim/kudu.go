package sim

import (
	"net/http"
	"strconv"
	"strings"
)

// kreq is one Kudu request bound to the instance that serves it.
type kreq struct {
	s   *Server
	w   http.ResponseWriter
	r   *http.Request
	a   *app
	in  *instance
	col string // absolute URL of the processes collection (hrefs hang from it)
	// path is the request path below the SCM root, e.g. /api/processes/12
	// (what Kudu's catch-all 404 names).
	path string
	// ARM mode (x-ms-geo-location present, or the ARM proxy routes).
	arm         bool
	armID       string // ARM id of the collection, e.g. …/instances/{id}/processes
	location    string
	contributor bool // RBAC-contributor: env and command line not filtered
}

// processPrefixes are the three route prefixes of the process API (§2).
var processPrefixes = []string{"api/processes", "api/diagnostics/processes", "diagnostics/processes"}

// serveKudu routes a request under /{app}/ to the instance picked by the
// ARRAffinity cookie.
func (s *Server) serveKudu(w http.ResponseWriter, r *http.Request, a *app, rest string) {
	s.mu.Lock()
	in := a.route(r)
	s.respawnLocked(in)
	s.mu.Unlock()
	setAffinity(w, a, in)
	w, logged := s.recordKuduRequest(w, r, a, in)
	defer logged()
	for _, p := range processPrefixes {
		if rest == p || strings.HasPrefix(rest, p+"/") {
			k := &kreq{s: s, w: w, r: r, a: a, in: in, col: "http://" + r.Host + "/" + a.name + "/" + p, path: "/" + rest}
			if loc := r.Header.Get("x-ms-geo-location"); loc != "" {
				k.arm, k.location, k.armID = true, loc, r.URL.Path
				if i := strings.Index(k.armID, "/"+p); i >= 0 {
					k.armID = k.armID[:i+1+len(p)]
				}
				if ref := r.Header.Get("Referer"); strings.Contains(ref, "/providers/Microsoft.Web/sites/") {
					k.armID = ref[strings.Index(ref, "/subscriptions/"):]
					k.armID, _, _ = strings.Cut(k.armID, "?")
				}
				k.contributor = r.Header.Get("X-MS-CLIENT-ROLEBASED-CONTRIBUTOR") == "1" ||
					strings.EqualFold(r.Header.Get("X-MS-CLIENT-AUTHORIZATION-SOURCE"), "legacy")
			}
			s.serveProcesses(k, strings.Trim(strings.TrimPrefix(rest, p), "/"))
			return
		}
	}
	for _, p := range []string{"api/vfs", "vfs"} {
		if rest == p || strings.HasPrefix(rest, p+"/") {
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
				s.serveVFS(w, r, a, in, strings.TrimPrefix(rest, p))
			default:
				kuduNoRoute(w, r, "/"+rest)
			}
			return
		}
	}
	// ASP.NET routing ignores one trailing slash, and Kudu's own client
	// (RemoteCommandExecutor over KuduRemoteClientBase) posts to
	// …/api/command/.
	switch strings.TrimSuffix(rest, "/") {
	case "api/command", "command":
		if r.Method == http.MethodPost {
			s.serveCommand(w, r, a, in)
			return
		}
	}
	kuduNoRoute(w, r, "/"+rest)
}

func (s *Server) respawnLocked(in *instance) {
	for _, pid := range in.respawn(&s.cfg) {
		s.log.add(Event{Kind: EventRespawn, App: in.app.name, Instance: in.id, PID: pid, Process: in.procs[pid].name})
	}
}

// serveProcesses handles the process API below one of the three prefixes.
func (s *Server) serveProcesses(k *kreq, sub string) {
	if sub == "" {
		if k.r.Method != http.MethodGet {
			kuduNoRoute(k.w, k.r, k.path)
			return
		}
		s.listProcesses(k)
		return
	}
	parts := strings.Split(sub, "/")
	id, err := strconv.Atoi(parts[0])
	if err != nil {
		writeJSON(k.w, http.StatusBadRequest, kuduError{"The request is invalid."})
		return
	}
	action := strings.Join(parts[1:], "/")
	route := parts[1:]
	m := k.r.Method
	switch {
	case action == "":
		switch m {
		case http.MethodGet:
			s.withProcess(k, id, parts[0], s.processDetail)
		case http.MethodDelete:
			s.withProcess(k, id, parts[0], s.killProcess)
		default:
			kuduNoRoute(k.w, k.r, k.path)
		}
	case action == "stop" && m == http.MethodPost:
		s.withProcess(k, id, parts[0], s.killProcess)
	case action == "dump" && m == http.MethodGet:
		s.withProcess(k, id, parts[0], s.dump)
	case action == "threads" && m == http.MethodGet:
		s.withProcess(k, id, parts[0], s.listThreads)
	case len(route) == 2 && route[0] == "threads" && m == http.MethodGet:
		s.withProcess(k, id, parts[0], func(k *kreq, p *process, idText string) { s.threadDetail(k, p, idText, route[1]) })
	case action == "modules" && m == http.MethodGet:
		s.withProcess(k, id, parts[0], s.listModules)
	case len(route) == 2 && route[0] == "modules" && m == http.MethodGet:
		s.withProcess(k, id, parts[0], func(k *kreq, p *process, idText string) { s.moduleDetail(k, p, idText, route[1]) })
	case len(route) == 2 && route[0] == "environments" && m == http.MethodGet:
		s.withProcess(k, id, parts[0], func(k *kreq, p *process, idText string) { s.environments(k, p, route[1]) })
	case action == "profile/start" && m == http.MethodPost:
		s.withProcess(k, id, parts[0], s.profileStart)
	case action == "profile/stop" && m == http.MethodGet:
		s.withProcess(k, id, parts[0], s.profileStop)
	default:
		// Includes POST …/kill (renamed to /stop in 2020), …/gcdump
		// (removed) and wrong verbs: Kudu's catch-all 404.
		kuduNoRoute(k.w, k.r, k.path)
	}
}

// withProcess resolves the id (0 = Kudu's w3wp, -1 = the first other
// w3wp) and calls f with s.mu released. Unknown pids get Kudu's 404; -1
// without an app w3wp gets the unhandled InvalidOperationException (500).
func (s *Server) withProcess(k *kreq, id int, idText string, f func(*kreq, *process, string)) {
	s.mu.Lock()
	var p *process
	switch id {
	case 0:
		p = k.in.kudu()
	case -1:
		p = k.in.appW3wp()
		if p == nil {
			s.mu.Unlock()
			writeJSON(k.w, http.StatusInternalServerError, kuduException{
				Message: "An error has occurred.", ExceptionMessage: "Sequence contains no elements",
				ExceptionType: "System.InvalidOperationException",
				StackTrace:    "   at System.Linq.Enumerable.First[TSource](IEnumerable`1 source)\r\n   at Kudu.Services.Performance.ProcessController.GetProcessById(Int32 id)",
			})
			return
		}
	default:
		p = k.in.procs[id]
	}
	if p == nil {
		s.mu.Unlock()
		writeJSON(k.w, http.StatusNotFound, kuduError{"Process with an Id of " + strconv.Itoa(id) + " is not running."})
		return
	}
	cp := *p // handlers read a snapshot; the model may change under them
	s.mu.Unlock()
	f(k, &cp, idText)
}
