package sim

import (
	"fmt"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

func (k *kreq) href(pid int) string { return k.col + "/" + strconv.Itoa(pid) }

// armName builds ArmUtils' name: the odd path segments after "sites".
func armName(id string) string {
	segs := strings.Split(strings.Trim(id, "/"), "/")
	for i, s := range segs {
		if strings.EqualFold(s, "sites") {
			var out []string
			for j := i + 1; j < len(segs); j += 2 {
				out = append(out, segs[j])
			}
			return strings.Join(out, "/")
		}
	}
	return segs[len(segs)-1]
}

func armType(id, leaf string) string {
	t := "Microsoft.Web/sites"
	if strings.Contains(id, "/slots/") {
		t += "/slots"
	}
	if strings.Contains(id, "/instances/") {
		t += "/instances"
	}
	return t + "/" + leaf
}

// reply writes an object, wrapped in ARM's envelope in ARM mode. id is the
// object's ARM id, leaf its type suffix (processes, processes/threads, …).
func (k *kreq) reply(v any, id, leaf string) {
	if k.arm {
		v = armEntry{ID: id, Name: armName(id), Type: armType(id, leaf), Location: k.location, Properties: v}
	}
	writeJSON(k.w, http.StatusOK, v)
}

// replyList writes a list; in ARM mode {value:[…]} with each child's id
// being the collection id plus its key.
func replyList[T any](k *kreq, items []T, keys []string, colID, leaf string) {
	if !k.arm {
		writeJSON(k.w, http.StatusOK, items)
		return
	}
	out := struct {
		Value []armEntry `json:"value"`
	}{Value: []armEntry{}}
	for i, it := range items {
		id := colID + "/" + keys[i]
		out.Value = append(out.Value, armEntry{ID: id, Name: armName(id), Type: armType(id, leaf), Location: k.location, Properties: it})
	}
	writeJSON(k.w, http.StatusOK, out)
}

func (s *Server) listProcesses(k *kreq) {
	// GetAllProcesses keeps the processes whose user is Kudu's own, unless
	// ?allUsers=true.
	v, _ := queryValue(k.r, "allUsers")
	all := strings.EqualFold(v, "true")
	s.mu.Lock()
	var items []processShort
	var keys []string
	me := ""
	if kp := k.in.kudu(); kp != nil {
		me = kp.user
	}
	for _, p := range k.in.sorted() {
		if !all && !strings.EqualFold(p.user, me) {
			continue
		}
		items = append(items, processShort{ID: p.pid, Name: p.name, MachineName: k.in.machine, Href: k.href(p.pid), UserName: p.user})
		keys = append(keys, strconv.Itoa(p.pid))
	}
	s.mu.Unlock()
	if items == nil {
		items = []processShort{}
	}
	replyList(k, items, keys, k.armID, "processes")
}

func (s *Server) processDetail(k *kreq, p *process, idText string) {
	s.mu.Lock()
	children := k.in.children(p.pid)
	s.mu.Unlock()
	// GetProcessInfo rewrites a trailing /0 to the real pid (only 0: the
	// -1 alias keeps its href).
	self := k.col + "/" + idText
	if idText == "0" {
		self = k.href(p.pid)
	}
	private := p.private
	if sc := s.cfg.Script; sc != nil && sc.PrivateBytes != nil && p.name == "w3wp" && !p.scm {
		if v := sc.PrivateBytes(k.a.name, k.in.id, time.Since(p.start)); v > 0 {
			private = v
		}
	}
	cpu := p.cpu
	if sc := s.cfg.Script; sc != nil && sc.CPUTime != nil {
		if v, ok := sc.CPUTime(k.a.name, k.in.id, p.pid, p.name); ok {
			cpu = v
		}
	}
	d := processDetail{
		ID: p.pid, Name: p.name, MachineName: k.in.machine, Href: self, Minidump: self + "/dump",
		IsProfileRunning: p.profiling, IISProfileTimeout: 180, Parent: k.href(p.parent),
		FileName: p.fileName, CommandLine: p.cmdLine, UserName: p.user,
		HandleCount: p.handles, ModuleCount: len(p.modules), ThreadCount: len(p.threads),
		StartTime: netTime(p.start), TotalCPUTime: netSpan(cpu), UserCPUTime: netSpan(cpu * 7 / 8),
		PrivilegedCPUTime: netSpan(cpu - cpu*7/8),
		WorkingSet:        private * 4 / 5, PeakWorkingSet: private, PrivateMemory: private,
		VirtualMemory: private*3 + 2<<30, PeakVirtualMemory: private*3 + 2<<30 + 64<<20,
		PagedMemory: private, PeakPagedMemory: private * 11 / 10,
		PagedSystemMemory: 700_000 + int64(p.handles)*10, NonPagedSystemMem: 90_000 + int64(p.handles),
		TimeStamp: netTime(time.Now().UTC()), EnvironmentVars: p.env, IsSCMSite: p.scm, IsWebJob: p.webjob,
		OpenFileHandles: openFileHandles(p),
	}
	if s.cfg.UnreadableChildren && !p.scm && !p.webjob && p.name != "w3wp" {
		// Kudu's access-denied fallbacks (DefaultValueHandling keeps -1).
		d.HandleCount, d.ModuleCount, d.ThreadCount = -1, -1, -1
		d.StartTime, d.FileName, d.CommandLine = netTime{}, "N/A", ""
		neg := netSpan(-time.Second)
		d.TotalCPUTime, d.UserCPUTime, d.PrivilegedCPUTime = neg, neg, neg
		d.WorkingSet, d.PeakWorkingSet, d.PrivateMemory, d.VirtualMemory, d.PeakVirtualMemory = -1, -1, -1, -1, -1
		d.PagedMemory, d.PeakPagedMemory, d.PagedSystemMemory, d.NonPagedSystemMem = -1, -1, -1, -1
		p = &process{pid: p.pid, parent: p.parent, name: p.name, user: p.user, threads: p.threads, env: p.env}
	}
	if p.webjob {
		d.Description = fmt.Sprintf("WebJob: %s, Type: %s", p.env["WEBJOBS_NAME"], p.env["WEBJOBS_TYPE"])
	}
	for _, c := range children {
		d.Children = append(d.Children, k.href(c.pid))
	}
	for _, t := range p.threads {
		d.Threads = append(d.Threads, threadShort{ID: t.id, Href: self + "/threads/" + strconv.Itoa(t.id), State: t.state})
	}
	d.Modules = moduleList(p, self)
	if k.arm && !k.contributor {
		d.CommandLine = ""
		filtered := map[string]string{}
		for _, name := range []string{"MicrosoftProductionDiagnostics_AgentPath", "COR_ENABLE_PROFILING", "CORECLR_ENABLE_PROFILING"} {
			if v, ok := p.env[name]; ok {
				filtered[name] = v
			}
		}
		d.EnvironmentVars = filtered
	}
	k.reply(d, k.armID+"/"+strconv.Itoa(p.pid), "processes")
}

// openFileHandles is what KuduHandles.exe reports for p. Kudu's own w3wp
// holds its binaries open (DiagnosticsApiFacts.ProcessApiTests looks for
// Kudu.Core.dll in process 0's list).
func openFileHandles(p *process) []string {
	h := []string{`D:\home\LogFiles\eventlog.xml`, `D:\home\site\wwwroot\web.config`}
	if p.scm && p.name == "w3wp" {
		bin := `C:\Program Files (x86)\SiteExtensions\Kudu\` + kuduVersion + `\bin\`
		h = append(h, bin+"Kudu.Core.dll", bin+"Kudu.Services.dll", bin+"Kudu.Contracts.dll")
	}
	return h
}

// kuduVersion is the simulated Kudu build (its folder under SiteExtensions).
const kuduVersion = "102.10502.001"

func baseName(p string) string { return path.Base(strings.ReplaceAll(p, `\`, "/")) }

func moduleVersion(m dumpgen.Module) string {
	return fmt.Sprintf("%d.%d.%d.%d", m.Version[0], m.Version[1], m.Version[2], m.Version[3])
}

// moduleList is the short module list, sorted by file name.
func moduleList(p *process, self string) []moduleShort {
	var ms []moduleShort
	for _, m := range p.modules {
		b := strconv.FormatUint(m.Base, 16)
		ms = append(ms, moduleShort{BaseAddress: b, FileName: baseName(m.Path), Href: self + "/modules/" + b, FileVersion: moduleVersion(m)})
	}
	sort.SliceStable(ms, func(i, j int) bool { return strings.ToLower(ms[i].FileName) < strings.ToLower(ms[j].FileName) })
	return ms
}

// killProcess kills p and its children: 204 with an empty body (the
// action returns void). Killing Kudu's own w3wp (id 0, or its pid) ends
// the process that is serving the request, inside the call: no answer is
// ever written (DiagnosticsApiFacts.ProcessApiTests asserts the call
// fails). What reaches the client is the dropped connection, or, with
// Config.SCMKillStatus, the front end's error page; through ARM, ARM's 502.
func (s *Server) killProcess(k *kreq, p *process, _ string) {
	s.mu.Lock()
	var gone []int
	if live := k.in.procs[p.pid]; live != nil {
		gone = k.in.kill(live)
	}
	s.mu.Unlock()
	s.log.add(Event{Kind: EventKill, App: k.a.name, Instance: k.in.id, PID: p.pid, Process: p.name, Killed: gone, Complete: true})
	if p.scm && p.name == "w3wp" {
		if k.arm {
			// ARM is the client of the dead connection; its caller gets
			// ARM's error (the exact code is not documented).
			writeARMError(k.w, http.StatusBadGateway, "BadGateway", "The Kudu process of the instance did not answer.")
			return
		}
		if st := s.cfg.SCMKillStatus; st != 0 {
			writeHTML(k.w, st, fmt.Sprintf("%d - Web server received an invalid response while acting as a gateway or proxy server.", st))
			return
		}
		dropConnection(k.w)
		return
	}
	k.w.WriteHeader(http.StatusNoContent)
}

// dropConnection closes the request's connection without an answer, as a
// server process that died mid-request leaves it.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func (s *Server) listThreads(k *kreq, p *process, idText string) {
	self := k.col + "/" + idText
	items := []threadShort{}
	var keys []string
	for _, t := range p.threads {
		items = append(items, threadShort{ID: t.id, Href: self + "/threads/" + strconv.Itoa(t.id), State: t.state})
		keys = append(keys, strconv.Itoa(t.id))
	}
	replyList(k, items, keys, k.armID+"/"+strconv.Itoa(p.pid)+"/threads", "processes/threads")
}

func (s *Server) threadDetail(k *kreq, p *process, idText, tidText string) {
	tid, err := strconv.Atoi(tidText)
	if err != nil {
		writeJSON(k.w, http.StatusBadRequest, kuduError{"The request is invalid."})
		return
	}
	self := k.col + "/" + idText
	for _, t := range p.threads {
		if t.id != tid {
			continue
		}
		d := threadDetail{ID: t.id, Href: self + "/threads/" + tidText, Process: self,
			StartAddress: fmt.Sprintf("0x%016X", t.rip), CurrentPriority: 8, PriorityLevel: "Normal", BasePriority: 8,
			StartTime: netTime(t.start), TotalProcessorTime: netSpan(time.Duration(t.id%997) * 31 * time.Millisecond),
			UserProcessorTime: netSpan(time.Duration(t.id%997) * 25 * time.Millisecond),
			PrivProcessorTime: netSpan(time.Duration(t.id%997) * 6 * time.Millisecond), State: t.state,
			WaitReason: "UserRequest"}
		if t.state != "Wait" {
			d.WaitReason = "Cannot obtain wait reason unless thread is in waiting state"
		}
		k.reply(d, k.armID+"/"+strconv.Itoa(p.pid)+"/threads/"+tidText, "processes/threads")
		return
	}
	emptyNotFound(k.w) // GetThread: CreateResponse(NotFound), no content
}

// emptyNotFound is Request.CreateResponse(HttpStatusCode.NotFound): a 404
// with no content at all.
func emptyNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusNotFound)
}

func (s *Server) listModules(k *kreq, p *process, idText string) {
	items := moduleList(p, k.col+"/"+idText)
	keys := make([]string, len(items))
	for i, m := range items {
		keys[i] = m.BaseAddress
	}
	replyList(k, items, keys, k.armID+"/"+strconv.Itoa(p.pid)+"/modules", "processes/modules")
}

func (s *Server) moduleDetail(k *kreq, p *process, idText, base string) {
	for _, m := range p.modules {
		b := strconv.FormatUint(m.Base, 16)
		if !strings.EqualFold(b, strings.TrimPrefix(strings.ToLower(base), "0x")) {
			continue
		}
		d := moduleDetail{
			moduleShort: moduleShort{BaseAddress: b, FileName: baseName(m.Path), Href: k.col + "/" + idText + "/modules/" + b, FileVersion: moduleVersion(m)},
			FilePath:    m.Path, ModuleMemorySize: int64(m.Size), FileDescription: strings.TrimSuffix(baseName(m.Path), path.Ext(m.Path)),
			Product: "Microsoft® Windows® Operating System", ProductVersion: moduleVersion(m), Language: "English (United States)",
		}
		k.reply(d, k.armID+"/"+strconv.Itoa(p.pid)+"/modules/"+b, "processes/modules")
		return
	}
	emptyNotFound(k.w) // GetModule: CreateResponse(NotFound), no content
}

// environments answers the variables whose name contains filter
// (case-insensitive); "all" returns every one. ARM mode adds "name".
func (s *Server) environments(k *kreq, p *process, filter string) {
	out := map[string]string{}
	for name, v := range p.env {
		if strings.EqualFold(filter, "all") || strings.Contains(strings.ToLower(name), strings.ToLower(filter)) {
			out[name] = v
		}
	}
	if k.arm {
		out["name"] = filter
	}
	k.reply(out, k.armID+"/"+strconv.Itoa(p.pid)+"/environments/"+filter, "processes/environments")
}

func (s *Server) profileStart(k *kreq, p *process, _ string) {
	s.setProfiling(k.in, p.pid, true)
	k.w.WriteHeader(http.StatusOK)
}

func (s *Server) profileStop(k *kreq, p *process, _ string) {
	s.setProfiling(k.in, p.pid, false)
	k.w.Header().Set("Content-Type", "application/octet-stream")
	k.w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=profile_%s_%s_%d.diagsession", k.in.machine, p.name, p.pid))
	_, _ = k.w.Write([]byte("PK\x05\x06" + strings.Repeat("\x00", 18))) // an empty zip: a .diagsession is one
}

func (s *Server) setProfiling(in *instance, pid int, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := in.procs[pid]; p != nil {
		p.profiling = on
	}
}
