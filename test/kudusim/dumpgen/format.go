package dumpgen

import "encoding/binary"

// Minidump constants from minidumpapiset.h and winnt.h.
const (
	// Signature is "MDMP" read as a little-endian uint32.
	Signature = 0x504d444d
	// Version is MINIDUMP_VERSION in the low word; dbghelp puts its own
	// implementation version in the high word.
	Version = 0x0000a793

	StreamThreadList     = 3
	StreamModuleList     = 4
	StreamMemoryList     = 5
	StreamException      = 6
	StreamSystemInfo     = 7
	StreamMemory64List   = 9
	StreamMiscInfo       = 15
	StreamMemoryInfoList = 16

	// MiniDumpWithFullMemory is the MINIDUMP_TYPE bit that makes a full dump.
	MiniDumpWithFullMemory = 0x2
	// MiniDumpIgnoreInaccessibleMemory is the bit Kudu always ORs in.
	MiniDumpIgnoreInaccessibleMemory = 0x20000
	// ValidTypeMask is the set of MINIDUMP_TYPE bits dbghelp accepts.
	ValidTypeMask = 0x3ffff

	ProcessorArchitectureAMD64 = 9
	verNTServer                = 3
	verPlatformWin32NT         = 2

	headerSize        = 32
	directorySize     = 12
	systemInfoSize    = 56
	miscInfo2Size     = 44
	threadSize        = 48
	moduleSize        = 108
	exceptionSize     = 168
	memDescSize       = 16
	memInfoHeaderSize = 16
	memInfoSize       = 48
	// ContextAMD64Size is sizeof(CONTEXT) on AMD64.
	ContextAMD64Size = 1232

	contextAMD64      = 0x00100000
	contextFull       = contextAMD64 | 0x1 | 0x2 | 0x8 // CONTROL|INTEGER|FLOATING_POINT
	contextAll        = contextFull | 0x4 | 0x10       // + SEGMENTS|DEBUG_REGISTERS
	miscProcessID     = 0x1
	miscProcessTimes  = 0x2
	miscProcessorPwr  = 0x4
	memCommit         = 0x1000
	memPrivate        = 0x20000
	memImage          = 0x1000000
	pageReadWrite     = 0x04
	pageExecuteRead   = 0x20
	cvSignatureRSDS   = 0x53445352
	vsFixedSignature  = 0xfeef04bd
	vsFixedStrucVer   = 0x00010000
	vsFileOSNTWindows = 0x00040004
	vsFileTypeApp     = 0x1
	vsFileTypeDLL     = 0x2
)

// enc appends little-endian values to a byte slice that was sized up front.
type enc struct{ b []byte }

func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) u16(v uint16) { e.b = binary.LittleEndian.AppendUint16(e.b, v) }
func (e *enc) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *enc) zero(n int) {
	for i := 0; i < n; i++ {
		e.b = append(e.b, 0)
	}
}
func (e *enc) loc(size, rva uint32) { e.u32(size); e.u32(rva) }
func (e *enc) pos() int             { return len(e.b) }
func (e *enc) padTo(off int) {
	if off > len(e.b) {
		e.zero(off - len(e.b))
	}
}

func align(n, a int64) int64 { return (n + a - 1) / a * a }
