package dumpfacts

import (
	"fmt"
	"strconv"
	"strings"
)

// Hex is a number that JSON carries as a "0x…" string.
type Hex uint64

// MarshalJSON writes "0x…" in lower-case hex.
func (h Hex) MarshalJSON() ([]byte, error) { return []byte(`"` + h.String() + `"`), nil }

// UnmarshalJSON reads a "0x…" string (or a bare number).
func (h *Hex) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 64)
	if !strings.HasPrefix(string(b), `"`) {
		v, err = strconv.ParseUint(s, 10, 64)
	}
	if err != nil {
		return fmt.Errorf("analysis: bad hex value %s", b)
	}
	*h = Hex(v)
	return nil
}

func (h Hex) String() string { return "0x" + strconv.FormatUint(uint64(h), 16) }

// Analysis is everything learned from one dump. See the package comment
// for the JSON contract.
type Analysis struct {
	System          *System          `json:"system"`
	Process         *Process         `json:"process"`
	Exception       *Exception       `json:"exception"`
	Crash           *Crash           `json:"crash"`
	Threads         []Thread         `json:"threads"`
	Modules         []Module         `json:"modules"`
	UnloadedModules []UnloadedModule `json:"unloaded_modules,omitempty"`
	Memory          *Memory          `json:"memory"`
	Handles         *Handles         `json:"handles"`
	Runtimes        []Runtime        `json:"runtimes"`
	// Managed is true when the process ran .NET code (a CLR module is
	// loaded, or the exception is a CLR one): its managed stacks and
	// heap need a .NET-aware debugger (see the findings).
	Managed   bool       `json:"managed"`
	Assertion *Assertion `json:"assertion,omitempty"`
	Comments  []string   `json:"comments,omitempty"`
	Dump      Dump       `json:"dump"`
	Findings  []Finding  `json:"findings"`
	// SymbolsMissing lists the modules met on a stack for which no
	// symbol store had symbols; absent when the analysis ran without
	// symbols.
	SymbolsMissing []string `json:"symbols_missing,omitempty"`
	// Truncated reports the lists cut at Options.Limits, with the totals
	// the dump declares; nil when nothing was cut.
	Truncated *Truncated `json:"truncated,omitempty"`
	// Problems lists streams that could not be read; the rest of the
	// analysis stands without them.
	Problems []string `json:"problems,omitempty"`
}

// System describes the machine.
type System struct {
	OS string `json:"os"`
	// CPU is "x86", "amd64" or "arm64" (or another Breakpad name).
	CPU       string `json:"cpu"`
	CPUInfo   string `json:"cpu_info,omitempty"`
	CPUVendor string `json:"cpu_vendor,omitempty"`
	CPUCount  int    `json:"cpu_count"`
	// OSVersion is "major.minor.build".
	OSVersion   string `json:"os_version"`
	ServicePack string `json:"service_pack,omitempty"`
	// ProcessorMaxMhz is the processor's rated clock from MiscInfo
	// (version 2 and later, when its power information is valid).
	ProcessorMaxMhz *uint32 `json:"processor_max_mhz,omitempty"`
}

// Process describes the dumped process.
type Process struct {
	PID *uint32 `json:"pid"`
	// CreateTime is RFC 3339 (UTC).
	CreateTime *string `json:"create_time"`
	// UptimeSeconds is the dump time minus the create time.
	UptimeSeconds     *int64  `json:"uptime_seconds"`
	UserTimeSeconds   *uint32 `json:"user_time_seconds,omitempty"`
	KernelTimeSeconds *uint32 `json:"kernel_time_seconds,omitempty"`
	MainModule        string  `json:"main_module,omitempty"`
	ThreadCount       int     `json:"thread_count"`
}

// Exception is the raw exception record.
type Exception struct {
	Code       Hex    `json:"code"`
	CodeName   string `json:"code_name,omitempty"`
	Flags      Hex    `json:"flags"`
	Address    Hex    `json:"address"`
	ThreadID   uint32 `json:"thread_id"`
	Parameters []Hex  `json:"parameters"`
}

// Crash is the exception interpreted as Breakpad does.
type Crash struct {
	// Reason is Breakpad's name ("EXCEPTION_ACCESS_VIOLATION_WRITE",
	// "FAST_FAIL_FATAL_APP_EXIT", or "0x%08x / 0x%08x" when unnamed).
	Reason string `json:"reason"`
	// Address is the faulting data address for access violations, else
	// the exception address (32 bits for x86 processes).
	Address Hex `json:"address"`
	// Description says in words what happened.
	Description string `json:"description,omitempty"`
	ThreadID    uint32 `json:"thread_id"`
	// ThreadIndex is the crashing thread's index in threads[], or null
	// when the thread list lacks it.
	ThreadIndex *int `json:"thread_index"`
	// Location is frame 0 of the crashing thread ("module+0xoffset").
	Location string `json:"location,omitempty"`
	// CLR is the .NET exception's HRESULT and what it usually means,
	// for exception code 0xe0434352.
	CLR *CLRException `json:"clr,omitempty"`
	// Symbol is frame 0 with its function as Breakpad prints it
	// ("test_app.exe!f [test_app.cc : 58 + 0x3]"), when symbols name it.
	Symbol string `json:"symbol,omitempty"`
}

