package kudu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// wireProcess mirrors Kudu's ProcessInfo JSON.
type wireProcess struct {
	ID          *int             `json:"id"`
	Identifier  *int             `json:"identifier"`
	Name        string           `json:"name"`
	MachineName string           `json:"machineName"`
	Href        string           `json:"href"`
	UserName    string           `json:"user_name"`
	Minidump    string           `json:"minidump"`
	Parent      string           `json:"parent"`
	Children    []string         `json:"children"`
	Threads     []wireThread     `json:"threads"`
	Modules     []wireModule     `json:"modules"`
	Handles     []string         `json:"open_file_handles"`
	FileName    string           `json:"file_name"`
	CommandLine *string          `json:"command_line"`
	HandleCount int              `json:"handle_count"`
	ModuleCount int              `json:"module_count"`
	ThreadCount int              `json:"thread_count"`
	StartTime   string           `json:"start_time"`
	TotalCPU    string           `json:"total_cpu_time"`
	UserCPU     string           `json:"user_cpu_time"`
	PrivCPU     string           `json:"privileged_cpu_time"`
	WorkingSet  int64            `json:"working_set"`
	PeakWS      int64            `json:"peak_working_set"`
	Private     int64            `json:"private_memory"`
	Virtual     int64            `json:"virtual_memory"`
	PeakVirtual int64            `json:"peak_virtual_memory"`
	Paged       int64            `json:"paged_memory"`
	PeakPaged   int64            `json:"peak_paged_memory"`
	PagedSys    int64            `json:"paged_system_memory"`
	NonPagedSys int64            `json:"non_paged_system_memory"`
	TimeStamp   string           `json:"time_stamp"`
	Env         map[string]any   `json:"environment_variables"`
	Profile     bool             `json:"is_profile_running"`
	IISProfile  bool             `json:"is_iis_profile_running"`
	IISTimeout  float64          `json:"iis_profile_timeout_in_seconds"`
	SCM         bool             `json:"is_scm_site"`
	WebJob      bool             `json:"is_webjob"`
	Description string           `json:"description"`
	Deployment  string           `json:"deployment_name"`
	Properties  *json.RawMessage `json:"properties"`
}

type wireThread struct {
	ID    int    `json:"id"`
	Href  string `json:"href"`
	State string `json:"state"`
}

type wireModule struct {
	BaseAddress string `json:"base_address"`
	FileName    string `json:"file_name"`
	Href        string `json:"href"`
	FileVersion string `json:"file_version"`
}

// envelope is ARM's wrapping {id, name, type, location, properties} of one
// object; its own "id" is a resource path, not a pid.
type envelope struct {
	Properties json.RawMessage `json:"properties"`
}

// unwrap returns the ARM "properties" object of raw when raw is an ARM
// envelope, else raw itself (a plain object, e.g. an environment with a
// variable called "properties", has a string there, not an object).
func unwrap(raw []byte) []byte {
	var e envelope
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) && json.Unmarshal(raw, &e) == nil &&
		bytes.HasPrefix(bytes.TrimSpace(e.Properties), []byte("{")) {
		return e.Properties
	}
	return raw
}

// unwrapList returns the elements of a plain JSON array or of ARM's
// {"value":[…], "nextLink"} list, and the nextLink.
func unwrapList(raw []byte) ([]json.RawMessage, string, error) {
	raw = bytes.TrimSpace(raw)
	var items []json.RawMessage
	if bytes.HasPrefix(raw, []byte("[")) {
		err := json.Unmarshal(raw, &items)
		return items, "", err
	}
	var l struct {
		Value    *[]json.RawMessage `json:"value"`
		NextLink string             `json:"nextLink"`
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, "", err
	}
	if l.Value == nil {
		return nil, "", errors.New(`expected a JSON array or an object with "value"`)
	}
	return *l.Value, l.NextLink, nil
}

// parseProcess decodes one ProcessInfo, plain or in an ARM envelope.
func parseProcess(raw []byte) (*Process, error) {
	var w wireProcess
	if err := json.Unmarshal(unwrap(raw), &w); err != nil {
		return nil, err
	}
	return w.toProcess()
}

