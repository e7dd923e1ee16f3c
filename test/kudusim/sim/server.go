package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a running simulator: ARM plus the Kudu (SCM) site of every app
// on one listener. Create it with New, read URL, and Close it when done (as
// with httptest.Server). All methods are safe for concurrent use.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234 (no trailing slash).
	URL string

	cfg    Config
	ln     net.Listener
	hs     *http.Server
	ctx    context.Context // cancelled by Close: background work stops
	cancel context.CancelFunc
	wg     sync.WaitGroup // background work (staged writes, commands)
	served chan error
	seqs   dumpSeqs // dumps asked of each process, under Script.Stuck

	mu     sync.Mutex // guards apps and everything reachable from them
	sysDrv *vfs       // C:, the VFS SystemDrive folder (read-only, shared)
	apps   []*app
	byName map[string]*app

	fmu   sync.Mutex // guards frng
	frng  *rand.Rand
	log   eventLog
	busy  atomic.Int64 // requests in ServeHTTP
	shaMu sync.Mutex
	shas  map[dumpKey]func() string // each computes its dump's SHA-256 once, on first call

	webBuf map[*instance][]LoggedRequest // Kudu's requests in IIS's log buffer (guarded by mu)
}

// New validates cfg, builds the simulated apps and starts serving on
// cfg.Addr. It fails with an error wrapping ErrConfig for a bad Config.
func New(cfg Config) (*Server, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, byName: map[string]*app{}, shas: map[dumpKey]func() string{}, served: make(chan error, 1), sysDrv: newSystemDrive(),
		frng: rand.New(rand.NewPCG(cfg.Faults.Seed, 0x6b75647573696d))}
	for i := 0; i < cfg.Apps; i++ {
		for _, slot := range append([]string{""}, cfg.Slots...) {
			a := newApp(&s.cfg, i, slot)
			if s.byName[a.name] != nil {
				return nil, fmt.Errorf("%w: app or slot name %q repeated", ErrConfig, a.name)
			}
			s.apps = append(s.apps, a)
			s.byName[a.name] = a
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("kudusim: listen on %s: %w", cfg.Addr, err)
	}
	s.ln = ln
	s.URL = "http://" + ln.Addr().String()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second,
		BaseContext: func(net.Listener) context.Context { return s.ctx }}
	go func() { s.served <- s.hs.Serve(ln) }()
	return s, nil
}

// Close stops the listener, cancels in-flight requests and background work
// (dump writes, commands) and waits for them.
func (s *Server) Close() error {
	s.cancel()
	err := s.hs.Close()
	<-s.served
	s.wg.Wait()
	return err
}

// Shutdown stops accepting requests and waits for in-flight ones until ctx
// ends, then closes like Close.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.hs.Shutdown(ctx)
	if cerr := s.Close(); err == nil && !errors.Is(cerr, http.ErrServerClosed) {
		err = cerr
	}
	return err
}

// Events returns a copy of every recorded event, oldest first. A
// request's event is recorded when its handler ends, which can be just
// after the client read the last byte: call Settle first to see them all.
func (s *Server) Events() []Event { return s.log.list() }

// Settle waits until no request is being handled (so every finished
// request's events are recorded) or ctx ends. Background work started by
// the command API is not waited for.
func (s *Server) Settle(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for s.busy.Load() > 0 {
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Logf != nil {
		s.cfg.Logf(format, args...)
	}
}

// ServeHTTP routes one request: / (description), /_sim/… (debug),
// /subscriptions/… (ARM) and /{app}/… (that app's Kudu).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.logf("%s %s", r.Method, r.URL.RequestURI())
	p := r.URL.Path
	if !strings.HasPrefix(p, "/_sim/") {
		s.busy.Add(1)
		defer s.busy.Add(-1)
	}
	switch {
	case p == "/":
		s.serveInfo(w, r)
	case strings.HasPrefix(p, "/_sim/"):
		s.serveDebug(w, r)
	case strings.HasPrefix(p, "/subscriptions/"):
		if s.frontEnd(w, r, nil) {
			s.serveARM(w, r)
		}
	default:
		name, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		s.mu.Lock()
		a := s.byName[name]
		s.mu.Unlock()
		if a == nil {
			writeHTML(w, http.StatusNotFound, "404 Web Site not found.")
			return
		}
		if s.frontEnd(w, r, a) {
			s.serveKudu(w, r, a, rest)
		}
	}
}

// Info is the JSON answer of GET / (the test/kudusim contract).
type Info struct {
	ARMURL         string    `json:"arm_url"`
	SCMURLTemplate string    `json:"scm_url_template"`
	Apps           []AppInfo `json:"apps"`
}

// AppInfo describes one simulated app or deployment slot.
type AppInfo struct {
	// Name is the site name, or "{site}-{slot}" for a slot (its SCM path).
	Name       string `json:"name"`
	ResourceID string `json:"resource_id"`
	// SCMURL is the base /api/processes hangs from: URL + "/" + Name.
	SCMURL    string   `json:"scm_url"`
	Instances []string `json:"instances"`
}

