package dumpfacts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/pkg/symbols"
)

// Options tune Analyze. The zero value means the defaults.
type Options struct {
	// MaxFrames bounds the frames walked per thread (default DefaultMaxFrames).
	MaxFrames int
	// MaxTotalFrames bounds the frames of all threads together (default
	// DefaultMaxTotalFrames): with more threads than it allows MaxFrames each, every
	// thread but the crashing one gets an equal share (at least 8).
	MaxTotalFrames int
	// ScanBytes bounds the stack bytes read per thread, fetched in 4 KiB
	// pages as the walk needs them (default DefaultScanBytes).
	ScanBytes int
	// Concurrency bounds the threads walked at once (default DefaultConcurrency); ranged
	// reads from remote storage overlap this way.
	Concurrency int
	// StackBytes bounds the stack bytes read for all threads together
	// (default DefaultStackBytes), whatever the thread count.
	StackBytes int64
	// StackTime bounds the time spent walking all stacks (default DefaultStackTime);
	// a thread cut short says so in its error.
	StackTime time.Duration
	// Symbols, when set, names functions and source lines and supplies
	// call-frame information (STACK CFI, STACK WIN). nil walks without.
	Symbols symbols.Store
	// Limits bound the entries expanded from any list (limits.go).
	Limits Limits
}

// Defaults of Options: the zero value of each field means its constant.
const (
	DefaultMaxFrames      = 64
	DefaultMaxTotalFrames = 16384
	DefaultScanBytes      = 128 << 10
	DefaultConcurrency    = 8
	DefaultStackBytes     = 64 << 20
	DefaultStackTime      = 5 * time.Second
)

func (o Options) withDefaults() Options {
	o.MaxFrames = cmp.Or(max(o.MaxFrames, 0), DefaultMaxFrames)
	o.MaxTotalFrames = cmp.Or(max(o.MaxTotalFrames, 0), DefaultMaxTotalFrames)
	o.ScanBytes = cmp.Or(max(o.ScanBytes, 0), DefaultScanBytes)
	o.StackBytes = cmp.Or(max(o.StackBytes, 0), DefaultStackBytes)
	o.StackTime = cmp.Or(max(o.StackTime, 0), DefaultStackTime)
	o.Concurrency = cmp.Or(max(o.Concurrency, 0), DefaultConcurrency)
	return o
}

