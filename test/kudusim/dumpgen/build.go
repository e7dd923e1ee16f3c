package dumpgen

import (
	"encoding/binary"
	"time"
)

// encode materialises everything before the bulk memory: header,
// directory, streams, strings, CodeView records, contexts and stacks.
func encode(s *Spec, p *plan) []byte {
	e := &enc{b: make([]byte, 0, p.bulk)}
	dumpTime := s.DumpTime
	if dumpTime.IsZero() {
		dumpTime = s.ProcessCreateTime.Add(time.Hour)
	}
	// MINIDUMP_HEADER
	e.u32(Signature)
	e.u32(Version)
	e.u32(uint32(p.nStreams))
	e.u32(uint32(p.dir))
	e.u32(0) // CheckSum
	e.u32(uint32(dumpTime.Unix()))
	e.u64(s.Flags)

	// MINIDUMP_DIRECTORY
	memType, memSize := uint32(StreamMemoryList), 4+memDescSize*(p.nThreads+p.nBulk)
	if p.full {
		memType, memSize = StreamMemory64List, 16+memDescSize*(p.nThreads+p.nBulk)
	}
	e.u32(StreamThreadList)
	e.loc(uint32(4+threadSize*p.nThreads), uint32(p.threadList))
	e.u32(StreamModuleList)
	e.loc(uint32(4+moduleSize*p.nModules), uint32(p.moduleList))
	e.u32(memType)
	e.loc(uint32(memSize), uint32(p.memList))
	if s.Exception != nil {
		e.u32(StreamException)
		e.loc(exceptionSize, uint32(p.exc))
	}
	e.u32(StreamSystemInfo)
	e.loc(systemInfoSize, uint32(p.sysInfo))
	e.u32(StreamMiscInfo)
	e.loc(miscInfo2Size, uint32(p.misc))
	e.u32(StreamMemoryInfoList)
	e.loc(uint32(memInfoHeaderSize+memInfoSize*(p.nThreads+p.nBulk+p.nModules)), uint32(p.memInfo))

	// MINIDUMP_THREAD_LIST
	e.u32(uint32(p.nThreads))
	for i, t := range s.Threads {
		e.u32(t.ID)
		e.u32(0)                                     // SuspendCount
		e.u32(0x20)                                  // PriorityClass: NORMAL_PRIORITY_CLASS
		e.u32(0)                                     // Priority
		e.u64(0x000000f000000000 + uint64(i)*0x2000) // Teb
		e.u64(stackAddr(i, p.stackSize))
		e.loc(uint32(p.stackSize), uint32(p.stacks+int64(i)*p.stackSize))
		e.loc(ContextAMD64Size, uint32(p.contexts[i]))
	}

	// MINIDUMP_MODULE_LIST
	e.u32(uint32(p.nModules))
	for i, m := range s.Modules {
		e.u64(m.Base)
		e.u32(m.Size)
		e.u32(0) // CheckSum
		e.u32(m.TimeDateStamp)
		e.u32(uint32(p.names[i]))
		// VS_FIXEDFILEINFO
		v := m.Version
		ms, ls := uint32(v[0])<<16|uint32(v[1]), uint32(v[2])<<16|uint32(v[3])
		e.u32(vsFixedSignature)
		e.u32(vsFixedStrucVer)
		e.u32(ms)
		e.u32(ls)
		e.u32(ms)
		e.u32(ls)
		e.u32(0x3f) // FileFlagsMask
		e.u32(0)    // FileFlags
		e.u32(vsFileOSNTWindows)
		ft := uint32(vsFileTypeDLL)
		if len(m.Path) > 4 && (m.Path[len(m.Path)-4:] == ".exe" || m.Path[len(m.Path)-4:] == ".EXE") {
			ft = vsFileTypeApp
		}
		e.u32(ft)
		e.u32(0) // FileSubtype
		e.u32(0) // FileDateMS
		e.u32(0) // FileDateLS
		e.loc(uint32(24+len(p.pdbNames[i])+1), uint32(p.cvs[i]))
		e.loc(0, 0) // MiscRecord
		e.u64(0)
		e.u64(0)
	}

	// MemoryList / Memory64List
	ranges := p.ranges(s)
	if p.full {
		e.u64(uint64(len(ranges)))
		e.u64(uint64(p.stacks)) // BaseRva
		for _, r := range ranges {
			e.u64(r.addr)
			e.u64(uint64(r.len))
		}
	} else {
		e.u32(uint32(len(ranges)))
		for _, r := range ranges {
			e.u64(r.addr)
			e.loc(uint32(r.len), uint32(r.rva))
		}
	}

	// MINIDUMP_EXCEPTION_STREAM
	if x := s.Exception; x != nil {
		ctx := 0
		for i, t := range s.Threads {
			if t.ID == x.ThreadID {
				ctx = i
				break
			}
		}
		e.u32(x.ThreadID)
		e.u32(0)
		e.u32(x.Code)
		e.u32(1) // EXCEPTION_NONCONTINUABLE
		e.u64(0)
		e.u64(x.Address)
		e.u32(0) // NumberParameters
		e.u32(0)
		e.zero(15 * 8)
		e.loc(ContextAMD64Size, uint32(p.contexts[ctx]))
	}

	// MINIDUMP_SYSTEM_INFO: AMD64, Windows Server 2022 (10.0.20348).
	procs := s.Processors
	if procs == 0 {
		procs = 2
	}
	e.u16(ProcessorArchitectureAMD64)
	e.u16(6)      // ProcessorLevel
	e.u16(0x5507) // ProcessorRevision
	e.u8(procs)
	e.u8(verNTServer)
	e.u32(10)
	e.u32(0)
	e.u32(20348)
	e.u32(verPlatformWin32NT)
	e.u32(uint32(p.csd))
	e.u16(0x110) // SuiteMask: TERMINAL | SINGLEUSERTS
	e.u16(0)
	e.b = append(e.b, "GenuineIntel"...) // X86CpuInfo.VendorId
	e.u32(0x00050657)                    // VersionInformation
	e.u32(0xbfebfbff)                    // FeatureInformation
	e.u32(0)                             // AMDExtendedCpuFeatures

	// MINIDUMP_MISC_INFO_2
	e.u32(miscInfo2Size)
	e.u32(miscProcessID | miscProcessTimes | miscProcessorPwr)
	e.u32(s.PID)
	e.u32(uint32(s.ProcessCreateTime.Unix()))
	up := uint32(dumpTime.Sub(s.ProcessCreateTime) / time.Second)
	e.u32(up / 20) // ProcessUserTime
	e.u32(up / 90) // ProcessKernelTime
	e.u32(2594)
	e.u32(2594)
	e.u32(2594)
	e.u32(1)
	e.u32(1)

	// MINIDUMP_MEMORY_INFO_LIST
	infos := p.memInfos(s)
	e.u32(memInfoHeaderSize)
	e.u32(memInfoSize)
	e.u64(uint64(len(infos)))
	for _, r := range infos {
		prot, typ := uint32(pageReadWrite), uint32(memPrivate)
		if r.image {
			prot, typ = pageExecuteRead, memImage
		}
		e.u64(r.addr)
		e.u64(r.addr)
		e.u32(prot)
		e.u32(0)
		e.u64(uint64(r.len))
		e.u32(memCommit)
		e.u32(prot)
		e.u32(typ)
		e.u32(0)
	}

	// Strings: CSD version (empty), module names.
	e.padTo(int(p.csd))
	e.u32(0)
	e.u16(0)
	for i, u := range p.nameBytes {
		e.padTo(int(p.names[i]))
		e.u32(uint32(2 * len(u)))
		for _, c := range u {
			e.u16(c)
		}
		e.u16(0)
	}
	// CodeView CV_INFO_PDB70 records.
	for i, m := range s.Modules {
		e.padTo(int(p.cvs[i]))
		e.u32(cvSignatureRSDS)
		g := cvGUID(m.Path)
		e.b = append(e.b, g[:]...)
		e.u32(1) // Age
		e.b = append(e.b, p.pdbNames[i]...)
		e.u8(0)
	}
	// AMD64 CONTEXT records.
	for i, t := range s.Threads {
		e.padTo(int(p.contexts[i]))
		encodeContext(e, s, p, i, t)
	}
	e.padTo(int(p.stacks))
	// Stacks: generated words with a return address into a module every
	// fourth word, so stack-scanning unwinders find plausible frames.
	for i := range s.Threads {
		start := e.pos()
		e.zero(int(p.stackSize))
		st := e.b[start:]
		fill(s.Seed^0x5354414b, st, int64(start))
		for w := 0; w+8 <= len(st); w += 32 {
			m := s.Modules[(w/32+i)%len(s.Modules)]
			binary.LittleEndian.PutUint64(st[w:], m.Base+0x1000+uint64(w)%uint64(max(m.Size/2, 1)))
		}
	}
	return e.b
}

