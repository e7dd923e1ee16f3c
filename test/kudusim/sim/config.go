package sim

import (
	"errors"
	"fmt"
	"time"
)

// Config describes what a Server simulates. The zero value is usable: one
// app with one instance, 64 MiB full dumps written in 50 ms, no auth, no
// faults, no first-byte limit.
type Config struct {
	// Addr is the listen address; empty means 127.0.0.1:0.
	Addr string
	// Apps and Instances are the app count and instances per app; 0 means 1.
	Apps, Instances int
	// AppNames overrides the default names app1…appN; its length must
	// equal Apps when set. Names are lower-case letters, digits and '-'.
	AppNames []string
	// Slots adds these deployment slots to every app. A slot is served as
	// its own app named "{app}-{slot}" (its SCM host is {app}-{slot}.scm…)
	// with resource id …/sites/{app}/slots/{slot} and publishing user
	// "$"+app+"__"+slot.
	Slots []string
	// Seed makes ids, pids, start times, memory figures and dump bytes
	// reproducible.
	Seed uint64
	// DumpSize is the exact size of full dumps (dumpType with bit 0x2);
	// 0 means 64 MiB.
	DumpSize int64
	// MiniDumpSize is the size of other dumps; 0 means the natural size.
	MiniDumpSize int64
	// DumpWriteTime is how long "Kudu" takes to write a dump to its staging
	// file before the first response byte; 0 means 50 ms, negative none.
	DumpWriteTime time.Duration
	// ClonePause is how long the simulated dump tool suspends the target
	// to clone it (procdump -r) before writing the clone for DumpWriteTime;
	// 0 means DumpWriteTime/20, at least 1 ms. A model, not a measurement
	// of Windows: cloning copies page tables, not pages, so it is a small
	// fraction of the write (docs/worker.md, "Clone dumps").
	ClonePause time.Duration
	// FirstByteLimit is the front end's cut-off for a response's first
	// byte (~230 s on App Service); 0 means none. When the dump write or a
	// command outlasts it, the client gets FirstByteStatus with an empty
	// body while the work goes on server-side (docs/kudu.md, "Front-end limit").
	FirstByteLimit time.Duration
	// FirstByteStatus is that answer; 0 means 504 (Gateway Timeout). The
	// real status is not documented; 502 is the other plausible value.
	FirstByteStatus int
	// ARMPageSize is the page size of ARM lists (nextLink); 0 means 50.
	ARMPageSize int
	// SKU is WEBSITE_SKU; "Free" makes dumpType=2 fail with 500. Empty
	// means "Standard".
	SKU string
	// Child selects the app w3wp's child process: "auto" or "" (app i gets
	// dotnet, none, node, …), "dotnet", "node" or "none".
	Child string
	// WebJobs adds a continuous WebJob (a dotnet child of Kudu's w3wp) to
	// every instance.
	WebJobs bool
	// StoppedApps are apps whose Kudu answers 403 with the front end's
	// "This web app is stopped" HTML page (docs/kudu.md, "Credentials"); ARM still
	// answers for them.
	StoppedApps []string
	// WebLogs turns on web server logging (W3C files under
	// LogFiles\http\RawLogs) for some apps; the zero value logs nothing.
	WebLogs WebLogs
	// Script scripts memory and request behaviour over time, so tests can
	// drive auto-heal rules; nil keeps the static figures.
	Script *Script
	// Cores is the instance's processor count, in every process's
	// NUMBER_OF_PROCESSORS; 0 means 2.
	Cores int
	// UnreadableChildren makes the detail of the app w3wp's child
	// (dotnet/node) fail as an access-denied read does in Kudu: counts and
	// memory -1, CPU times "-00:00:01", no start_time, file_name "N/A",
	// no modules.
	UnreadableChildren bool
	// NoRespawn keeps a killed app w3wp down (as if the site got no
	// traffic), so the -1 alias answers 500. By default it comes back with
	// a new pid on the instance's next request, as IIS does.
	NoRespawn bool
	// SCMKillStatus is what a client gets when it kills Kudu's own w3wp
	// (id 0 or its pid). 0 (the default) drops the connection with no
	// answer, as Kudu's own test sees it (the process dies inside the
	// call, DiagnosticsApiFacts.ProcessApiTests); a status such as 502
	// models Azure's front end turning the dropped backend connection
	// into an error page. Kudu's source leaves Azure's answer open
	// (docs/kudu.md). Never 2xx.
	SCMKillStatus int
	// SeparateSCMIdentity runs Kudu's w3wp (and what it starts) under its
	// own identity, IIS APPPOOL\~1{app}, instead of the app's sandbox
	// identity shared by every process of the site. ProcessController's
	// list keeps only processes of Kudu's own user unless ?allUsers=true,
	// so with this set the app's w3wp and children are missing from
	// GET /api/processes. Off by default: Kudu can only dump and kill the
	// app's processes on Azure because they share its identity
	// (docs/kudu.md).
	SeparateSCMIdentity bool
	// CommandIdleTimeout is SCM_COMMAND_IDLE_TIMEOUT; 0 means 60 s.
	CommandIdleTimeout time.Duration
	// DumpToolSilent makes the simulated dump tool print nothing and use
	// no CPU while it writes, so the command API's idle rule kills it when
	// the write outlasts CommandIdleTimeout.
	DumpToolSilent bool
	// Epoch is the base of the initial processes' start times; zero means
	// 2026-01-05T06:00:00Z.
	Epoch time.Time
	// Auth is the credential check; the zero value accepts anonymous calls.
	Auth Auth
	// Faults are the injected failures; the zero value injects none.
	Faults Faults
	// Logf, when set, receives one line per request and per fault.
	Logf func(format string, args ...any)
}