// Analyze reads what it needs from r and returns the analysis. A stream
// that cannot be read is listed in Problems and left out; Analyze fails
// only when ctx ends or the underlying reader fails. Dump.BytesRead and
// Dump.BytesFetched are r.BytesRead() and r.BytesFetched() when Analyze
// returns.
func Analyze(ctx context.Context, r *minidump.Reader, opts Options) (*Analysis, error) {
	opts = opts.withDefaults()
	opts.Limits.apply(r)
	a := &Analysis{Threads: []Thread{}, Modules: []Module{}, Runtimes: []Runtime{}, Findings: []Finding{}}
	problem := func(what string, err error) {
		if err != nil && !errors.Is(err, minidump.ErrNotPresent) {
			a.Problems = append(a.Problems, fmt.Sprintf("%s: %v", what, err))
		}
	}

	si, err := r.SystemInfo()
	problem("system info", err)
	ptr32 := false
	if si != nil {
		ptr32 = si.ProcessorArchitecture.PointerSize() == 4
		a.System = &System{OS: osName(si.PlatformID), CPU: si.ProcessorArchitecture.String(), CPUInfo: si.CPUInfo(),
			CPUVendor: si.VendorID, CPUCount: int(si.NumberOfProcessors), OSVersion: si.OSVersion(), ServicePack: si.CSDVersion}
	}

	mods, err := r.Modules()
	problem("module list", err)
	idx := newModuleIndex(mods)
	for i := range mods {
		a.Modules = append(a.Modules, moduleFacts(&mods[i]))
	}
	unloaded, err := r.UnloadedModules()
	problem("unloaded module list", err)
	for _, u := range unloaded {
		a.UnloadedModules = append(a.UnloadedModules, UnloadedModule{minidump.BaseName(u.Name), Hex(u.BaseOfImage), u.SizeOfImage})
	}

	a.Process = processFacts(r, problem)
	if mi, err := r.MiscInfo(); err == nil && a.System != nil && mi.Flags1&minidump.MiscPowerInfo != 0 && mi.ProcessorMaxMhz != 0 {
		mhz := mi.ProcessorMaxMhz
		a.System.ProcessorMaxMhz = &mhz
	}
	if len(mods) > 0 {
		a.Process.MainModule = mods[0].BaseName()
	}

	ex, err := r.Exception()
	problem("exception", err)
	if ex != nil {
		params := make([]Hex, len(ex.Parameters))
		for i, p := range ex.Parameters {
			params[i] = Hex(p)
		}
		a.Exception = &Exception{Code: Hex(ex.ExceptionCode), CodeName: codeNames[ex.ExceptionCode], Flags: Hex(ex.ExceptionFlags),
			Address: Hex(ex.ExceptionAddress), ThreadID: ex.ThreadID, Parameters: params}
		reason, addr := crashReason(ex.ExceptionCode, ex.ExceptionFlags, ex.ExceptionAddress, ex.Parameters, ptr32)
		a.Crash = &Crash{Reason: reason, Address: Hex(addr), ThreadID: ex.ThreadID,
			Description: describe(ex.ExceptionCode, reason, ex.Parameters, addr), CLR: clrException(ex.ExceptionCode, ex.Parameters)}
		if a.Crash.CLR != nil {
			a.Crash.Description = a.Crash.CLR.describe()
		}
	}

	syms := newSymbolCache(opts.Symbols)
	if err := walkThreads(ctx, r, a, ex, idx, opts, syms, problem); err != nil {
		return nil, err
	}
	symProblems, missing := syms.report()
	a.Problems = append(a.Problems, symProblems...)
	if syms != nil {
		a.SymbolsMissing = missing
		if a.SymbolsMissing == nil {
			a.SymbolsMissing = []string{}
		}
	}
	a.Process.ThreadCount = len(a.Threads)

	a.Memory = memoryFacts(r, problem)
	a.Handles = handleFacts(r, problem)
	a.Runtimes = detectRuntimes(mods)
	a.Managed = managed(a)
	if as, err := r.Assertion(); err == nil {
		a.Assertion = assertionFacts(as)
	} else {
		problem("assertion", err)
	}
	a.Comments, err = r.Comments()
	problem("comments", err)

	a.Dump = dumpFacts(r, problem)
	truncation(r, a)
	a.Findings = findings(a)
	a.Dump.BytesRead, a.Dump.BytesFetched = r.BytesRead(), r.BytesFetched()
	return a, ctx.Err()
}

func osName(platform uint32) string {
	switch platform {
	case 2:
		return "Windows NT"
	case 1:
		return "Windows"
	}
	return fmt.Sprintf("platform %#x", platform)
}

func moduleFacts(m *minidump.Module) Module {
	out := Module{Name: m.BaseName(), Path: m.Name, Base: Hex(m.BaseOfImage), Size: m.SizeOfImage,
		Timestamp: m.TimeDateStamp, CodeID: m.CodeID()}
	if m.Version != nil {
		v := m.Version.FileVersion()
		out.Version = &v
	}
	if m.CodeView != nil {
		out.PDB = minidump.BaseName(m.CodeView.PDBName)
		out.DebugID = m.CodeView.DebugID()
	}
	return out
}

func processFacts(r *minidump.Reader, problem func(string, error)) *Process {
	p := &Process{}
	mi, err := r.MiscInfo()
	problem("misc info", err)
	if mi == nil {
		return p
	}
	if mi.Flags1&minidump.MiscProcessID != 0 {
		pid := mi.ProcessID
		p.PID = &pid
	}
	if ct, ok := mi.CreateTime(); ok {
		s := ct.Format(time.RFC3339)
		p.CreateTime = &s
		if r.Header.TimeDateStamp >= mi.ProcessCreateTime {
			up := int64(r.Header.TimeDateStamp) - int64(mi.ProcessCreateTime)
			p.UptimeSeconds = &up
		}
		u, k := mi.ProcessUserTime, mi.ProcessKernelTime
		p.UserTimeSeconds, p.KernelTimeSeconds = &u, &k
	}
	return p
}

