package kudu

import "time"

// Process is a Kudu ProcessInfo (docs/kudu.md). The list call fills only
// ID, Name, MachineName, Href and UserName; the detail call fills the rest.
// Fields Kudu leaves out (false, 0, null; DefaultValueHandling.Ignore) are
// zero here. Kudu reports a failed read as -1 for counts and memory figures
// and as a negative CPU time; those values are kept as reported.
type Process struct {
	ID          int    // pid (also accepted from ARM's "identifier")
	Name        string // image name without ".exe": w3wp, dotnet, node, …
	MachineName string // Environment.MachineName of the instance that answered
	Href        string // URL of this process on the server (not followed unless via ProcessAt)
	UserName    string // e.g. `IIS APPPOOL\contoso`; the SCM pool is `IIS APPPOOL\~1contoso`

	// Detail only.
	Minidump    string // dump URL from the server
	ParentID    int    // parsed from the "parent" URL; 0 when unknown
	ChildIDs    []int  // parsed from the "children" URLs (direct children)
	Parent      string // raw "parent" URL
	Children    []string
	IsSCMSite   bool   // the Kudu (SCM) worker: never dump or kill it
	IsWebJob    bool   // a WebJob
	Description string // "WebJob: {name}, Type: {type}" for WebJobs
	FileName    string // main module path, "N/A" on error
	CommandLine string // empty in ARM mode for Readers

	HandleCount int
	ModuleCount int
	ThreadCount int

	StartTime         time.Time // zero when unreadable
	TimeStamp         time.Time // server time when the detail was built
	TotalCPUTime      time.Duration
	UserCPUTime       time.Duration
	PrivilegedCPUTime time.Duration

	WorkingSet           int64
	PeakWorkingSet       int64
	PrivateMemory        int64 // private bytes: the figure to rank candidates by
	VirtualMemory        int64
	PeakVirtualMemory    int64
	PagedMemory          int64
	PeakPagedMemory      int64
	PagedSystemMemory    int64
	NonPagedSystemMemory int64

	IsProfileRunning    bool
	IsIISProfileRunning bool
	IISProfileTimeout   time.Duration

	DeploymentName  string            // ARM only
	OpenFileHandles []string          // paths
	Threads         []Thread          // short form
	Modules         []Module          // short form
	Environment     map[string]string // whole env block: holds SECRETS; never log it
}

// Thread is the short form of a Kudu ProcessThreadInfo.
type Thread struct {
	ID    int
	Href  string
	State string // ThreadState name: Running, Wait, Ready, …
}

// Module is the short form of a Kudu ProcessModuleInfo.
type Module struct {
	BaseAddress string // lower-case hex without 0x
	FileName    string // base name, e.g. w3wp.exe
	Href        string
	FileVersion string
}

// Identity says which instance answered.
type Identity struct {
	InstanceID  string // WEBSITE_INSTANCE_ID (64 hex characters on Azure)
	MachineName string
	SCMPID      int // pid of the Kudu (SCM) process on that instance
}