// Thread is one thread with its walked stack.
type Thread struct {
	ID   uint32 `json:"id"`
	Name string `json:"name,omitempty"`
	// Frames are "module+0xoffset" (or "0x…" outside every module), one
	// per entry of Stack: the instruction pointer first, then each
	// caller's return address. The stable short form of Stack.
	Frames []string `json:"frames"`
	// Stack is the walked stack with how each frame was found and, when
	// symbols were available, its function and source line.
	Stack []StackFrame `json:"stack"`
	// Truncated is true when the stack goes deeper than the frames
	// walked (Options.MaxFrames); Error then says so too.
	Truncated bool `json:"truncated,omitempty"`
	Crashed   bool `json:"crashed,omitempty"`
	// CPUSeconds is user plus kernel time, from ThreadInfoList when the
	// dump has one.
	CPUSeconds *float64 `json:"cpu_seconds,omitempty"`
	// DumpWriter marks Breakpad's own dump-writing thread.
	DumpWriter bool   `json:"dump_writer,omitempty"`
	Error      string `json:"error,omitempty"`
}

// StackFrame is one frame of a walked stack.
type StackFrame struct {
	// Address is the instruction pointer (frame 0) or the return address.
	Address Hex `json:"address"`
	// Module is the module's file name and Offset the address relative
	// to its base; both empty outside every module (JIT code).
	Module string `json:"module,omitempty"`
	Offset Hex    `json:"offset"`
	// Function is the symbol covering the address (from --symbols), and
	// FunctionOffset the address relative to its start.
	Function       string `json:"function,omitempty"`
	FunctionOffset Hex    `json:"function_offset,omitempty"`
	// File and Line are the source line covering the address, and
	// LineOffset the address relative to the line's first instruction
	// (Breakpad's "[file : line + 0xoff]").
	File       string `json:"file,omitempty"`
	Line       int    `json:"line,omitempty"`
	LineOffset *Hex   `json:"line_offset,omitempty"`
	// Trust says how the frame was found: "context", "cfi",
	// "cfi_scan", "frame_pointer" or "scan" (see Trust).
	Trust Trust `json:"trust"`
}

// Module is one loaded module.
type Module struct {
	Name string `json:"name"`
	Path string `json:"path"`
	Base Hex    `json:"base"`
	Size uint32 `json:"size"`
	// Version is the file version "a.b.c.d", or null without a version
	// resource.
	Version   *string `json:"version"`
	Timestamp uint32  `json:"timestamp"`
	CodeID    string  `json:"code_id"`
	PDB       string  `json:"pdb,omitempty"`
	DebugID   string  `json:"debug_id,omitempty"`
}

// UnloadedModule is a module the process had unloaded.
type UnloadedModule struct {
	Name string `json:"name"`
	Base Hex    `json:"base"`
	Size uint32 `json:"size"`
}

// Memory totals come from the MemoryInfoList stream, in bytes.
type Memory struct {
	Committed uint64 `json:"committed"`
	Private   uint64 `json:"private"`
	Image     uint64 `json:"image"`
	Mapped    uint64 `json:"mapped"`
	Reserved  uint64 `json:"reserved"`
	Regions   int    `json:"regions"`
}

// Handles counts open handles by object type.
type Handles struct {
	Total  int            `json:"total"`
	ByType map[string]int `json:"by_type"`
}

// Runtime is a language runtime or host recognised by its module.
type Runtime struct {
	Name    string  `json:"name"`
	Module  string  `json:"module"`
	Version *string `json:"version"`
}

// Assertion is Breakpad's assertion record (its CRT invalid-parameter
// and pure-call handlers write it).
type Assertion struct {
	// Type is "invalid_parameter", "pure_virtual_call", or the raw type
	// as "0x%08x" for any other value (writers leave an all-zero record
	// when no assertion happened).
	Type string `json:"type"`
	// Text is the record as Breakpad prints it ("Invalid parameter passed
	// to library function … in function f, in file x.c at line 3";
	// "Unknown assertion type 0x00000000").
	Text       string `json:"text"`
	Expression string `json:"expression,omitempty"`
	Function   string `json:"function,omitempty"`
	File       string `json:"file,omitempty"`
	Line       uint32 `json:"line,omitempty"`
}

// Dump describes the file itself.
type Dump struct {
	// Type is "full" (all committed memory) or "mini".
	Type string `json:"type"`
	Size int64  `json:"size"`
	// BytesRead is how many distinct bytes of the file the analysis
	// fetched from storage: a byte read twice counts once, so it never
	// exceeds Size (docs/analysis.md).
	BytesRead int64 `json:"bytes_read"`
	// BytesFetched is every byte fetched, re-reads included: the I/O
	// the storage served.
	BytesFetched int64  `json:"bytes_fetched"`
	Time         string `json:"time,omitempty"`
	Flags        Hex    `json:"flags"`
	Streams      int    `json:"streams"`
	// MemoryRanges and MemoryBytes count the captured memory.
	MemoryRanges int    `json:"memory_ranges"`
	MemoryBytes  uint64 `json:"memory_bytes"`
	// StreamTypes names every directory entry's stream type in file
	// order ("ThreadListStream", …; "StreamType(0x…)" when unknown).
	StreamTypes []string `json:"stream_types"`
	// BuildString is the OS build the dump was written on and
	// DbgBuildString the build of the dbghelp that wrote it (MiscInfo
	// version 4 and later), when present.
	BuildString    string `json:"build_string,omitempty"`
	DbgBuildString string `json:"dbg_build_string,omitempty"`
}

// Finding is one line a person reads first.
type Finding struct {
	// Severity is "critical", "warning" or "info".
	Severity string `json:"severity"`
	Text     string `json:"text"`
	// Next says what a person does next about it (which tool, which
	// command), for findings that call for action; empty otherwise.
	Next string `json:"next,omitempty"`
}

// Severities.
const (
	Critical = "critical"
	Warning  = "warning"
	Info     = "info"
)
