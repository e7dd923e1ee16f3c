package harness

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dumpflow/dumpflow/test/kudusim/sim"
)

// DumpRequest is a dump request as it reached the simulator's front door.
type DumpRequest struct {
	// Start is when the request arrived (before the simulator handled it).
	Start time.Time
	App   string
	// Instance is the ARRAffinity cookie's instance ("" when absent).
	Instance string
	PID      int
}

// Recorder is an HTTP front for a simulator that notes when each dump
// request starts: the simulator's own events are recorded when requests
// end, and telling a duplicate request (one for a dump already committed)
// needs its start. Give the services Recorder's URLs (Info) instead of the
// simulator's.
type Recorder struct {
	// URL is the recorder's base URL.
	URL string

	sim  *sim.Server
	srv  *http.Server
	done chan struct{}

	mu   sync.Mutex
	reqs []DumpRequest
}

var dumpPath = regexp.MustCompile(`^/([^/]+)/api/(?:diagnostics/)?processes/(-?[0-9]+)/dump$`)

// NewRecorder listens on a loopback port in front of s.
func NewRecorder(s *sim.Server) (*Recorder, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("harness: recorder: %w", err)
	}
	r := &Recorder{URL: "http://" + ln.Addr().String(), sim: s, done: make(chan struct{})}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { // owned by Close, which waits for done
		defer close(r.done)
		_ = r.srv.Serve(ln)
	}()
	return r, nil
}

// ServeHTTP notes dump requests and hands every request to the simulator.
func (r *Recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if m := dumpPath.FindStringSubmatch(req.URL.Path); m != nil {
		pid, _ := strconv.Atoi(m[2])
		d := DumpRequest{Start: time.Now(), App: m[1], PID: pid}
		for _, name := range []string{"ARRAffinity", "ARRAffinitySameSite"} {
			if c, err := req.Cookie(name); err == nil && d.Instance == "" {
				d.Instance = c.Value
			}
		}
		r.mu.Lock()
		r.reqs = append(r.reqs, d)
		r.mu.Unlock()
	}
	r.sim.ServeHTTP(w, req)
}

// Info is the simulator's Info with its URLs pointing at the recorder.
func (r *Recorder) Info() sim.Info {
	in := r.sim.Info()
	in.ARMURL = strings.Replace(in.ARMURL, r.sim.URL, r.URL, 1)
	in.SCMURLTemplate = strings.Replace(in.SCMURLTemplate, r.sim.URL, r.URL, 1)
	for i := range in.Apps {
		in.Apps[i].SCMURL = strings.Replace(in.Apps[i].SCMURL, r.sim.URL, r.URL, 1)
	}
	return in
}

// Requests returns the dump requests seen so far, oldest first.
func (r *Recorder) Requests() []DumpRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]DumpRequest(nil), r.reqs...)
}

// Close stops the recorder (not the simulator).
func (r *Recorder) Close() error {
	err := r.srv.Close()
	<-r.done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
