package minidump

import "testing"

func TestCPUInfoByArchitecture(t *testing.T) {
	for _, tc := range []struct {
		si   SystemInfo
		want string
	}{
		{SystemInfo{ProcessorArchitecture: ArchX86, ProcessorLevel: 6, ProcessorRevision: 0x0d08, VendorID: "GenuineIntel"},
			"GenuineIntel family 6 model 13 stepping 8"},
		{SystemInfo{ProcessorArchitecture: ArchAMD64, ProcessorLevel: 6, ProcessorRevision: 0x5507}, "family 6 model 85 stepping 7"},
		// An ARM64 dump's level/revision are not x86 family/model/stepping;
		// Breakpad prints nothing (issue 23: "family 2051 model 7 stepping 12").
		{SystemInfo{ProcessorArchitecture: ArchARM64, ProcessorLevel: 2051, ProcessorRevision: 0x070c}, ""},
		{SystemInfo{ProcessorArchitecture: archARM64Breakpad, ProcessorLevel: 8}, ""},
		{SystemInfo{ProcessorArchitecture: ArchARM, ProcessorLevel: 7, ProcessorFeatures: [2]uint64{0x1000_4100c090}},
			"ARMv7 ARM Cortex-A9 features: neon"},
		{SystemInfo{ProcessorArchitecture: ArchARM, ProcessorLevel: 7, ProcessorFeatures: [2]uint64{0x7700_0010}},
			"ARMv7 vendor(0x77) part(0x77000010)"},
		{SystemInfo{ProcessorArchitecture: ArchARM, ProcessorLevel: 8}, "ARMv8"},
		{SystemInfo{ProcessorArchitecture: ArchIA64, ProcessorLevel: 1}, ""},
	} {
		if got := tc.si.CPUInfo(); got != tc.want {
			t.Errorf("%s level %d: CPUInfo = %q, want %q", tc.si.ProcessorArchitecture, tc.si.ProcessorLevel, got, tc.want)
		}
	}
}
