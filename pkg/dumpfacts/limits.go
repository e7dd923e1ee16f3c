package dumpfacts

import (
	"cmp"
	"github.com/dumpflow/dumpflow/pkg/minidump"
)

// Limits bound the work Analyze does for any dump, however long its lists
// (issue 22: a 48 MB dump declaring a million threads that all share one
// stack cost 100 s and 6 GB before). Past a limit the analysis lists the
// first entries and Truncated reports the totals the dump declares. The
// zero value of each field means its default; see docs/operations.md
// ("Limits and hardening").
type Limits struct {
	// MaxThreads is the threads scanned and listed with frames (default
	// DefaultMaxThreads). ThreadInfoList and ThreadNames entries are read as far.
	MaxThreads int
	// MaxModules is the modules (and unloaded modules) listed and used to
	// name frames (default DefaultMaxModules).
	MaxModules int
	// MaxHandles is the handles counted by type (default
	// DefaultMaxHandles).
	MaxHandles int
	// MaxMemoryRanges is the memory list entries (MemoryList,
	// Memory64List, MemoryInfoList) read (default DefaultMaxMemoryRanges,
	// about 24 MiB each; real dumps hold tens of thousands).
	MaxMemoryRanges int
	// MaxStringBytes is the bytes of names decoded in all (default
	// DefaultMaxStringBytes).
	MaxStringBytes int64
}

// Defaults of Limits: the zero value of each field means its constant.
const (
	DefaultMaxThreads      = 1024
	DefaultMaxModules      = 4096
	DefaultMaxHandles      = 65536
	DefaultMaxMemoryRanges = 1 << 19
	DefaultMaxStringBytes  = 32 << 20
)

func (l Limits) withDefaults() Limits {
	l.MaxThreads = cmp.Or(max(l.MaxThreads, 0), DefaultMaxThreads)
	l.MaxModules = cmp.Or(max(l.MaxModules, 0), DefaultMaxModules)
	l.MaxHandles = cmp.Or(max(l.MaxHandles, 0), DefaultMaxHandles)
	l.MaxMemoryRanges = cmp.Or(max(l.MaxMemoryRanges, 0), DefaultMaxMemoryRanges)
	l.MaxStringBytes = cmp.Or(max(l.MaxStringBytes, 0), DefaultMaxStringBytes)
	return l
}

// apply sets the reader's limits (before any list is parsed).
func (l Limits) apply(r *minidump.Reader) {
	l = l.withDefaults()
	r.SetLimits(minidump.Limits{Threads: l.MaxThreads, Modules: l.MaxModules, Handles: l.MaxHandles,
		Memory: l.MaxMemoryRanges, StringBytes: l.MaxStringBytes})
}

// Truncated says which lists of the analysis stop short of what the dump
// declares. It is nil when none does.
type Truncated struct {
	Threads         *Count `json:"threads,omitempty"`
	Modules         *Count `json:"modules,omitempty"`
	UnloadedModules *Count `json:"unloaded_modules,omitempty"`
	Handles         *Count `json:"handles,omitempty"`
	MemoryRanges    *Count `json:"memory_ranges,omitempty"`
	MemoryRegions   *Count `json:"memory_regions,omitempty"`
}

// Count is how many entries were analyzed of the total the dump declares.
type Count struct {
	Analyzed int    `json:"analyzed"`
	Total    uint64 `json:"total"`
}

// truncation fills a.Truncated and the totals that must describe the whole
// dump (thread count, handle total, memory regions) from the lists'
// declared lengths.
func truncation(r *minidump.Reader, a *Analysis) {
	t := &Truncated{}
	cut := false
	count := func(st minidump.StreamType, analyzed int) *Count {
		n, err := r.ListLength(st)
		if err != nil || n <= uint64(analyzed) {
			return nil // a list that cannot be read is reported by its accessor
		}
		cut = true
		return &Count{Analyzed: analyzed, Total: n}
	}
	if t.Threads = count(minidump.ThreadListStream, len(a.Threads)); t.Threads != nil && a.Process != nil {
		a.Process.ThreadCount = int(min(t.Threads.Total, 1<<31-1))
	}
	t.Modules = count(minidump.ModuleListStream, len(a.Modules))
	t.UnloadedModules = count(minidump.UnloadedModuleListStream, len(a.UnloadedModules))
	if a.Handles != nil {
		if t.Handles = count(minidump.HandleDataStream, a.Handles.Total); t.Handles != nil {
			a.Handles.Total = int(min(t.Handles.Total, 1<<31-1))
		}
	}
	if a.Memory != nil {
		if t.MemoryRegions = count(minidump.MemoryInfoListStream, a.Memory.Regions); t.MemoryRegions != nil {
			a.Memory.Regions = int(min(t.MemoryRegions.Total, 1<<31-1))
		}
	}
	var ranges uint64
	for _, st := range []minidump.StreamType{minidump.MemoryListStream, minidump.Memory64ListStream} {
		if n, err := r.ListLength(st); err == nil {
			ranges += n
		}
	}
	if ranges > uint64(a.Dump.MemoryRanges) {
		t.MemoryRanges = &Count{Analyzed: a.Dump.MemoryRanges, Total: ranges}
		a.Dump.MemoryRanges = int(min(ranges, 1<<31-1))
		cut = true
	}
	if cut {
		a.Truncated = t
	}
}
