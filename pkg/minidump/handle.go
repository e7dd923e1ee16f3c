package minidump

// Handle is MINIDUMP_HANDLE_DESCRIPTOR (or _2) with its names resolved.
type Handle struct {
	Handle        uint64
	TypeName      string // "File", "Event", "Key", …; empty when not recorded
	ObjectName    string
	Attributes    uint32
	GrantedAccess uint32
	HandleCount   uint32
	PointerCount  uint32
}

// Handles parses the HandleData stream.
func (m *Reader) Handles() ([]Handle, error) {
	return lazy(m, "handles", func() ([]Handle, error) {
		d, b, err := m.streamBytes(HandleDataStream)
		if err != nil {
			return nil, err
		}
		if len(b) < 16 {
			return nil, formatErr(int64(d.Rva), "HandleData header too short", len(b))
		}
		hdr, size, n := le.Uint32(b), le.Uint32(b[4:]), uint64(le.Uint32(b[8:]))
		if hdr < 16 || hdr > uint32(len(b)) {
			return nil, formatErr(int64(d.Rva), "HandleData bad header size", hdr)
		}
		if size < 32 {
			return nil, formatErr(int64(d.Rva)+4, "HandleData descriptor too small", size)
		}
		if _, err := table(d, uint64(hdr), n, uint64(size), "HandleData"); err != nil {
			return nil, err
		}
		// Type names repeat; read each distinct string once.
		names := map[uint32]string{}
		name := func(rva uint32) (string, error) {
			if rva == 0 {
				return "", nil
			}
			if s, ok := names[rva]; ok {
				return s, nil
			}
			s, err := m.readString(int64(rva), "handle name")
			names[rva] = s
			return s, err
		}
		n = capCount(n, m.limits().Handles)
		out := make([]Handle, 0, min(n, maxPrealloc))
		for i := uint64(0); i < n; i++ {
			e := b[uint64(hdr)+i*uint64(size):]
			h := Handle{Handle: le.Uint64(e), Attributes: le.Uint32(e[16:]), GrantedAccess: le.Uint32(e[20:]),
				HandleCount: le.Uint32(e[24:]), PointerCount: le.Uint32(e[28:])}
			if h.TypeName, err = name(le.Uint32(e[8:])); err != nil {
				return nil, err
			}
			if h.ObjectName, err = name(le.Uint32(e[12:])); err != nil {
				return nil, err
			}
			out = append(out, h)
		}
		return out, nil
	})
}
