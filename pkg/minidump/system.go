package minidump

import (
	"fmt"
	"time"
)

// Arch is PROCESSOR_ARCHITECTURE_*.
type Arch uint16

// Processor architectures.
const (
	ArchX86     Arch = 0
	ArchARM     Arch = 5
	ArchIA64    Arch = 6
	ArchAMD64   Arch = 9
	ArchARM64   Arch = 12
	ArchUnknown Arch = 0xffff
	// archARM64Breakpad is Breakpad's pre-standard value for arm64.
	archARM64Breakpad Arch = 0x8003
)

// String returns the names Breakpad prints: "x86", "amd64", "arm64", "arm".
func (a Arch) String() string {
	switch a {
	case ArchX86:
		return "x86"
	case ArchAMD64:
		return "amd64"
	case ArchARM64, archARM64Breakpad:
		return "arm64"
	case ArchARM:
		return "arm"
	case ArchIA64:
		return "ia64"
	}
	return fmt.Sprintf("arch(%#x)", uint16(a))
}

// PointerSize is 4 for 32-bit architectures and 8 otherwise.
func (a Arch) PointerSize() int {
	if a == ArchX86 || a == ArchARM {
		return 4
	}
	return 8
}

// SystemInfo is MINIDUMP_SYSTEM_INFO with its CSD string resolved.
type SystemInfo struct {
	ProcessorArchitecture Arch
	ProcessorLevel        uint16
	ProcessorRevision     uint16
	NumberOfProcessors    uint8
	ProductType           uint8
	MajorVersion          uint32
	MinorVersion          uint32
	BuildNumber           uint32
	PlatformID            uint32
	// CSDVersion is the service pack string (e.g. "Service Pack 2"), or
	// on Windows 10 and later the update build revision as written.
	CSDVersion string
	SuiteMask  uint16
	// VendorID is the x86 CPUID vendor ("GenuineIntel"); empty elsewhere.
	VendorID           string
	VersionInformation uint32 // x86 CPUID 1 EAX
	FeatureInformation uint32 // x86 CPUID 1 EDX
	ProcessorFeatures  [2]uint64
}

// SystemInfo parses the SystemInfo stream.
func (m *Reader) SystemInfo() (*SystemInfo, error) {
	return lazy(m, "sysinfo", func() (*SystemInfo, error) {
		d, b, err := m.streamBytes(SystemInfoStream)
		if err != nil {
			return nil, err
		}
		if len(b) < 56 {
			return nil, formatErr(int64(d.Rva), "SystemInfo stream too short", len(b))
		}
		s := &SystemInfo{
			ProcessorArchitecture: Arch(le.Uint16(b)), ProcessorLevel: le.Uint16(b[2:]),
			ProcessorRevision: le.Uint16(b[4:]), NumberOfProcessors: b[6], ProductType: b[7],
			MajorVersion: le.Uint32(b[8:]), MinorVersion: le.Uint32(b[12:]), BuildNumber: le.Uint32(b[16:]),
			PlatformID: le.Uint32(b[20:]), SuiteMask: le.Uint16(b[28:]),
		}
		if s.ProcessorArchitecture == ArchX86 {
			s.VendorID = cstring(b[32:44])
			s.VersionInformation = le.Uint32(b[44:])
			s.FeatureInformation = le.Uint32(b[48:])
		} else {
			s.ProcessorFeatures = [2]uint64{le.Uint64(b[32:]), le.Uint64(b[40:])}
		}
		if rva := le.Uint32(b[24:]); rva != 0 {
			csd, err := m.readString(int64(rva), "CSD version string")
			if err != nil {
				return nil, err
			}
			s.CSDVersion = csd
		}
		return s, nil
	})
}

// OSVersion returns "major.minor.build".
func (s *SystemInfo) OSVersion() string {
	return fmt.Sprintf("%d.%d.%d", s.MajorVersion, s.MinorVersion, s.BuildNumber)
}

// CPUInfo describes the CPU as Breakpad's processor does: for x86 and
// amd64 "GenuineIntel family 6 model 13 stepping 8" (the vendor when the
// dump has one); for 32-bit ARM "ARMv7" and the vendor and part decoded
// from the CPUID register; for every other architecture, arm64 included,
// nothing (the processor fields there are not x86 family/model/stepping).
func (s *SystemInfo) CPUInfo() string {
	switch s.ProcessorArchitecture {
	case ArchX86, ArchAMD64:
		info := fmt.Sprintf("family %d model %d stepping %d", s.ProcessorLevel, s.ProcessorRevision>>8, s.ProcessorRevision&0xff)
		if s.VendorID != "" {
			return s.VendorID + " " + info
		}
		return info
	case ArchARM:
		return armCPUInfo(s.ProcessorLevel, uint32(s.ProcessorFeatures[0]), uint32(s.ProcessorFeatures[0]>>32))
	}
	return ""
}

