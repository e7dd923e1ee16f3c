package minidump

import (
	"fmt"
	"strings"
)

// armCPUInfo describes a 32-bit ARM CPU as Breakpad's processor does:
// "ARMv<level>", then the vendor and part decoded from the MIDR (CPUID)
// register when the writer saved it, then the ELF hardware capabilities.
// On ARM the SystemInfo CPU union holds {cpuid, elf_hwcaps} (docs/analysis.md).
func armCPUInfo(level uint16, cpuid, hwcaps uint32) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ARMv%d", level)
	if cpuid != 0 {
		vendor := fmt.Sprintf("vendor(%#x)", cpuid>>24)
		if v, ok := armVendors[cpuid>>24]; ok {
			vendor = v
		}
		part := fmt.Sprintf("part(%#x)", cpuid&0xff00fff0)
		if p, ok := armParts[cpuid&0xff00fff0]; ok {
			part = p
		}
		b.WriteString(" " + vendor + " " + part)
	}
	if hwcaps != 0 {
		var names []string
		for i, n := range armHWCaps {
			if hwcaps&(1<<i) != 0 {
				names = append(names, n)
			}
		}
		b.WriteString(" features: " + strings.Join(names, ","))
	}
	return b.String()
}

// armVendors are the MIDR implementer codes Breakpad names.
var armVendors = map[uint32]string{0x41: "ARM", 0x51: "Qualcomm", 0x56: "Marvell", 0x69: "Intel/Marvell"}

// armParts are the MIDR implementer+part values Breakpad names.
var armParts = map[uint32]string{
	0x4100c050: "Cortex-A5", 0x4100c080: "Cortex-A8", 0x4100c090: "Cortex-A9", 0x4100c0f0: "Cortex-A15",
	0x4100c140: "Cortex-R4", 0x4100c150: "Cortex-R5", 0x4100b360: "ARM1136", 0x4100b560: "ARM1156",
	0x4100b760: "ARM1176", 0x4100b020: "ARM11-MPCore", 0x41009260: "ARM926", 0x41009460: "ARM946",
	0x41009660: "ARM966", 0x510006f0: "Krait", 0x510000f0: "Scorpion",
}

// armHWCaps names the Linux ELF HWCAP bits, bit 0 first.
var armHWCaps = []string{"swp", "half", "thumb", "26bit", "fastmult", "fpa", "vfpv2", "edsp", "java",
	"iwmmxt", "crunch", "thumbee", "neon", "vfpv3", "vfpv3d16", "tls", "vfpv4", "idiva", "idivt"}
