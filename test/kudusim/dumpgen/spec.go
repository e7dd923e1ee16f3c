package dumpgen

import (
	"errors"
	"fmt"
	"time"
)

// ErrSpec is returned (wrapped in a *SpecError) for a Spec that cannot be
// built into a valid minidump.
var ErrSpec = errors.New("dumpgen: invalid spec")

// SpecError says which Spec field is wrong and why. It matches ErrSpec with
// errors.Is.
type SpecError struct {
	Field string
	Msg   string
}

func (e *SpecError) Error() string { return fmt.Sprintf("dumpgen: spec.%s: %s", e.Field, e.Msg) }

// Is reports whether target is ErrSpec.
func (e *SpecError) Is(target error) bool { return target == ErrSpec }

// Spec describes one generated dump. The same Spec always produces the same
// bytes; nothing in the output depends on the wall clock.
type Spec struct {
	// Flags is the MINIDUMP_TYPE written to the header. Flags with
	// MiniDumpWithFullMemory make a full dump (Memory64List); otherwise the
	// dump is a mini dump (MemoryList with the thread stacks).
	Flags uint64
	// Size is the exact file size in bytes. For a full dump it must be at
	// least MinSize; for a mini dump 0 means the natural (smallest) size and
	// a larger value adds memory ranges up to it (a mini dump stays below
	// 4 GiB because MemoryList RVAs are 32-bit).
	Size int64
	// PID is the process id written to MiscInfo.
	PID uint32
	// ProcessCreateTime is written to MiscInfo (seconds since 1970, UTC).
	ProcessCreateTime time.Time
	// DumpTime is the header's TimeDateStamp; zero means ProcessCreateTime
	// plus one hour.
	DumpTime time.Time
	// Processors is SystemInfo.NumberOfProcessors; 0 means 2.
	Processors uint8
	// Threads become ThreadList entries, in order. At least one.
	Threads []Thread
	// Modules become ModuleList entries, in order. At least one.
	Modules []Module
	// Exception, when set, adds an ExceptionStream. Kudu's dumps never carry
	// one (it calls MiniDumpWriteDump without exception information).
	Exception *Exception
	// Seed feeds the generated stack and bulk memory bytes.
	Seed uint64
	// StackSize is the bytes of stack memory saved per thread; 0 means
	// 16 KiB. Rounded up to a multiple of 16.
	StackSize uint32
}

// Thread is one MINIDUMP_THREAD. RIP should lie inside a module so that
// debuggers symbolise frame 0 as module+offset.
type Thread struct {
	ID  uint32
	RIP uint64
}

// Module is one MINIDUMP_MODULE.
type Module struct {
	// Path is the full module path, e.g. C:\Windows\System32\ntdll.dll.
	Path          string
	Base          uint64
	Size          uint32
	TimeDateStamp uint32
	// Version is the file version major.minor.build.revision.
	Version [4]uint16
}

// Exception is the optional MINIDUMP_EXCEPTION_STREAM content. ThreadID
// must name one of the Spec's threads; that thread's context is referenced.
type Exception struct {
	ThreadID uint32
	Code     uint32
	Address  uint64
}

// Full reports whether the Spec describes a full-memory dump.
func (s *Spec) Full() bool { return s.Flags&MiniDumpWithFullMemory != 0 }

func (s *Spec) stackSize() int64 {
	if s.StackSize == 0 {
		return 16 << 10
	}
	return align(int64(s.StackSize), 16)
}

func (s *Spec) validate() error {
	switch {
	case s.PID == 0:
		return &SpecError{"PID", "must be non-zero"}
	case len(s.Threads) == 0:
		return &SpecError{"Threads", "at least one thread is required"}
	case len(s.Threads) > 4096:
		return &SpecError{"Threads", fmt.Sprintf("%d threads is more than 4096", len(s.Threads))}
	case len(s.Modules) == 0:
		return &SpecError{"Modules", "at least one module is required"}
	case len(s.Modules) > 4096:
		return &SpecError{"Modules", fmt.Sprintf("%d modules is more than 4096", len(s.Modules))}
	case s.Size < 0:
		return &SpecError{"Size", "must not be negative"}
	case s.StackSize > 8<<20:
		return &SpecError{"StackSize", "must be at most 8 MiB"}
	case s.ProcessCreateTime.Unix() < 0 || s.ProcessCreateTime.Unix() > 0xffffffff:
		return &SpecError{"ProcessCreateTime", "must fit a 32-bit Unix time"}
	}
	for i, m := range s.Modules {
		if m.Path == "" || len(m.Path) > 1024 {
			return &SpecError{fmt.Sprintf("Modules[%d].Path", i), "must be 1..1024 characters"}
		}
		if m.Size == 0 {
			return &SpecError{fmt.Sprintf("Modules[%d].Size", i), "must be non-zero"}
		}
	}
	if s.Exception != nil {
		found := false
		for _, t := range s.Threads {
			found = found || t.ID == s.Exception.ThreadID
		}
		if !found {
			return &SpecError{"Exception.ThreadID", fmt.Sprintf("thread %d is not in Threads", s.Exception.ThreadID)}
		}
	}
	return nil
}
