package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// The simulated world. Every field is guarded by Server.mu.

type app struct {
	// name is the SCM path segment: the site name, or "{site}-{slot}" for
	// a deployment slot (as its SCM host is {site}-{slot}.scm…).
	name, resourceID string
	site, slot       string
	index            int
	child            string // "dotnet", "node" or ""
	instances        []*instance
	rr               int // round-robin cursor for unpinned requests
	nextInstance     int
	staging          staging
	fs               *vfs
}

type instance struct {
	id, machine string
	app         *app
	local       *vfs // C:\local, the LocalSiteRoot VFS folder
	procs       map[int]*process
	rng         *rand.Rand
	nextID      int // pids and thread ids share one namespace, as on Windows
	hostPID     int // the svchost/WAS parent of both w3wps (not listed)
	appDown     bool
	childDown   bool // the app w3wp's dotnet/node child was killed; ANCM/iisnode restarts it
	kuduDown    bool
}

type thread struct {
	id    int
	state string
	start time.Time
	rip   uint64
}

type process struct {
	pid, parent int
	name        string
	user        string
	scm, webjob bool
	runtime     dumpgen.Runtime
	fileName    string
	cmdLine     string
	start       time.Time
	threads     []thread
	modules     []dumpgen.Module
	env         map[string]string
	private     int64
	handles     int
	cpu         time.Duration
	profiling   bool
}

// hash64 derives a stable 64-bit value from the seed and parts.
func hash64(seed uint64, parts ...string) uint64 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return binary.LittleEndian.Uint64(h.Sum(nil))
}

// pool is the app pool (and publishing user without "$"): the site name,
// or "{site}__{slot}" for a slot.
func (a *app) pool() string {
	if a.slot == "" {
		return a.site
	}
	return a.site + "__" + a.slot
}

