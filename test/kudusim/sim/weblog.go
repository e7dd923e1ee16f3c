package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebLogs turns on App Service's "web server logging" to the file system:
// each instance's IIS appends W3C extended log lines to a file under
// %HOME%\LogFiles\http\RawLogs, on the content volume all instances share
// (docs/autoheal.md, "Web server logs").
type WebLogs struct {
	// Apps are the apps (names as in AppNames, slots as "{app}-{slot}")
	// that log; "*" means every app. Empty turns logging off.
	Apps []string
	// Fields is the #Fields layout; nil means App Service's
	// (DefaultWebLogFields).
	Fields []string
	// MaxFileBytes starts a new file when the current one reaches it;
	// 0 means new files only on the hour (IIS's hourly rollover).
	MaxFileBytes int64
	// Now is IIS's clock: it picks the hour's file (IIS rolls over by the
	// time of writing, not by the request's time), the files' modification
	// time and the time of Kudu's logged requests. Nil means time.Now;
	// tests fix it so no hour boundary splits what they write.
	Now func() time.Time
}

func (c *WebLogs) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// DefaultWebLogFields is the #Fields layout of App Service's web server
// logs.
var DefaultWebLogFields = []string{"date", "time", "s-sitename", "cs-method", "cs-uri-stem", "cs-uri-query",
	"s-port", "cs-username", "c-ip", "cs(User-Agent)", "cs(Cookie)", "cs(Referer)", "cs-host",
	"sc-status", "sc-substatus", "sc-win32-status", "sc-bytes", "cs-bytes", "time-taken"}

// webLogDir is where the logs go, under %HOME%.
const webLogDir = `LogFiles\http\RawLogs`

// LoggedRequest is one request an instance's IIS logs.
type LoggedRequest struct {
	At                             time.Time // when the response completed (logged in UTC, to the second)
	Method, Path, Query            string    // Method "" means GET
	Status, SubStatus, Win32Status int
	TimeTaken                      time.Duration
	Cookie, UserAgent              string
	// SCM logs the request as one to Kudu's site (s-sitename "~1{site}").
	SCM bool
}

func (c *WebLogs) logs(app string) bool {
	for _, a := range c.Apps {
		if a == "*" || strings.EqualFold(a, app) {
			return true
		}
	}
	return false
}

// LogRequests appends requests, in order, to the web server log of one
// instance of an app: the simulated app served them. It fails when the
// app does not log (Config.WebLogs) or the instance does not exist.
func (s *Server) LogRequests(appName, instanceID string, reqs ...LoggedRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.byName[appName]
	if a == nil {
		return fmt.Errorf("%w: app %q", ErrNotFound, appName)
	}
	if !s.cfg.WebLogs.logs(a.name) {
		return fmt.Errorf("kudusim: app %q does not write web server logs (Config.WebLogs)", appName)
	}
	for _, in := range a.instances {
		if strings.EqualFold(in.id, instanceID) {
			s.flushWebLogLocked(a, in)
			for _, r := range reqs {
				s.appendWebLogLocked(a, in, r)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: instance %q of %q", ErrNotFound, instanceID, appName)
}

// webLogName is the simulator's file name for an instance's log in the
// hour of t: the first 6 characters of the instance id, the hour, and a
// rollover number after the first file. App Service's real naming was not
// found in a public source; dumpflow's reader relies on no name.
func webLogName(in *instance, t time.Time, n int) string {
	id := in.id
	if len(id) > 6 {
		id = id[:6]
	}
	name := id + "-" + t.UTC().Format("2006010215")
	if n > 0 {
		name += "-" + strconv.Itoa(n)
	}
	return name + ".log"
}

// appendWebLogLocked writes one line, starting a file (with IIS's header
// directives) on a new hour or when the current file is full. The caller
// holds s.mu.
func (s *Server) appendWebLogLocked(a *app, in *instance, r LoggedRequest) {
	cfg := s.cfg.WebLogs
	fields := cfg.Fields
	if fields == nil {
		fields = DefaultWebLogFields
	}
	now := cfg.now()
	var f *vfile
	for n := 0; ; n++ {
		p := webLogDir + `\` + webLogName(in, now, n)
		f = a.fs.files[key(p)]
		if f == nil {
			a.fs.mkdirAll(webLogDir)
			f = &vfile{name: p, ctime: now}
			a.fs.files[key(p)] = f
			f.data = append(f.data, "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: "+
				now.Format("2006-01-02 15:04:05")+"\r\n#Fields: "+strings.Join(fields, " ")+"\r\n"...)
			break
		}
		if cfg.MaxFileBytes <= 0 || int64(len(f.data)) < cfg.MaxFileBytes {
			break
		}
	}
	// Readers hold earlier slices of data; append only writes past their
	// length, so what they read does not change under them.
	f.data = append(f.data, webLogLine(a, in, fields, r)+"\r\n"...)
	f.size, f.mtime = int64(len(f.data)), now
}

// webLogLine formats one entry: values in #Fields order, '-' for none,
// spaces as '+' (IIS's W3C escaping).
func webLogLine(a *app, in *instance, fields []string, r LoggedRequest) string {
	at := r.At.UTC()
	site := strings.ToUpper(a.name)
	if r.SCM {
		site = "~1" + site
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	esc := func(v string) string {
		if v == "" {
			return "-"
		}
		return strings.Map(func(c rune) rune {
			if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
				return '+'
			}
			return c
		}, v)
	}
	vals := make([]string, len(fields))
	for i, f := range fields {
		var v string
		switch strings.ToLower(f) {
		case "date":
			v = at.Format("2006-01-02")
		case "time":
			v = at.Format("15:04:05")
		case "s-sitename":
			v = site
		case "s-computername":
			v = in.machine
		case "cs-method":
			v = method
		case "cs-uri-stem":
			v = r.Path
		case "cs-uri-query":
			v = r.Query
		case "s-port":
			v = "443"
		case "c-ip":
			v = "10.0.0.1"
		case "cs(user-agent)":
			v = r.UserAgent
		case "cs(cookie)":
			v = r.Cookie
		case "cs-host":
			v = strings.ToLower(a.name) + ".azurewebsites.net"
			if r.SCM {
				v = strings.ToLower(a.name) + ".scm.azurewebsites.net"
			}
		case "sc-status":
			v = strconv.Itoa(r.Status)
		case "sc-substatus":
			v = strconv.Itoa(r.SubStatus)
		case "sc-win32-status":
			v = strconv.Itoa(r.Win32Status)
		case "sc-bytes", "cs-bytes":
			v = "0"
		case "time-taken":
			v = strconv.FormatInt(r.TimeTaken.Milliseconds(), 10)
		}
		vals[i] = esc(v)
	}
	return strings.Join(vals, " ")
}