// Auth configures credentials. When Password or Tokens is set, every Kudu
// and ARM request must carry valid credentials or gets 401 with an HTML
// body (the front end's page, not JSON).
type Auth struct {
	// Password enables Basic auth with user "$app" (publishing
	// credentials) and this password, for every app.
	Password string
	// BasicDisabled models basicPublishingCredentialsPolicies/scm
	// allow=false: Basic requests get 401 even with the right password.
	BasicDisabled bool
	// Tokens are the accepted bearer tokens (Kudu and ARM).
	Tokens []string
}

func (a Auth) required() bool { return a.Password != "" || len(a.Tokens) > 0 }

// Faults are injected failures. Each rate is a probability in [0, 1] drawn
// per request (per response body for Reset) from one generator seeded by
// Seed, so a single-threaded request sequence is reproducible.
type Faults struct {
	Seed uint64
	// LatencyRate of requests are delayed by Latency (default 200 ms).
	LatencyRate float64
	Latency     time.Duration
	// ErrorRate of requests get a front-end 500, 502 or 503 (HTML body).
	ErrorRate float64
	// ThrottleRate of requests get 429 with Retry-After: RetryAfter
	// (whole seconds, default 1 s).
	ThrottleRate float64
	RetryAfter   time.Duration
	// ResetRate of dump and VFS file bodies are cut mid-stream by a TCP
	// reset (the connection is hijacked and closed with SO_LINGER 0).
	ResetRate float64
	// Throughput caps dump and VFS file bodies at this many bytes per
	// second; 0 means no cap.
	Throughput int64
	// ScaleInRate and ScaleOutRate are, per request, the chance that a
	// random app loses a random instance (never its last) or gains one.
	ScaleInRate, ScaleOutRate float64
	// TokenRejectRate of requests with a valid bearer token are refused
	// with 401 (an expired or revoked token).
	TokenRejectRate float64
}

// ErrConfig is wrapped by every Config validation error.
var ErrConfig = errors.New("kudusim: invalid config")

// cores is Cores, defaulted (newApp runs before setDefaults in some paths).
func (c *Config) cores() int {
	if c.Cores <= 0 {
		return 2
	}
	return c.Cores
}

