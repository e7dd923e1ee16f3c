package dumpgen

import "time"

// Runtime selects the module set of a generated process.
type Runtime string

// Runtimes with a plausible Windows App Service module set.
const (
	// RuntimeCLR is an in-process .NET Framework w3wp (clr.dll).
	RuntimeCLR Runtime = "clr"
	// RuntimeCoreCLR is an out-of-process ASP.NET Core dotnet.exe (coreclr.dll).
	RuntimeCoreCLR Runtime = "coreclr"
	// RuntimeNode is iisnode's node.exe.
	RuntimeNode Runtime = "node"
	// RuntimeNative is a w3wp without a managed runtime (ASP.NET Core
	// out-of-process hosting keeps only the native ANCM module).
	RuntimeNative Runtime = "native"
)

var (
	modNtdll    = Module{`C:\Windows\System32\ntdll.dll`, 0x7ffd2c5f0000, 0x1f8000, 0x62b8d1a5, [4]uint16{10, 0, 20348, 1906}}
	modKernel32 = Module{`C:\Windows\System32\kernel32.dll`, 0x7ffd2b3d0000, 0xc2000, 0x9f3e6c1b, [4]uint16{10, 0, 20348, 1850}}
	modKBase    = Module{`C:\Windows\System32\KERNELBASE.dll`, 0x7ffd29d40000, 0x3a6000, 0x4a1b2c3d, [4]uint16{10, 0, 20348, 1906}}
	modW3wp     = Module{`C:\Windows\System32\inetsrv\w3wp.exe`, 0x7ff6a1b20000, 0x7000, 0x1c2d3e4f, [4]uint16{10, 0, 20348, 1}}
	modIISCore  = Module{`C:\Windows\System32\inetsrv\iiscore.dll`, 0x7ffd1e2a0000, 0x8d000, 0x2b3c4d5e, [4]uint16{10, 0, 20348, 1547}}
	modCLR      = Module{`C:\Windows\Microsoft.NET\Framework64\v4.0.30319\clr.dll`, 0x7ffd0a3b0000, 0x9a8000, 0x64a1f2e3, [4]uint16{4, 8, 9181, 0}}
	modANCM     = Module{`C:\Program Files\IIS\Asp.Net Core Module\V2\aspnetcorev2.dll`, 0x7ffd0f120000, 0x4e000, 0x5e6f7a8b, [4]uint16{18, 0, 24201, 0}}
	modDotnet   = Module{`C:\Program Files\dotnet\dotnet.exe`, 0x7ff7c2a10000, 0x2c000, 0x6d7e8f90, [4]uint16{8, 0, 1124, 51707}}
	modCoreCLR  = Module{`C:\Program Files\dotnet\shared\Microsoft.NETCore.App\8.0.11\coreclr.dll`, 0x7ffd05e40000, 0x4c1000, 0x6f7a8b9c, [4]uint16{8, 0, 1124, 51707}}
	modNode     = Module{`C:\Program Files\nodejs\node.exe`, 0x7ff6b0000000, 0x3f2e000, 0x65a1b2c3, [4]uint16{20, 18, 0, 0}}
)

// StandardModules returns the module list of a process of the given
// runtime: the main image first, then ntdll, kernel32, KERNELBASE and the
// runtime's modules. Unknown runtimes get the native w3wp set.
func StandardModules(rt Runtime) []Module {
	switch rt {
	case RuntimeCLR:
		return []Module{modW3wp, modNtdll, modKernel32, modKBase, modIISCore, modCLR}
	case RuntimeCoreCLR:
		return []Module{modDotnet, modNtdll, modKernel32, modKBase, modCoreCLR}
	case RuntimeNode:
		return []Module{modNode, modNtdll, modKernel32, modKBase}
	default:
		return []Module{modW3wp, modNtdll, modKernel32, modKBase, modIISCore, modANCM}
	}
}

// SampleSpec returns a plausible w3wp (.NET Framework) spec with the given
// pid, flags and size: eight threads with frame 0 in ntdll, clr and w3wp,
// created 2026-01-01T00:00:00Z. It is what `kudusim write-dump` writes.
func SampleSpec(pid uint32, flags uint64, size int64) Spec {
	mods := StandardModules(RuntimeCLR)
	threads := make([]Thread, 8)
	for i := range threads {
		m := mods[[]int{1, 5, 0, 1, 5, 1, 4, 5}[i]]
		threads[i] = Thread{ID: 0x1000 + uint32(i)*4, RIP: m.Base + 0x1000 + uint64(i)*0x210}
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return Spec{
		Flags: flags, Size: size, PID: pid, ProcessCreateTime: created,
		DumpTime: created.Add(90 * time.Minute), Threads: threads, Modules: mods,
		Seed: uint64(pid)*0x100000001b3 ^ flags,
	}
}
