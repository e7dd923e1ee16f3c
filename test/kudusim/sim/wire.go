package sim

import (
	"fmt"
	"strconv"
	"time"
)

// netTime marshals like Newtonsoft's DateTime: ISO-8601 UTC with seven
// fractional digits. The zero value is omitted (DefaultValueHandling.Ignore
// with DateTime.MinValue) through omitzero.
type netTime time.Time

func (t netTime) IsZero() bool { return time.Time(t).IsZero() }
func (t netTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.0000000Z") + `"`), nil
}

// netSpan marshals like a .NET TimeSpan: "[-][d.]hh:mm:ss[.fffffff]".
type netSpan time.Duration

func (d netSpan) IsZero() bool { return d == 0 }
func (d netSpan) MarshalJSON() ([]byte, error) {
	return []byte(`"` + formatSpan(time.Duration(d)) + `"`), nil
}

func formatSpan(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	ticks := int64(d / 100)
	days := ticks / (864e9)
	ticks -= days * 864e9
	h, m, s := ticks/36e9, ticks/6e8%60, ticks/1e7%60
	frac := ticks % 1e7
	out := sign
	if days > 0 {
		out += strconv.FormatInt(days, 10) + "."
	}
	out += fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	if frac != 0 {
		out += fmt.Sprintf(".%07d", frac)
	}
	return out
}

// netDouble marshals a whole double as Newtonsoft does ("180.0").
type netDouble float64

func (f netDouble) IsZero() bool { return f == 0 }
func (f netDouble) MarshalJSON() ([]byte, error) {
	s := strconv.FormatFloat(float64(f), 'f', -1, 64)
	for _, c := range s {
		if c == '.' {
			return []byte(s), nil
		}
	}
	return []byte(s + ".0"), nil
}

// processShort is a list entry of GET /api/processes.
type processShort struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	MachineName string `json:"machineName"`
	Href        string `json:"href,omitempty"`
	UserName    string `json:"user_name,omitempty"`
}

// processDetail is ProcessInfo with details (GET /api/processes/{id}).
// Field order follows Kudu's ProcessInfo; every field but id, name and
// machineName is left out when it holds its CLR default.
type processDetail struct {
	ID                  int               `json:"id"`
	Name                string            `json:"name"`
	MachineName         string            `json:"machineName"`
	Href                string            `json:"href,omitempty"`
	Minidump            string            `json:"minidump,omitempty"`
	IsProfileRunning    bool              `json:"is_profile_running,omitempty"`
	IsIISProfileRunning bool              `json:"is_iis_profile_running,omitempty"`
	IISProfileTimeout   netDouble         `json:"iis_profile_timeout_in_seconds,omitzero"`
	Parent              string            `json:"parent,omitempty"`
	Children            []string          `json:"children,omitempty"`
	Threads             []threadShort     `json:"threads,omitempty"`
	OpenFileHandles     []string          `json:"open_file_handles,omitempty"`
	Modules             []moduleShort     `json:"modules,omitempty"`
	FileName            string            `json:"file_name,omitempty"`
	CommandLine         string            `json:"command_line,omitempty"`
	UserName            string            `json:"user_name,omitempty"`
	HandleCount         int               `json:"handle_count,omitempty"`
	ModuleCount         int               `json:"module_count,omitempty"`
	ThreadCount         int               `json:"thread_count,omitempty"`
	StartTime           netTime           `json:"start_time,omitzero"`
	TotalCPUTime        netSpan           `json:"total_cpu_time,omitzero"`
	UserCPUTime         netSpan           `json:"user_cpu_time,omitzero"`
	PrivilegedCPUTime   netSpan           `json:"privileged_cpu_time,omitzero"`
	WorkingSet          int64             `json:"working_set,omitempty"`
	PeakWorkingSet      int64             `json:"peak_working_set,omitempty"`
	PrivateMemory       int64             `json:"private_memory,omitempty"`
	VirtualMemory       int64             `json:"virtual_memory,omitempty"`
	PeakVirtualMemory   int64             `json:"peak_virtual_memory,omitempty"`
	PagedMemory         int64             `json:"paged_memory,omitempty"`
	PeakPagedMemory     int64             `json:"peak_paged_memory,omitempty"`
	PagedSystemMemory   int64             `json:"paged_system_memory,omitempty"`
	NonPagedSystemMem   int64             `json:"non_paged_system_memory,omitempty"`
	TimeStamp           netTime           `json:"time_stamp,omitzero"`
	EnvironmentVars     map[string]string `json:"environment_variables,omitempty"`
	IsSCMSite           bool              `json:"is_scm_site,omitempty"`
	IsWebJob            bool              `json:"is_webjob,omitempty"`
	Description         string            `json:"description,omitempty"`
}

type threadShort struct {
	ID    int    `json:"id"`
	Href  string `json:"href,omitempty"`
	State string `json:"state,omitempty"`
}

type threadDetail struct {
	ID                 int     `json:"id"`
	Href               string  `json:"href,omitempty"`
	Process            string  `json:"process,omitempty"`
	StartAddress       string  `json:"start_address,omitempty"`
	CurrentPriority    int     `json:"current_priority,omitempty"`
	PriorityLevel      string  `json:"priority_level,omitempty"`
	BasePriority       int     `json:"base_priority,omitempty"`
	StartTime          netTime `json:"start_time,omitzero"`
	TotalProcessorTime netSpan `json:"total_processor_time,omitzero"`
	UserProcessorTime  netSpan `json:"user_processor_time,omitzero"`
	PrivProcessorTime  netSpan `json:"priviledged_processor_time,omitzero"`
	State              string  `json:"state,omitempty"`
	WaitReason         string  `json:"wait_reason,omitempty"`
}

type moduleShort struct {
	BaseAddress string `json:"base_address"`
	FileName    string `json:"file_name"`
	Href        string `json:"href,omitempty"`
	FileVersion string `json:"file_version"`
}

type moduleDetail struct {
	moduleShort
	FilePath         string `json:"file_path,omitempty"`
	ModuleMemorySize int64  `json:"module_memory_size,omitempty"`
	FileDescription  string `json:"file_description,omitempty"`
	Product          string `json:"product,omitempty"`
	ProductVersion   string `json:"product_version,omitempty"`
	IsDebug          bool   `json:"is_debug,omitempty"`
	Language         string `json:"language,omitempty"`
}

// armEntry is ArmUtils' envelope for an object in ARM mode.
type armEntry struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Location   string `json:"location,omitempty"`
	Properties any    `json:"properties"`
}

// kuduError is Web API's HttpError for CreateErrorResponse.
type kuduError struct {
	Message string `json:"Message"`
}

// kuduException is Web API's HttpError for an unhandled exception
// (IncludeErrorDetailPolicy.Always).
type kuduException struct {
	Message          string `json:"Message"`
	ExceptionMessage string `json:"ExceptionMessage"`
	ExceptionType    string `json:"ExceptionType"`
	StackTrace       string `json:"StackTrace"`
}