func (c *Config) setDefaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Apps, 1)
	def(&c.Instances, 1)
	def(&c.ARMPageSize, 50)
	def(&c.Cores, 2)
	def(&c.FirstByteStatus, 504)
	if c.DumpSize == 0 {
		c.DumpSize = 64 << 20
	}
	if c.DumpWriteTime == 0 {
		c.DumpWriteTime = 50 * time.Millisecond
	} else if c.DumpWriteTime < 0 {
		c.DumpWriteTime = 0
	}
	if c.ClonePause <= 0 {
		c.ClonePause = max(c.DumpWriteTime/20, time.Millisecond)
	}
	if c.CommandIdleTimeout == 0 {
		c.CommandIdleTimeout = 60 * time.Second
	}
	if c.SKU == "" {
		c.SKU = "Standard"
	}
	if c.Epoch.IsZero() {
		c.Epoch = time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)
	}
	if c.Faults.Latency == 0 {
		c.Faults.Latency = 200 * time.Millisecond
	}
	if c.Faults.RetryAfter == 0 {
		c.Faults.RetryAfter = time.Second
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:0"
	}
}

func (c *Config) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
	}
	switch {
	case c.Apps < 1 || c.Apps > 1000:
		return bad("Apps %d outside 1..1000", c.Apps)
	case c.Cores < 1 || c.Cores > 256:
		return bad("Cores %d outside 1..256", c.Cores)
	case c.Instances < 1 || c.Instances > 100:
		return bad("Instances %d outside 1..100", c.Instances)
	case c.AppNames != nil && len(c.AppNames) != c.Apps:
		return bad("%d AppNames for %d apps", len(c.AppNames), c.Apps)
	case c.DumpSize < 1<<20:
		return bad("DumpSize %d is below 1 MiB (the smallest full dump of a simulated process)", c.DumpSize)
	case c.MiniDumpSize < 0 || c.MiniDumpSize > 1<<31:
		return bad("MiniDumpSize %d outside 0..2 GiB", c.MiniDumpSize)
	case c.FirstByteLimit < 0:
		return bad("negative FirstByteLimit")
	case c.FirstByteStatus < 400 || c.FirstByteStatus > 599:
		return bad("FirstByteStatus %d is not an error status", c.FirstByteStatus)
	case c.ARMPageSize < 1:
		return bad("ARMPageSize %d < 1", c.ARMPageSize)
	case c.Child != "" && c.Child != "auto" && c.Child != "dotnet" && c.Child != "node" && c.Child != "none":
		return bad("Child %q is not auto, dotnet, node or none", c.Child)
	case c.SCMKillStatus != 0 && (c.SCMKillStatus < 400 || c.SCMKillStatus > 599):
		return bad("SCMKillStatus %d is not 0 or an error status", c.SCMKillStatus)
	case c.CommandIdleTimeout < 0:
		return bad("negative CommandIdleTimeout")
	case c.Faults.Throughput < 0:
		return bad("negative Throughput")
	}
	seen := map[string]bool{}
	for _, n := range c.AppNames {
		if !validAppName(n) || seen[n] {
			return bad("app name %q is invalid or repeated", n)
		}
		seen[n] = true
	}
	slots := map[string]bool{}
	for _, n := range c.Slots {
		if !validAppName(n) || slots[n] || len(n) > 20 {
			return bad("slot name %q is invalid or repeated", n)
		}
		slots[n] = true
	}
	for name, r := range map[string]float64{"LatencyRate": c.Faults.LatencyRate, "ErrorRate": c.Faults.ErrorRate,
		"ThrottleRate": c.Faults.ThrottleRate, "ResetRate": c.Faults.ResetRate, "ScaleInRate": c.Faults.ScaleInRate,
		"ScaleOutRate": c.Faults.ScaleOutRate, "TokenRejectRate": c.Faults.TokenRejectRate} {
		if r < 0 || r > 1 || r != r {
			return bad("Faults.%s %v outside [0, 1]", name, r)
		}
	}
	return nil
}

// validAppName accepts App Service-like names that cannot collide with the
// simulator's own top-level paths.
func validAppName(n string) bool {
	if n == "" || len(n) > 60 || n == "subscriptions" || n == "_sim" || n[0] == '-' {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
