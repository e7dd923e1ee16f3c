package peunwind

// Unwind operation codes (UNWIND_CODE.UnwindOp).
const (
	OpPushNonvol     = 0
	OpAllocLarge     = 1
	OpAllocSmall     = 2
	OpSetFPReg       = 3
	OpSaveNonvol     = 4
	OpSaveNonvolFar  = 5
	OpEpilog         = 6 // version 2; version 1: save XMM (2 slots)
	OpSpareCode      = 7 // version 2; version 1: save XMM far (3 slots)
	OpSaveXMM128     = 8
	OpSaveXMM128Far  = 9
	OpPushMachFrame  = 10
	flagChainInfo    = 0x4
	maxUnwindCodes   = 255
	unwindInfoHeader = 4
)

// Code is one decoded unwind operation, in the order the record lists
// them (the reverse of the prolog).
type Code struct {
	// Offset is the prolog offset just past the instruction this code
	// undoes.
	Offset uint8
	Op     uint8
	// Info is the operation info: a register number for pushes and
	// saves, the size class for allocations, 1 for a machine frame with
	// an error code.
	Info uint8
	// Value is the allocation size or the save offset in bytes (for the
	// codes that carry one).
	Value uint32
}

// UnwindInfo is a decoded UNWIND_INFO record.
type UnwindInfo struct {
	Version, Flags uint8
	PrologSize     uint8
	// FrameRegister is the frame pointer register number (0 = none) and
	// FrameOffset its scaled offset from the stack pointer in bytes.
	FrameRegister uint8
	FrameOffset   uint32
	Codes         []Code
	// Chained is the parent function fragment when Flags has
	// UNW_FLAG_CHAININFO.
	Chained *RuntimeFunction
}

// UnwindInfo reads and decodes the UNWIND_INFO record at rva.
func (im *Image) UnwindInfo(rva uint32) (*UnwindInfo, error) {
	h, err := im.readAt(uint64(rva), unwindInfoHeader, "UNWIND_INFO")
	if err != nil {
		return nil, err
	}
	ui := &UnwindInfo{Version: h[0] & 7, Flags: h[0] >> 3, PrologSize: h[1],
		FrameRegister: h[3] & 0xf, FrameOffset: uint32(h[3]>>4) * 16}
	if ui.Version != 1 && ui.Version != 2 {
		return nil, formatErr(uint64(rva), "UNWIND_INFO version %d", ui.Version)
	}
	n := int(h[2])
	slots := (n + 1) &^ 1 // the array is padded to an even count
	extra := 0
	if ui.Flags&flagChainInfo != 0 {
		extra = runtimeFuncSize
	}
	b, err := im.readAt(uint64(rva)+unwindInfoHeader, 2*slots+extra, "unwind codes")
	if err != nil {
		return nil, err
	}
	slot := func(i int) uint16 { return le.Uint16(b[2*i:]) }
	for i := 0; i < n; {
		c := Code{Offset: b[2*i], Op: b[2*i+1] & 0xf, Info: b[2*i+1] >> 4}
		used := 1
		switch c.Op {
		case OpPushNonvol, OpSetFPReg, OpPushMachFrame:
		case OpAllocSmall:
			c.Value = uint32(c.Info)*8 + 8
		case OpAllocLarge:
			switch c.Info {
			case 0:
				used = 2
				if i+1 < n {
					c.Value = uint32(slot(i+1)) * 8
				}
			case 1:
				used = 3
				if i+2 < n {
					c.Value = uint32(slot(i+1)) | uint32(slot(i+2))<<16
				}
			default:
				return nil, formatErr(uint64(rva), "UWOP_ALLOC_LARGE with info %d", c.Info)
			}
		case OpSaveNonvol, OpSaveXMM128:
			used = 2
			if i+1 < n {
				c.Value = uint32(slot(i+1)) * 8
				if c.Op == OpSaveXMM128 {
					c.Value = uint32(slot(i+1)) * 16
				}
			}
		case OpSaveNonvolFar, OpSaveXMM128Far:
			used = 3
			if i+2 < n {
				c.Value = uint32(slot(i+1)) | uint32(slot(i+2))<<16
			}
		case OpEpilog:
			used = 2
		case OpSpareCode:
			used = 3
		default:
			return nil, formatErr(uint64(rva), "unknown unwind operation %d", c.Op)
		}
		if i+used > n {
			return nil, formatErr(uint64(rva), "unwind code %d needs %d slots of %d", i, used, n)
		}
		ui.Codes = append(ui.Codes, c)
		i += used
	}
	if extra > 0 {
		e := b[2*slots:]
		ui.Chained = &RuntimeFunction{le.Uint32(e), le.Uint32(e[4:]), le.Uint32(e[8:])}
	}
	return ui, nil
}