func encodeContext(e *enc, s *Spec, p *plan, i int, t Thread) {
	start := e.pos()
	e.zero(ContextAMD64Size)
	c := e.b[start:]
	le := binary.LittleEndian
	rsp := stackAddr(i, p.stackSize)
	rip := t.RIP
	if rip == 0 {
		m := s.Modules[i%len(s.Modules)]
		rip = m.Base + uint64(m.Size)/2
	}
	le.PutUint32(c[48:], contextAll) // ContextFlags
	le.PutUint32(c[52:], 0x1f80)     // MxCsr
	le.PutUint16(c[56:], 0x33)       // SegCs
	le.PutUint16(c[58:], 0x2b)       // SegDs
	le.PutUint16(c[60:], 0x2b)       // SegEs
	le.PutUint16(c[62:], 0x53)       // SegFs
	le.PutUint16(c[64:], 0x2b)       // SegGs
	le.PutUint16(c[66:], 0x2b)       // SegSs
	le.PutUint32(c[68:], 0x246)      // EFlags
	for r := 0; r < 16; r++ {        // Rax..R15
		le.PutUint64(c[120+8*r:], word(s.Seed^uint64(t.ID), uint64(r)))
	}
	le.PutUint64(c[152:], rsp)                       // Rsp
	le.PutUint64(c[160:], rsp+uint64(p.stackSize)/2) // Rbp
	le.PutUint64(c[248:], rip)                       // Rip
	le.PutUint16(c[256:], 0x27f)                     // FltSave.ControlWord
	le.PutUint32(c[256+24:], 0x1f80)                 // FltSave.MxCsr
	le.PutUint32(c[256+28:], 0xffff)                 // FltSave.MxCsr_Mask
}
