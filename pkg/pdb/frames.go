package pdb

import "fmt"

// FrameData is an x86 frame data record (FRAMEDATA) from the DBI's "new
// FPO" stream: how to recover the caller's registers inside one block of
// code. Breakpad's dump_syms writes each as a STACK WIN 4 record. x64 and
// ARM64 images unwind from their .pdata/.xdata instead and have none.
type FrameData struct {
	RVA      uint32 // first byte of the block
	CodeSize uint32
	// Sizes in bytes.
	LocalSize, ParamsSize, MaxStackSize uint32
	PrologSize, SavedRegsSize           uint16
	// Program is the postfix program that computes the caller's $eip,
	// $esp, $ebp... (e.g. "$T0 $ebp = $eip $T0 4 + ^ = ..."), as stored in
	// the /names string table.
	Program                           string
	HasSEH, HasCPPEH, IsFunctionStart bool
}

// FPO is an old-style x86 frame pointer omission record (FPO_DATA) from
// the DBI's "FPO" stream; Breakpad writes it as a STACK WIN 0 record.
type FPO struct {
	RVA, CodeSize uint32
	LocalSize     uint32 // bytes (the record counts 4-byte words)
	ParamsSize    uint32 // bytes (the record counts 4-byte words)
	PrologSize    uint8  // bytes
	SavedRegs     uint8  // number of registers pushed
	HasSEH        bool
	UsesBP        bool  // EBP was allocated as a frame pointer
	FrameType     uint8 // 0 FPO, 1 trap frame, 2 TSS, 3 standard (non-FPO) frame
}

const (
	frameDataSize = 32
	fpoDataSize   = 16

	frameDataHasSEH          = 1 << 0
	frameDataHasEH           = 1 << 1
	frameDataIsFunctionStart = 1 << 2
)

// debugStream reads optional debug header stream kind, or returns nil
// when the PDB has none.
func (f *File) debugStream(kind int, what string, recSize int) (*stream, []byte, error) {
	d, err := f.dbiStream()
	if err != nil {
		return nil, nil, err
	}
	idx, ok := d.dbgStream(kind)
	if !ok {
		return nil, nil, nil
	}
	s, err := f.stream(idx, what)
	if err != nil {
		return nil, nil, err
	}
	b, err := f.readStream(s)
	if err != nil {
		return nil, nil, err
	}
	if len(b)%recSize != 0 {
		return nil, nil, f.streamErr(s, 0, fmt.Sprintf("%s stream %d: size not a multiple of %d", what, idx, recSize), len(b))
	}
	return s, b, nil
}

// FrameData returns the x86 frame data records in stream order (MSVC
// sorts them by RVA). It is empty when the PDB has none.
func (f *File) FrameData() ([]FrameData, error) {
	_, b, err := f.debugStream(dbgNewFPO, "frame data (new FPO)", frameDataSize)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	names, err := f.readNames()
	if err != nil {
		return nil, err
	}
	out := make([]FrameData, len(b)/frameDataSize)
	for i := range out {
		r := b[i*frameDataSize:]
		prog, err := names.name(le.Uint32(r[20:]))
		if err != nil {
			return nil, fmt.Errorf("frame data record %d program: %w", i, err)
		}
		flags := le.Uint32(r[28:])
		out[i] = FrameData{
			RVA:             le.Uint32(r),
			CodeSize:        le.Uint32(r[4:]),
			LocalSize:       le.Uint32(r[8:]),
			ParamsSize:      le.Uint32(r[12:]),
			MaxStackSize:    le.Uint32(r[16:]),
			PrologSize:      le.Uint16(r[24:]),
			SavedRegsSize:   le.Uint16(r[26:]),
			Program:         prog,
			HasSEH:          flags&frameDataHasSEH != 0,
			HasCPPEH:        flags&frameDataHasEH != 0,
			IsFunctionStart: flags&frameDataIsFunctionStart != 0,
		}
	}
	return out, nil
}

// FPO returns the old-style FPO records in stream order. It is empty when
// the PDB has none (current MSVC writes frame data instead).
func (f *File) FPO() ([]FPO, error) {
	_, b, err := f.debugStream(dbgFPO, "FPO", fpoDataSize)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	out := make([]FPO, len(b)/fpoDataSize)
	for i := range out {
		r := b[i*fpoDataSize:]
		// winnt.h: cbProlog:8 cbRegs:3 fHasSEH:1 fUseBP:1 reserved:1 cbFrame:2,
		// allocated from bit 0 (LLVM's accessors differ; docs/pdb.md).
		bits := le.Uint16(r[14:])
		out[i] = FPO{
			RVA:        le.Uint32(r),
			CodeSize:   le.Uint32(r[4:]),
			LocalSize:  le.Uint32(r[8:]) * 4,
			ParamsSize: uint32(le.Uint16(r[12:])) * 4,
			PrologSize: uint8(bits),
			SavedRegs:  uint8(bits>>8) & 7,
			HasSEH:     bits&(1<<11) != 0,
			UsesBP:     bits&(1<<12) != 0,
			FrameType:  uint8(bits >> 14),
		}
	}
	return out, nil
}
