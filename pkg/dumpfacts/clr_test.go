package dumpfacts

import (
	"strings"
	"testing"

	"github.com/dumpflow/dumpflow/pkg/minidump"
	"github.com/dumpflow/dumpflow/test/kudusim/dumpgen"
)

// clrDump is a w3wp dump that stopped on a CLR exception whose record
// carries params (the runtime writes the HRESULT first).
func clrDump(t *testing.T, params ...uint64) rawDump {
	s := dumpgen.SampleSpec(4120, 0, 0)
	s.Exception = &dumpgen.Exception{ThreadID: s.Threads[1].ID, Code: 0xe0434352, Address: s.Threads[1].RIP}
	d := genDump(t, s)
	_, ex := d.stream(t, minidump.ExceptionStream)
	lee.PutUint32(ex[32:], uint32(len(params))) // NumberParameters
	for i, p := range params {
		lee.PutUint64(ex[40+8*i:], p)
	}
	return d
}

func TestCLRExceptionHRESULT(t *testing.T) {
	for _, tc := range []struct {
		hr                  uint64
		name, exception, in string
	}{
		{0x80004003, "COR_E_NULLREFERENCE / E_POINTER", "System.NullReferenceException", "null object reference"},
		{0x8007000e, "COR_E_OUTOFMEMORY / E_OUTOFMEMORY", "System.OutOfMemoryException", "managed heap"},
		{0x800703e9, "COR_E_STACKOVERFLOW", "System.StackOverflowException", "recursion"},
		{0x80131509, "COR_E_INVALIDOPERATION", "System.InvalidOperationException", "state"},
		{0x80131505, "COR_E_TIMEOUT", "System.TimeoutException", "allotted time"},
		{0x80070057, "COR_E_ARGUMENT / E_INVALIDARG", "System.ArgumentException (or ArgumentNullException)", "argument"},
		{0x8badf00d, "", "", "not one of the common ones"},
	} {
		// Five parameters, as .NET Framework 4 writes them: the HRESULT,
		// then reserved values and the runtime's module base.
		a := clrDump(t, tc.hr, 0, 0, 0, 0x7ff8_1230_0000).analyze(t, Options{})
		c := a.Crash.CLR
		if c == nil {
			t.Fatalf("%#x: no CLR facts in %+v", tc.hr, a.Crash)
		}
		if uint64(c.HResult) != tc.hr || c.Name != tc.name || c.Exception != tc.exception {
			t.Errorf("%#x: %+v", tc.hr, c)
		}
		f := a.Findings[0]
		if f.Severity != Critical || !strings.Contains(f.Text, Hex(tc.hr).String()) || !strings.Contains(f.Text, tc.in) {
			t.Errorf("%#x: first finding %+v", tc.hr, f)
		}
		if tc.exception != "" && !strings.Contains(f.Text, tc.exception) {
			t.Errorf("%#x: finding does not name %s: %s", tc.hr, tc.exception, f.Text)
		}
		if !a.Managed || !hasFinding(a, "dotnet-dump analyze") || !hasFinding(a, "WinDbg with SOS") {
			t.Errorf("%#x: no word on opening the dump in a .NET debugger: %+v", tc.hr, a.Findings)
		}
	}
	// A CLR exception record without parameters: no HRESULT to name.
	if a := clrDump(t).analyze(t, Options{}); a.Crash.CLR != nil {
		t.Errorf("CLR facts from an empty record: %+v", a.Crash.CLR)
	}
}

func hasFinding(a *Analysis, s string) bool {
	for _, f := range a.Findings {
		if strings.Contains(f.Text, s) {
			return true
		}
	}
	return false
}
