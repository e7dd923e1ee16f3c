package minidump

// Exception is MINIDUMP_EXCEPTION_STREAM.
type Exception struct {
	ThreadID         uint32
	ExceptionCode    uint32
	ExceptionFlags   uint32
	ExceptionRecord  uint64 // address of a chained record in the process
	ExceptionAddress uint64
	// Parameters holds the NumberParameters first ExceptionInformation
	// values (at most 15).
	Parameters []uint64
	// Context is the thread context at the exception.
	Context Location
}

// maxExceptionParameters is EXCEPTION_MAXIMUM_PARAMETERS.
const maxExceptionParameters = 15

// Exception parses the Exception stream; ErrNotPresent when the dump has
// none (a snapshot of a live process).
func (m *Reader) Exception() (*Exception, error) {
	return lazy(m, "exception", func() (*Exception, error) {
		d, b, err := m.streamBytes(ExceptionStream)
		if err != nil {
			return nil, err
		}
		if len(b) < 168 {
			return nil, formatErr(int64(d.Rva), "Exception stream too short", len(b))
		}
		e := &Exception{ThreadID: le.Uint32(b), ExceptionCode: le.Uint32(b[8:]), ExceptionFlags: le.Uint32(b[12:]),
			ExceptionRecord: le.Uint64(b[16:]), ExceptionAddress: le.Uint64(b[24:]),
			Context: Location{le.Uint32(b[160:]), le.Uint32(b[164:])}}
		n := le.Uint32(b[32:])
		if n > maxExceptionParameters {
			return nil, formatErr(int64(d.Rva)+32, "too many exception parameters", n)
		}
		e.Parameters = make([]uint64, n)
		for i := range e.Parameters {
			e.Parameters[i] = le.Uint64(b[40+8*i:])
		}
		return e, nil
	})
}

// BreakpadInfo is Breakpad's MDRawBreakpadInfo stream: which thread wrote
// the dump (to be left out of stack reports) and which one asked for it.
type BreakpadInfo struct {
	Validity           uint32
	DumpThreadID       uint32
	RequestingThreadID uint32
}

// Breakpad info validity bits.
const (
	BreakpadDumpThreadValid       = 1
	BreakpadRequestingThreadValid = 2
)

// BreakpadInfo parses the Breakpad info stream.
func (m *Reader) BreakpadInfo() (*BreakpadInfo, error) {
	return lazy(m, "bpinfo", func() (*BreakpadInfo, error) {
		d, b, err := m.streamBytes(BreakpadInfoStream)
		if err != nil {
			return nil, err
		}
		if len(b) < 12 {
			return nil, formatErr(int64(d.Rva), "Breakpad info stream too short", len(b))
		}
		return &BreakpadInfo{le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:])}, nil
	})
}

// Assertion is Breakpad's assertion-info stream (written by its CRT
// invalid-parameter and pure-call handlers).
type Assertion struct {
	Expression string
	Function   string
	File       string
	Line       uint32
	// Type is 1 for an invalid parameter, 2 for a pure virtual call.
	Type uint32
}

// Assertion types.
const (
	AssertionInvalidParameter = 1
	AssertionPureVirtualCall  = 2
)

// Assertion parses the Breakpad assertion-info stream.
func (m *Reader) Assertion() (*Assertion, error) {
	return lazy(m, "assertion", func() (*Assertion, error) {
		d, b, err := m.streamBytes(BreakpadAssertionStream)
		if err != nil {
			return nil, err
		}
		if len(b) < 776 {
			return nil, formatErr(int64(d.Rva), "assertion stream too short", len(b))
		}
		return &Assertion{Expression: decodeUTF16(b[0:256]), Function: decodeUTF16(b[256:512]),
			File: decodeUTF16(b[512:768]), Line: le.Uint32(b[768:]), Type: le.Uint32(b[772:])}, nil
	})
}

// Comments returns the text of the CommentStreamA and CommentStreamW
// streams, in directory order.
func (m *Reader) Comments() ([]string, error) {
	return lazy(m, "comments", func() ([]string, error) {
		var out []string
		for _, s := range m.Streams {
			if (s.Type != CommentStreamA && s.Type != CommentStreamW) || s.DataSize == 0 {
				continue
			}
			if s.DataSize > maxString {
				return nil, formatErr(int64(s.Rva), "comment too long", s.DataSize)
			}
			b, err := m.readLocation(s.Location, s.Type.String())
			if err != nil {
				return nil, err
			}
			if s.Type == CommentStreamA {
				out = append(out, cstring(b))
			} else {
				out = append(out, decodeUTF16(b))
			}
		}
		return out, nil
	})
}