func memoryFacts(r *minidump.Reader, problem func(string, error)) *Memory {
	infos, err := r.MemoryInfos()
	problem("memory info list", err)
	if infos == nil {
		return nil
	}
	m := &Memory{Regions: len(infos)}
	for _, mi := range infos {
		switch mi.State {
		case minidump.MemCommit:
			m.Committed += mi.RegionSize
			switch mi.Type {
			case minidump.MemPrivate:
				m.Private += mi.RegionSize
			case minidump.MemImage:
				m.Image += mi.RegionSize
			case minidump.MemMapped:
				m.Mapped += mi.RegionSize
			}
		case minidump.MemReserve:
			m.Reserved += mi.RegionSize
		}
	}
	return m
}

func handleFacts(r *minidump.Reader, problem func(string, error)) *Handles {
	hs, err := r.Handles()
	problem("handle data", err)
	if hs == nil {
		return nil
	}
	h := &Handles{Total: len(hs), ByType: map[string]int{}}
	for _, x := range hs {
		t := x.TypeName
		if t == "" {
			t = "(unknown)"
		}
		h.ByType[t]++
	}
	return h
}

func assertionFacts(as *minidump.Assertion) *Assertion {
	out := &Assertion{Type: fmt.Sprintf("0x%08x", as.Type), Expression: as.Expression, Function: as.Function, File: as.File, Line: as.Line}
	// Text is Breakpad's sentence for the record (MinidumpProcessor::GetAssertion).
	text := "Unknown assertion type " + out.Type
	switch as.Type {
	case minidump.AssertionInvalidParameter:
		out.Type, text = "invalid_parameter", "Invalid parameter passed to library function"
	case minidump.AssertionPureVirtualCall:
		out.Type, text = "pure_virtual_call", "Pure virtual function called"
	}
	if as.Expression != "" {
		text += " " + as.Expression
	}
	if as.Function != "" {
		text += " in function " + as.Function
	}
	if as.File != "" {
		text += ", in file " + as.File
	}
	if as.Line != 0 {
		text += fmt.Sprintf(" at line %d", as.Line)
	}
	out.Text = text
	return out
}

// fullMemory is MiniDumpWithFullMemory in MINIDUMP_TYPE.
const fullMemory = 0x2

func dumpFacts(r *minidump.Reader, problem func(string, error)) Dump {
	d := Dump{Type: "mini", Size: r.Size(), Flags: Hex(r.Header.Flags), Streams: len(r.Streams), StreamTypes: []string{}}
	for _, s := range r.Streams {
		d.StreamTypes = append(d.StreamTypes, s.Type.String())
	}
	if mi, err := r.MiscInfo(); err == nil && mi.Flags1&minidump.MiscBuildString != 0 {
		d.BuildString, d.DbgBuildString = mi.BuildString, mi.DbgBldStr
	}
	if r.Header.TimeDateStamp != 0 {
		d.Time = time.Unix(int64(r.Header.TimeDateStamp), 0).UTC().Format(time.RFC3339)
	}
	m64, err := r.Memory64List()
	problem("memory64 list", err)
	if len(m64) > 0 || r.Header.Flags&fullMemory != 0 {
		d.Type = "full"
	}
	ranges, err := r.MemoryRanges()
	if err != nil && !errors.Is(err, minidump.ErrNotPresent) {
		_ = err // already reported by the list that failed
	}
	d.MemoryRanges = len(ranges)
	for _, x := range ranges {
		d.MemoryBytes += x.Size
	}
	return d
}

// moduleIndex finds the module holding an address.
type moduleIndex struct{ mods []*minidump.Module }

func newModuleIndex(mods []minidump.Module) *moduleIndex {
	ix := &moduleIndex{}
	for i := range mods {
		ix.mods = append(ix.mods, &mods[i])
	}
	sort.Slice(ix.mods, func(i, j int) bool { return ix.mods[i].BaseOfImage < ix.mods[j].BaseOfImage })
	return ix
}

func (ix *moduleIndex) find(addr uint64) *minidump.Module {
	i := sort.Search(len(ix.mods), func(i int) bool { return ix.mods[i].BaseOfImage > addr })
	if i > 0 && ix.mods[i-1].Contains(addr) {
		return ix.mods[i-1]
	}
	return nil
}

// symbol formats addr as "module+0xoffset", or "0x…" outside every module.
func (ix *moduleIndex) symbol(addr uint64) string {
	if m := ix.find(addr); m != nil {
		return fmt.Sprintf("%s+%#x", m.BaseName(), addr-m.BaseOfImage)
	}
	return Hex(addr).String()
}