// MiscInfo flags (MINIDUMP_MISC*).
const (
	MiscProcessID     = 0x1
	MiscProcessTimes  = 0x2
	MiscPowerInfo     = 0x4
	MiscIntegrity     = 0x10
	MiscExecuteFlags  = 0x20
	MiscTimeZone      = 0x40
	MiscProtected     = 0x80
	MiscBuildString   = 0x100
	MiscProcessCookie = 0x200
)

// MiscInfo is MINIDUMP_MISC_INFO through MINIDUMP_MISC_INFO_5; the fields
// of a version the stream is too short for stay zero. Check Flags1 before
// trusting a field.
type MiscInfo struct {
	SizeOfInfo        uint32
	Flags1            uint32
	ProcessID         uint32
	ProcessCreateTime uint32 // seconds since 1970-01-01 UTC
	ProcessUserTime   uint32 // seconds
	ProcessKernelTime uint32 // seconds
	// Version 2.
	ProcessorMaxMhz, ProcessorCurrentMhz, ProcessorMhzLimit uint32
	ProcessorMaxIdleState, ProcessorCurrentIdleState        uint32
	// Version 3.
	ProcessIntegrityLevel, ProcessExecuteFlags, ProtectedProcess, TimeZoneID uint32
	TimeZoneBias                                                             int32
	TimeZoneStandardName, TimeZoneDaylightName                               string
	// Version 4.
	BuildString, DbgBldStr string
	// Version 5.
	XStateEnabledFeatures uint64
	ProcessCookie         uint32
}

// Misc info sizes by version.
const (
	miscV1 = 24
	miscV2 = 44
	miscV3 = 232
	miscV4 = 832
	miscV5 = 1364
)

// MiscInfo parses the MiscInfo stream (every version, by size).
func (m *Reader) MiscInfo() (*MiscInfo, error) {
	return lazy(m, "misc", func() (*MiscInfo, error) {
		d, b, err := m.streamBytes(MiscInfoStream)
		if err != nil {
			return nil, err
		}
		if len(b) < miscV1 {
			return nil, formatErr(int64(d.Rva), "MiscInfo stream too short", len(b))
		}
		mi := &MiscInfo{SizeOfInfo: le.Uint32(b), Flags1: le.Uint32(b[4:]), ProcessID: le.Uint32(b[8:]),
			ProcessCreateTime: le.Uint32(b[12:]), ProcessUserTime: le.Uint32(b[16:]), ProcessKernelTime: le.Uint32(b[20:])}
		// Trust the smaller of the declared and the actual size.
		n := min(int(mi.SizeOfInfo), len(b))
		if n >= miscV2 {
			mi.ProcessorMaxMhz, mi.ProcessorCurrentMhz, mi.ProcessorMhzLimit = le.Uint32(b[24:]), le.Uint32(b[28:]), le.Uint32(b[32:])
			mi.ProcessorMaxIdleState, mi.ProcessorCurrentIdleState = le.Uint32(b[36:]), le.Uint32(b[40:])
		}
		if n >= miscV3 {
			mi.ProcessIntegrityLevel, mi.ProcessExecuteFlags = le.Uint32(b[44:]), le.Uint32(b[48:])
			mi.ProtectedProcess, mi.TimeZoneID = le.Uint32(b[52:]), le.Uint32(b[56:])
			tz := b[60:232]
			mi.TimeZoneBias = int32(le.Uint32(tz))
			mi.TimeZoneStandardName = decodeUTF16(tz[4:68])
			mi.TimeZoneDaylightName = decodeUTF16(tz[88:152])
		}
		if n >= miscV4 {
			mi.BuildString = decodeUTF16(b[232:752])
			mi.DbgBldStr = decodeUTF16(b[752:832])
		}
		if n >= miscV5 {
			mi.XStateEnabledFeatures = le.Uint64(b[840:])
			mi.ProcessCookie = le.Uint32(b[1360:])
		}
		return mi, nil
	})
}

// CreateTime returns the process creation time, if the stream has it.
func (mi *MiscInfo) CreateTime() (time.Time, bool) {
	if mi.Flags1&MiscProcessTimes == 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(mi.ProcessCreateTime), 0).UTC(), true
}