func (w *wireProcess) toProcess() (*Process, error) {
	p := &Process{
		Name: w.Name, MachineName: w.MachineName, Href: w.Href, UserName: w.UserName,
		Minidump: w.Minidump, Parent: w.Parent, Children: w.Children,
		IsSCMSite: w.SCM, IsWebJob: w.WebJob, Description: w.Description, FileName: w.FileName,
		HandleCount: w.HandleCount, ModuleCount: w.ModuleCount, ThreadCount: w.ThreadCount,
		WorkingSet: w.WorkingSet, PeakWorkingSet: w.PeakWS, PrivateMemory: w.Private,
		VirtualMemory: w.Virtual, PeakVirtualMemory: w.PeakVirtual, PagedMemory: w.Paged,
		PeakPagedMemory: w.PeakPaged, PagedSystemMemory: w.PagedSys, NonPagedSystemMemory: w.NonPagedSys,
		IsProfileRunning: w.Profile, IsIISProfileRunning: w.IISProfile,
		IISProfileTimeout: time.Duration(w.IISTimeout * float64(time.Second)),
		DeploymentName:    w.Deployment, OpenFileHandles: w.Handles,
	}
	switch {
	case w.ID != nil:
		p.ID = *w.ID
	case w.Identifier != nil:
		p.ID = *w.Identifier
	default:
		return nil, errors.New("process without an id")
	}
	if w.CommandLine != nil {
		p.CommandLine = *w.CommandLine
	}
	var err error
	if p.StartTime, err = parseDotNetTime(w.StartTime); err != nil {
		return nil, fmt.Errorf("start_time: %w", err)
	}
	if p.TimeStamp, err = parseDotNetTime(w.TimeStamp); err != nil {
		return nil, fmt.Errorf("time_stamp: %w", err)
	}
	for _, f := range []struct {
		dst       *time.Duration
		src, name string
	}{{&p.TotalCPUTime, w.TotalCPU, "total_cpu_time"}, {&p.UserCPUTime, w.UserCPU, "user_cpu_time"}, {&p.PrivilegedCPUTime, w.PrivCPU, "privileged_cpu_time"}} {
		if *f.dst, err = parseTimeSpan(f.src); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if w.Parent != "" {
		if p.ParentID, err = pidFromURL(w.Parent); err != nil {
			return nil, fmt.Errorf("parent: %w", err)
		}
	}
	for _, c := range w.Children {
		id, err := pidFromURL(c)
		if err != nil {
			return nil, fmt.Errorf("children: %w", err)
		}
		p.ChildIDs = append(p.ChildIDs, id)
	}
	for _, t := range w.Threads {
		p.Threads = append(p.Threads, Thread{ID: t.ID, Href: t.Href, State: t.State})
	}
	for _, m := range w.Modules {
		p.Modules = append(p.Modules, Module(m))
	}
	if w.Env != nil {
		p.Environment = envStrings(w.Env)
	}
	return p, nil
}

// envStrings keeps the string-valued entries of an environment object.
func envStrings(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// pidFromURL reads the pid from the last path segment of a process URL
// such as "https://x.scm.azurewebsites.net/api/processes/4120".
func pidFromURL(raw string) (int, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return 0, fmt.Errorf("bad process URL %q: %w", raw, err)
	}
	seg := path.Base(strings.TrimRight(u.Path, "/"))
	id, err := strconv.Atoi(seg)
	if err != nil || id < -1 {
		return 0, fmt.Errorf("process URL %q does not end in a pid", raw)
	}
	return id, nil
}

// parseDotNetTime reads a Newtonsoft DateTime: ISO-8601 with up to 7
// fractional digits, with "Z", an offset, or no zone (taken as UTC). ""
// is the zero time (DateTime.MinValue is omitted on the wire).
func parseDotNetTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad date-time %q", s)
	}
	return t, nil
}

// parseTimeSpan reads a .NET TimeSpan in constant format
// "[-][d.]hh:mm:ss[.fffffff]". "" is zero.
func parseTimeSpan(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	bad := fmt.Errorf("bad time span %q", s)
	neg := strings.HasPrefix(s, "-")
	rest := strings.TrimPrefix(s, "-")
	var days int64
	hms := strings.Split(rest, ":")
	if len(hms) != 3 {
		return 0, bad
	}
	if d, h, ok := strings.Cut(hms[0], "."); ok {
		n, err := strconv.ParseInt(d, 10, 64)
		if err != nil || n < 0 || n > 10675199 {
			return 0, bad
		}
		days, hms[0] = n, h
	}
	sec, frac, _ := strings.Cut(hms[2], ".")
	h, e1 := atoiRange(hms[0], 23)
	m, e2 := atoiRange(hms[1], 59)
	sc, e3 := atoiRange(sec, 59)
	if e1 != nil || e2 != nil || e3 != nil || len(frac) > 7 {
		return 0, bad
	}
	var ns int64
	if frac != "" {
		f, err := strconv.ParseUint(frac, 10, 64)
		if err != nil || strings.ContainsAny(frac, "+-") {
			return 0, bad
		}
		ns = int64(f)
		for i := len(frac); i < 9; i++ {
			ns *= 10
		}
	}
	const maxDays = int64((1<<63 - 1) / int64(24*time.Hour))
	if days >= maxDays {
		return 0, bad
	}
	d := time.Duration(days)*24*time.Hour + time.Duration(h)*time.Hour +
		time.Duration(m)*time.Minute + time.Duration(sc)*time.Second + time.Duration(ns)
	if neg {
		d = -d
	}
	return d, nil
}

func atoiRange(s string, max int) (int, error) {
	if s == "" || len(s) > 2 || strings.ContainsAny(s, "+-") {
		return 0, errors.New("bad field")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max {
		return 0, errors.New("bad field")
	}
	return n, nil
}
