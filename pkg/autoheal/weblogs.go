package autoheal

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// WebLogDir is where App Service writes web server logs (W3C extended) when
// "Web server logging" is set to the file system: %HOME%\LogFiles\http\RawLogs,
// on the content volume every instance shares (docs/autoheal.md).
const WebLogDir = "LogFiles/http/RawLogs"

// ErrNoWebLogs is returned by WebLogReader.ListLogs when the site has no
// RawLogs folder (web server logging to the file system was never on).
var ErrNoWebLogs = errors.New("autoheal: no web server logs folder (LogFiles/http/RawLogs)")

// LogFileInfo is a log file as the folder listing shows it.
type LogFileInfo struct {
	Name  string
	Size  int64
	MTime time.Time
	// ETag is the file's entity tag at the listing (Kudu's ranged reads
	// need it), "" when unknown.
	ETag string
}

// WebLogReader reads a site's web server logs; the Kudu adapter
// (KuduReader) is the production one.
type WebLogReader interface {
	// Instances lists the site's instance ids.
	Instances(ctx context.Context, site string) ([]string, error)
	// MachineName is the machine name of an instance, the key every
	// other source observes it under.
	MachineName(ctx context.Context, site, instance string) (string, error)
	// ListLogs lists the RawLogs folder through a request pinned to the
	// instance (so that the request, logged by that instance's IIS,
	// carries its ARRAffinity cookie into its own log). ErrNoWebLogs when
	// the folder does not exist.
	ListLogs(ctx context.Context, site, instance string) ([]LogFileInfo, error)
	// ReadLog reads at most n bytes of a log file (as listed) from off,
	// and returns them with the file's size. An offset at or past the end
	// returns no bytes and the size (Kudu's 416).
	ReadLog(ctx context.Context, site, instance string, file LogFileInfo, off, n int64) ([]byte, int64, error)
}

// WebLogs tails every site's web server logs and feeds each request (path,
// status, sub-status, win32 status, time taken, time) to the rule windows
// of the instance that served it, so request triggers evaluate per request
// as in-process auto-heal does. It polls every Interval (±10 % jitter),
// reading at most MaxRead bytes per file per poll from where it left off.
//
// A site "has web logs" while a .log file in RawLogs was written within
// Fresh; Active tells the metrics source to stand back for it.
type WebLogs struct {
	Reader WebLogReader
	Sites  []string
	// Interval between polls; 0 means DefaultWebLogPoll.
	Interval time.Duration
	// Concurrency bounds the Kudu calls in flight; 0 means
	// DefaultReadConcurrency.
	Concurrency int
	// MaxRead bounds one read of one file; 0 means DefaultWebLogMaxRead.
	MaxRead int64
	// Fresh is how recently a log file must have been written for the
	// site's logs to count as on; 0 means DefaultWebLogFresh (HTTP.sys buffers
	// entries before writing them, and a quiet site writes none).
	Fresh time.Duration
	// Keep drops requests older than this when read (the longest rule
	// window; Evaluator.Window); 0 means DefaultWebLogKeep.
	Keep time.Duration
	// MaxPending bounds the requests held per file while the file's
	// instance is not known yet; 0 means DefaultWebLogMaxPending.
	MaxPending int
	// Handover is set when a metrics source counts the sites whose logs
	// are off (Metrics.Skip): when a site's logs take over (at start or
	// after a fallback), they count only requests from that minute on,
	// as the metrics may have counted the earlier ones.
	Handover bool
	Log      *slog.Logger
	Now      func() time.Time

	once  sync.Once
	mu    sync.Mutex
	sites map[string]*siteLogs // lower-case site
}

// siteLogs is the tail state of one site.
type siteLogs struct {
	files    map[string]*logFile // lower-case file name
	machines map[string]string   // instance id → machine name
	active   bool
	why      string    // why the site is not active, for the log
	since    time.Time // with Handover: requests before it were the metrics'
}

func (w *WebLogs) init() {
	w.once.Do(func() {
		w.Interval = cmp.Or(max(w.Interval, 0), DefaultWebLogPoll)
		w.Concurrency = cmp.Or(max(w.Concurrency, 0), DefaultReadConcurrency)
		w.MaxRead = cmp.Or(max(w.MaxRead, 0), DefaultWebLogMaxRead)
		w.Fresh = cmp.Or(max(w.Fresh, 0), DefaultWebLogFresh)
		w.Keep = cmp.Or(max(w.Keep, 0), DefaultWebLogKeep)
		w.MaxPending = cmp.Or(max(w.MaxPending, 0), DefaultWebLogMaxPending)
		w.Log = cmp.Or(w.Log, discardLog)
		w.Now = clock(w.Now)
		w.sites = map[string]*siteLogs{}
	})
}

// Active reports whether the site's request rules are fed from its web
// server logs (a log file written within Fresh at the last poll).
func (w *WebLogs) Active(site string) bool {
	w.init()
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.sites[strings.ToLower(site)]
	return s != nil && s.active
}

// Run polls until ctx ends, then returns nil. Read errors are logged and
// retried on the next poll; they never stop the source.
func (w *WebLogs) Run(ctx context.Context, obs Observer) error {
	w.init()
	for {
		w.Poll(ctx, obs)
		if !sleep(ctx, jittered(w.Interval)) {
			return nil
		}
	}
}

// Poll reads what every site's logs gained since the last poll and feeds
// it to obs. Run calls it every Interval; tests call it directly.
func (w *WebLogs) Poll(ctx context.Context, obs Observer) {
	w.init()
	for _, site := range w.Sites {
		w.pollSite(ctx, site, obs)
	}
}