// user is the sandbox identity every process of the site runs under
// (Kudu's too, unless Config.SeparateSCMIdentity).
func (a *app) user() string { return `IIS APPPOOL\` + a.pool() }

// slotName is WEBSITE_SLOT_NAME: "Production" for the site itself.
func (a *app) slotName() string {
	if a.slot == "" {
		return "Production"
	}
	return a.slot
}

func newApp(cfg *Config, idx int, slot string) *app {
	name := fmt.Sprintf("app%d", idx+1)
	if cfg.AppNames != nil {
		name = cfg.AppNames[idx]
	}
	site := name
	if slot != "" {
		name += "-" + slot
	}
	sub := hash64(cfg.Seed, "subscription")
	guid := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", uint32(sub), uint16(sub>>32), uint16(sub>>48)&0xfff,
		uint16(sub>>20)&0xfff, hash64(cfg.Seed, "subscription2")&0xffffffffffff)
	a := &app{
		name:       name,
		site:       site,
		slot:       slot,
		index:      idx,
		resourceID: "/subscriptions/" + guid + "/resourceGroups/rg-dumpflow-sim/providers/Microsoft.Web/sites/" + site,
		fs:         newVFS(),
	}
	if slot != "" {
		a.resourceID += "/slots/" + slot
	}
	switch cfg.Child {
	case "", "auto":
		a.child = []string{"dotnet", "", "node"}[idx%3]
	case "none":
	default:
		a.child = cfg.Child
	}
	for i := 0; i < cfg.Instances; i++ {
		a.addInstance(cfg, false)
	}
	return a
}

// addInstance creates the app's next instance with its processes. Fresh
// instances created by scale-out start now; initial ones at cfg.Epoch.
func (a *app) addInstance(cfg *Config, now bool) *instance {
	n := a.nextInstance
	a.nextInstance++
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%s/%d", cfg.Seed, a.name, n)))
	in := &instance{
		id:    hex.EncodeToString(sum[:]),
		app:   a,
		local: newLocalSiteRoot(),
		procs: map[int]*process{},
		rng:   rand.New(rand.NewPCG(cfg.Seed, hash64(cfg.Seed, a.name, fmt.Sprint(n)))),
	}
	in.machine = fmt.Sprintf("DW%dSDWK%06X", 1+n%9, in.rng.Uint32()&0xffffff)
	in.nextID = 1000 + 4*in.rng.IntN(1500)
	in.hostPID = 200 + 4*in.rng.IntN(200)
	boot := cfg.Epoch.Add(time.Duration(in.rng.IntN(3600)) * time.Second)
	if now {
		boot = time.Now().UTC()
	}
	in.spawnKudu(cfg, boot)
	in.spawnApp(cfg, boot.Add(time.Duration(5+in.rng.IntN(60))*time.Second))
	a.instances = append(a.instances, in)
	return in
}

func (in *instance) newID() int {
	in.nextID += 4 * (1 + in.rng.IntN(60))
	return in.nextID
}

func (in *instance) baseEnv(cfg *Config, pool string) map[string]string {
	a := in.app
	return map[string]string{
		"APP_POOL_ID":                              pool,
		"COMPUTERNAME":                             in.machine,
		"NUMBER_OF_PROCESSORS":                     fmt.Sprint(cfg.cores()),
		"HOME":                                     `D:\home`,
		"WEBSITE_SITE_NAME":                        a.site,
		"WEBSITE_SLOT_NAME":                        a.slotName(),
		"WEBSITE_INSTANCE_ID":                      in.id,
		"WEBSITE_HOSTNAME":                         a.name + ".azurewebsites.net",
		"WEBSITE_SKU":                              cfg.SKU,
		"WEBSITE_RESOURCE_GROUP":                   "rg-dumpflow-sim",
		"WEBSITE_OWNER_NAME":                       strings.Split(a.resourceID, "/")[2] + "+rg-dumpflow-sim-WestEuropewebspace",
		"REGION_NAME":                              "West Europe",
		"SCM_COMMAND_IDLE_TIMEOUT":                 fmt.Sprint(int(cfg.CommandIdleTimeout / time.Second)),
		"COR_ENABLE_PROFILING":                     "0",
		"CUSTOMCONNSTR_Main":                       "Server=tcp:sim.database.windows.net;Password=not-a-real-secret",
		"MicrosoftProductionDiagnostics_AgentPath": `D:\Program Files\Microsoft Production Diagnostics\Agent`,
	}
}

// newProcess fills the figures every process has.
func (in *instance) newProcess(name string, parent int, rt dumpgen.Runtime, start time.Time, threads int, privMB int) *process {
	p := &process{pid: in.newID(), parent: parent, name: name, runtime: rt, start: start.UTC()}
	p.modules = dumpgen.StandardModules(rt)
	p.private = int64(privMB+in.rng.IntN(privMB/2+1)) << 20
	p.handles = 300 + in.rng.IntN(1500)
	p.cpu = time.Duration(in.rng.IntN(300000)) * time.Millisecond
	for i := 0; i < threads; i++ {
		m := p.modules[in.rng.IntN(len(p.modules))]
		st := "Wait"
		if in.rng.IntN(8) == 0 {
			st = "Running"
		}
		p.threads = append(p.threads, thread{id: in.newID(), state: st, start: p.start.Add(time.Duration(i) * time.Second),
			rip: m.Base + 0x1000 + uint64(in.rng.IntN(int(m.Size/2)))&^0xf})
	}
	in.procs[p.pid] = p
	return p
}

func (in *instance) spawnKudu(cfg *Config, start time.Time) {
	a := in.app
	k := in.newProcess("w3wp", in.hostPID, dumpgen.RuntimeCLR, start, 20+in.rng.IntN(20), 120)
	k.scm = true
	k.user = a.user()
	if cfg.SeparateSCMIdentity {
		k.user = `IIS APPPOOL\~1` + a.pool()
	}
	k.fileName = `C:\Windows\System32\inetsrv\w3wp.exe`
	k.cmdLine = `c:\windows\system32\inetsrv\w3wp.exe -ap "~1` + a.pool() + `" -v "v4.0" -a \\.\pipe\iisipm` + in.id[:8] + ` -h "C:\DWASFiles\Sites\~1` + a.pool() + `\Config\applicationhost.config" -w "C:\DWASFiles\Sites\~1` + a.pool() + `\Config\rootweb.config" -m 0 -t 20 -ta 0`
	k.env = in.baseEnv(cfg, "~1"+a.pool())
	if cfg.WebJobs {
		w := in.newProcess("dotnet", k.pid, dumpgen.RuntimeCoreCLR, start.Add(20*time.Second), 12+in.rng.IntN(8), 60)
		w.webjob = true
		w.user = k.user
		w.fileName = `C:\Program Files\dotnet\dotnet.exe`
		w.cmdLine = `dotnet D:\local\Temp\jobs\continuous\cleanup\abc123\Cleanup.dll`
		w.env = in.baseEnv(cfg, "~1"+a.pool())
		w.env["WEBJOBS_NAME"] = "cleanup"
		w.env["WEBJOBS_TYPE"] = "Continuous"
	}
}

func (in *instance) spawnApp(cfg *Config, start time.Time) {
	a := in.app
	rt := dumpgen.RuntimeCLR
	if a.child != "" {
		rt = dumpgen.RuntimeNative
	}
	w := in.newProcess("w3wp", in.hostPID, rt, start, 25+in.rng.IntN(35), 300)
	w.user = a.user()
	w.fileName = `C:\Windows\System32\inetsrv\w3wp.exe`
	w.cmdLine = `c:\windows\system32\inetsrv\w3wp.exe -ap "` + a.pool() + `" -v "v4.0" -a \\.\pipe\iisipm` + in.id[8:16] + ` -h "C:\DWASFiles\Sites\` + a.pool() + `\Config\applicationhost.config" -w "C:\DWASFiles\Sites\` + a.pool() + `\Config\rootweb.config" -m 0 -t 20 -ta 0`
	w.env = in.baseEnv(cfg, a.pool())
	in.spawnChild(cfg, w, start.Add(2*time.Second))
}

// spawnChild starts the app's dotnet or node child of w3wp w, if any.
func (in *instance) spawnChild(cfg *Config, w *process, start time.Time) {
	a := in.app
	switch a.child {
	case "dotnet":
		c := in.newProcess("dotnet", w.pid, dumpgen.RuntimeCoreCLR, start, 20+in.rng.IntN(20), 500)
		c.user, c.fileName = w.user, `C:\Program Files\dotnet\dotnet.exe`
		c.cmdLine = `"dotnet" .\` + a.site + `.dll`
		c.env = in.baseEnv(cfg, a.pool())
		c.env["ASPNETCORE_PORT"] = fmt.Sprint(10000 + in.rng.IntN(50000))
		c.env["CORECLR_ENABLE_PROFILING"] = "0"
	case "node":
		c := in.newProcess("node", w.pid, dumpgen.RuntimeNode, start, 10+in.rng.IntN(6), 400)
		c.user, c.fileName = w.user, `C:\Program Files\nodejs\node.exe`
		c.cmdLine = `"C:\Program Files\nodejs\node.exe" "C:\Program Files (x86)\iisnode\interceptor.js" "D:\home\site\wwwroot\server.js"`
		c.env = in.baseEnv(cfg, a.pool())
	}
}

// respawn restarts what IIS restarts on the instance's next request.
func (in *instance) respawn(cfg *Config) []int {
	var pids []int
	if in.kuduDown {
		in.kuduDown = false
		in.spawnKudu(cfg, time.Now())
		pids = append(pids, in.kudu().pid)
	}
	if in.appDown && !cfg.NoRespawn {
		in.appDown, in.childDown = false, false
		in.spawnApp(cfg, time.Now())
		if w := in.appW3wp(); w != nil {
			pids = append(pids, w.pid)
			for _, c := range in.children(w.pid) {
				pids = append(pids, c.pid)
			}
		}
	}
	if in.childDown && !cfg.NoRespawn {
		in.childDown = false
		if w := in.appW3wp(); w != nil {
			before := len(in.procs)
			in.spawnChild(cfg, w, time.Now())
			if len(in.procs) > before {
				pids = append(pids, in.children(w.pid)[0].pid)
			}
		}
	}
	return pids
}

func (in *instance) sorted() []*process {
	ps := make([]*process, 0, len(in.procs))
	for _, p := range in.procs {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := strings.ToLower(ps[i].name), strings.ToLower(ps[j].name)
		if a != b {
			return a < b
		}
		return ps[i].pid < ps[j].pid
	})
	return ps
}

// kudu is Kudu's own w3wp (process id 0).
func (in *instance) kudu() *process {
	for _, p := range in.sorted() {
		if p.scm && p.name == "w3wp" {
			return p
		}
	}
	return nil
}

// appW3wp is the first w3wp that is not Kudu's (process id -1).
func (in *instance) appW3wp() *process {
	for _, p := range in.sorted() {
		if p.name == "w3wp" && !p.scm {
			return p
		}
	}
	return nil
}

func (in *instance) children(pid int) []*process {
	var cs []*process
	for _, p := range in.sorted() {
		if p.parent == pid {
			cs = append(cs, p)
		}
	}
	return cs
}

// kill removes p and its descendants (children first, as Kudu does) and
// returns the removed pids.
func (in *instance) kill(p *process) []int {
	var gone []int
	for _, c := range in.children(p.pid) {
		gone = append(gone, in.kill(c)...)
	}
	delete(in.procs, p.pid)
	if par := in.procs[p.parent]; par != nil && par.name == "w3wp" && !par.scm && !p.webjob {
		in.childDown = true
	}
	if p.name == "w3wp" {
		if p.scm {
			in.kuduDown = true
		} else {
			in.appDown = true
		}
	}
	return append(gone, p.pid)
}