// Info describes the apps and their current instances.
func (s *Server) Info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := Info{ARMURL: s.URL, SCMURLTemplate: s.URL + "/{app}", Apps: []AppInfo{}}
	for _, a := range s.apps {
		ai := AppInfo{Name: a.name, ResourceID: a.resourceID, SCMURL: s.URL + "/" + a.name, Instances: []string{}}
		for _, i := range a.instances {
			ai.Instances = append(ai.Instances, i.id)
		}
		in.Apps = append(in.Apps, ai)
	}
	return in
}

func (s *Server) serveInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeJSON(w, http.StatusMethodNotAllowed, kuduError{"use GET"})
		return
	}
	writeJSON(w, http.StatusOK, s.Info())
}

// serveDebug serves the simulator's own endpoints:
//
//	GET    /_sim/events[?settle=1]              recorded events (JSON array); settle=1 waits for in-flight requests
//	POST   /_sim/apps/{app}/instances           scale out: add an instance
//	DELETE /_sim/apps/{app}/instances/{id}      scale in: remove one
//	POST   /_sim/apps/{app}/instances/{id}/requests  log requests the app served (web server logs)
func (s *Server) serveDebug(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/_sim/"), "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "events" && r.Method == http.MethodGet:
		if r.URL.Query().Get("settle") == "1" {
			ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
			err := s.Settle(ctx)
			cancel()
			if err != nil {
				writeJSON(w, http.StatusServiceUnavailable, kuduError{"requests still in flight: " + err.Error()})
				return
			}
		}
		writeJSON(w, http.StatusOK, s.Events())
	case len(parts) == 3 && parts[0] == "apps" && parts[2] == "instances" && r.Method == http.MethodPost:
		id, err := s.AddInstance(parts[1])
		if err != nil {
			writeJSON(w, http.StatusNotFound, kuduError{err.Error()})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{"id": id})
	case len(parts) == 5 && parts[0] == "apps" && parts[2] == "instances" && parts[4] == "requests" && r.Method == http.MethodPost:
		s.serveLogRequests(w, r, parts[1], parts[3])
	case len(parts) == 4 && parts[0] == "apps" && parts[2] == "instances" && r.Method == http.MethodDelete:
		if err := s.RemoveInstance(parts[1], parts[3]); err != nil {
			writeJSON(w, http.StatusNotFound, kuduError{err.Error()})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusNotFound, kuduError{"unknown simulator endpoint"})
	}
}

// ErrNotFound is returned by the control methods for an unknown app or
// instance.
var ErrNotFound = errors.New("kudusim: not found")

// AddInstance adds a fresh instance to app (scale out) and returns its id.
func (s *Server) AddInstance(appName string) (string, error) {
	s.mu.Lock()
	a := s.byName[appName]
	if a == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("%w: app %q", ErrNotFound, appName)
	}
	in := a.addInstance(&s.cfg, true)
	s.mu.Unlock()
	s.log.add(Event{Kind: EventScaleOut, App: appName, Instance: in.id})
	return in.id, nil
}

// RemoveInstance removes an instance (scale in). Requests pinned to it are
// then silently routed to another instance, as the front end does.
func (s *Server) RemoveInstance(appName, id string) error {
	s.mu.Lock()
	a := s.byName[appName]
	if a == nil {
		s.mu.Unlock()
		return fmt.Errorf("%w: app %q", ErrNotFound, appName)
	}
	for i, in := range a.instances {
		if in.id == id {
			if len(a.instances) == 1 {
				s.mu.Unlock()
				return fmt.Errorf("kudusim: app %q: cannot remove its last instance", appName)
			}
			a.instances = append(a.instances[:i:i], a.instances[i+1:]...)
			s.mu.Unlock()
			s.log.add(Event{Kind: EventScaleIn, App: appName, Instance: id})
			return nil
		}
	}
	s.mu.Unlock()
	return fmt.Errorf("%w: instance %q of app %q", ErrNotFound, id, appName)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"Message":"An error has occurred."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeHTML answers like the front end or IIS: a small HTML page.
func writeHTML(w http.ResponseWriter, status int, title string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>%s</title></head><body><h1>%s</h1></body></html>", title, title)
}

// kuduNoRoute is Kudu's catch-all answer (Error404Controller.Handle): a
// request that no route takes, including a known path with a verb its
// route does not accept (Kudu's routes carry verb constraints), gets 404
// with a JSON string naming the path and query. HEAD and other verbs the
// catch-all itself does not accept get Web API's 405. path is the request
// path relative to the SCM root (the real host has no /{app} prefix).
func kuduNoRoute(w http.ResponseWriter, r *http.Request, path string) {
	switch r.Method {
	case http.MethodGet, http.MethodPatch, http.MethodPost, http.MethodPut, http.MethodDelete:
	default:
		writeJSON(w, http.StatusMethodNotAllowed, kuduError{fmt.Sprintf("The requested resource does not support http method '%s'.", r.Method)})
		return
	}
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	writeJSON(w, http.StatusNotFound, "No route registered for '"+path+"'")
}