func (w *WebLogs) state(site string) *siteLogs {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.sites[strings.ToLower(site)]
	if s == nil {
		s = &siteLogs{files: map[string]*logFile{}, machines: map[string]string{}}
		w.sites[strings.ToLower(site)] = s
	}
	return s
}

func (w *WebLogs) setActive(site string, s *siteLogs, active bool, why string) {
	w.mu.Lock()
	was, wasWhy := s.active, s.why
	s.active, s.why = active, why
	if active && !was && w.Handover {
		// Metrics.Skip drops the minute in progress and what follows.
		s.since = w.Now().UTC().Truncate(time.Minute)
	}
	w.mu.Unlock()
	switch {
	case active && !was:
		w.Log.Info("auto-heal: request rules read the site's web server logs", "site", site)
	case !active && (was || why != wasWhy):
		w.Log.Info("auto-heal: request rules fall back to Azure Monitor metrics", "site", site, "why", why)
	}
}

func (w *WebLogs) pollSite(ctx context.Context, site string, obs Observer) {
	s := w.state(site)
	ids, err := w.Reader.Instances(ctx, site)
	if err != nil {
		w.Log.Warn("web logs: listing instances failed", "site", site, "err", err)
		return
	}
	if len(ids) == 0 {
		w.setActive(site, s, false, "the site has no instances")
		return
	}
	sort.Strings(ids)
	// While some file is not attributed, one pinned listing per
	// instance: any one gives the shared folder; each leaves a Kudu
	// request carrying the instance's ARRAffinity in that instance's own
	// log, which is how a file is attributed. Otherwise one listing will
	// do: every request of ours is a line in the site's logs (and counts
	// against its log quota).
	pins := w.needPins(s, len(ids))
	lists := make([][]LogFileInfo, len(ids))
	errs := make([]error, len(ids))
	listed := make([]bool, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(w.Concurrency)
	for i, id := range ids {
		g.Go(func() error {
			if _, known := w.machine(s, id); !known {
				name, err := w.Reader.MachineName(gctx, site, id)
				if err != nil {
					errs[i] = err
					return nil
				}
				w.mu.Lock()
				s.machines[id] = name
				w.mu.Unlock()
			}
			if i == 0 || pins {
				lists[i], errs[i] = w.Reader.ListLogs(gctx, site, id)
				listed[i] = true
			}
			return nil
		})
	}
	_ = g.Wait()
	// The one listing failed: try the other instances, one at a time.
	for i := 1; !pins && i < len(ids) && errs[0] != nil && !errors.Is(errs[0], ErrNoWebLogs); i++ {
		if _, known := w.machine(s, ids[i]); !known {
			continue
		}
		lists[i], errs[i] = w.Reader.ListLogs(ctx, site, ids[i])
		listed[i] = true
		if errs[i] == nil {
			break
		}
	}
	var list []LogFileInfo
	var reader string
	var failed error
	noLogs := 0
	for i, l := range lists {
		switch {
		case !listed[i] && errs[i] == nil:
		case errs[i] == nil && reader == "":
			list, reader = l, ids[i]
		case errors.Is(errs[i], ErrNoWebLogs):
			noLogs++
		case errs[i] != nil:
			failed = errs[i]
			w.Log.Warn("web logs: reading the instance's machine name or listing RawLogs failed", "site", site, "instance", ids[i], "err", errs[i])
		}
	}
	switch {
	case reader == "" && noLogs > 0:
		w.setActive(site, s, false, "no LogFiles/http/RawLogs folder: web server logging to the file system is off")
		return
	case reader == "":
		// Blind is worse than approximate: the metrics take over until
		// the logs can be read again.
		why := "reading the web server logs failed"
		if failed != nil {
			why += ": " + failed.Error()
		}
		w.setActive(site, s, false, why)
		return
	}
	now := w.Now()
	fresh := false
	live := map[string]bool{}
	var files []LogFileInfo
	for _, f := range list {
		if !strings.HasSuffix(strings.ToLower(f.Name), ".log") {
			continue
		}
		files = append(files, f)
		live[strings.ToLower(f.Name)] = true
		if now.Sub(f.MTime) <= w.Fresh {
			fresh = true
		}
	}
	w.mu.Lock()
	for k := range s.files {
		if !live[k] {
			delete(s.files, k) // deleted by retention
		}
	}
	w.mu.Unlock()
	if !fresh {
		w.setActive(site, s, false, "no web server log written in the last "+w.Fresh.String())
		return
	}
	w.setActive(site, s, true, "")
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(w.Concurrency)
	for _, f := range files {
		g.Go(func() error {
			w.readFile(gctx, site, s, ids, reader, f, obs, now)
			return nil
		})
	}
	_ = g.Wait()
}

// needPins reports whether every instance must be listed (pinned) this
// poll: on a site with several instances, before any file is known, or
// while a known file has no owner and names no machine in its lines.
func (w *WebLogs) needPins(s *siteLogs, instances int) bool {
	if instances < 2 {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(s.files) == 0 {
		return true
	}
	for _, f := range s.files {
		if f.owner == "" && !f.named {
			return true
		}
	}
	return false
}

func (w *WebLogs) machine(s *siteLogs, id string) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, ok := s.machines[id]
	return n, ok
}

// Window is the longest rule window: how long observations are kept.
func (e *Evaluator) Window() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.keep
}
