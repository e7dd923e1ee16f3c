package dumpfacts

import (
	"fmt"
	"strings"
)

// CLRException is what the exception record of a .NET exception
// (0xe0434352) says: the HRESULT the runtime stored as its first
// parameter, and the exception type that HRESULT usually stands for.
type CLRException struct {
	HResult Hex `json:"hresult"`
	// Name is the HRESULT's symbolic name ("COR_E_NULLREFERENCE"), empty
	// when it is not one of the common ones.
	Name string `json:"name,omitempty"`
	// Exception is the .NET exception type it usually is, and Meaning
	// what that usually means.
	Exception string `json:"exception,omitempty"`
	Meaning   string `json:"meaning,omitempty"`
}

// hresults are the HRESULTs .NET exceptions most often carry
// (System.Exception.HResult of each type; docs/analysis.md lists sources).
var hresults = map[uint32]struct{ name, exception, meaning string }{
	0x80004003: {"COR_E_NULLREFERENCE / E_POINTER", "System.NullReferenceException", "code used a null object reference"},
	0x80131509: {"COR_E_INVALIDOPERATION", "System.InvalidOperationException", "a call was not valid for the object's current state (e.g. a collection modified while enumerated)"},
	0x80070057: {"COR_E_ARGUMENT / E_INVALIDARG", "System.ArgumentException (or ArgumentNullException)", "a method was given an invalid or null argument"},
	0x80131502: {"COR_E_ARGUMENTOUTOFRANGE", "System.ArgumentOutOfRangeException", "an argument was outside the allowed range"},
	0x80131508: {"COR_E_INDEXOUTOFRANGE", "System.IndexOutOfRangeException", "an array was indexed outside its bounds"},
	0x80004002: {"COR_E_INVALIDCAST / E_NOINTERFACE", "System.InvalidCastException", "an object was cast to a type it is not"},
	0x8007000e: {"COR_E_OUTOFMEMORY / E_OUTOFMEMORY", "System.OutOfMemoryException", "the managed heap could not grow (memory exhausted or fragmented, or a 32-bit process near its address-space limit)"},
	0x800703e9: {"COR_E_STACKOVERFLOW", "System.StackOverflowException", "unbounded recursion"},
	0x80131505: {"COR_E_TIMEOUT", "System.TimeoutException", "an operation did not finish in its allotted time"},
	0x8013153b: {"COR_E_OPERATIONCANCELED", "System.OperationCanceledException (or TaskCanceledException)", "an operation was cancelled, often an HTTP call that timed out"},
	0x80131500: {"COR_E_EXCEPTION", "System.Exception", "a general exception thrown by application code"},
	0x80131501: {"COR_E_SYSTEM", "System.SystemException", "a general runtime exception"},
	0x80131515: {"COR_E_NOTSUPPORTED", "System.NotSupportedException", "an unsupported method or operation was called"},
	0x80004001: {"E_NOTIMPL", "System.NotImplementedException", "a method without an implementation was called"},
	0x80131537: {"COR_E_FORMAT", "System.FormatException", "a string was not in the expected format"},
	0x80131622: {"COR_E_OBJECTDISPOSED", "System.ObjectDisposedException", "an object was used after Dispose"},
	0x80131577: {"COR_E_KEYNOTFOUND", "System.Collections.Generic.KeyNotFoundException", "a dictionary lookup missed"},
	0x80131620: {"COR_E_IO", "System.IO.IOException", "an I/O operation failed"},
	0x80070002: {"COR_E_FILENOTFOUND", "System.IO.FileNotFoundException", "a file (or an assembly) was not found"},
	0x80070003: {"COR_E_DIRECTORYNOTFOUND", "System.IO.DirectoryNotFoundException", "a directory was not found"},
	0x80070005: {"COR_E_UNAUTHORIZEDACCESS / E_ACCESSDENIED", "System.UnauthorizedAccessException", "the process lacked permission (file system, registry)"},
	0x80020012: {"COR_E_DIVIDEBYZERO", "System.DivideByZeroException", "an integer division by zero"},
	0x80131516: {"COR_E_OVERFLOW", "System.OverflowException", "a checked arithmetic or conversion overflowed"},
	0x80131522: {"COR_E_TYPELOAD", "System.TypeLoadException", "a type could not be loaded (assembly version mismatch)"},
	0x80131534: {"COR_E_TYPEINITIALIZATION", "System.TypeInitializationException", "a static constructor threw"},
	0x80131604: {"COR_E_TARGETINVOCATION", "System.Reflection.TargetInvocationException", "a method called through reflection threw; the inner exception is the cause"},
	0x80131530: {"COR_E_THREADABORTED", "System.Threading.ThreadAbortException", "a thread was aborted (Response.End or a request timeout in ASP.NET)"},
	0x80131623: {"COR_E_FAILFAST", "Environment.FailFast", "the process terminated itself on an unrecoverable error"},
	0x80131506: {"COR_E_EXECUTIONENGINE", "System.ExecutionEngineException", "an internal runtime error (often heap corruption from native code)"},
}

// clrException reads the HRESULT of a CLR exception record: the runtime
// stores it as the first parameter.
func clrException(code uint32, params []uint64) *CLRException {
	if code != codeCLRException || len(params) == 0 {
		return nil
	}
	hr := uint32(params[0])
	c := &CLRException{HResult: Hex(hr)}
	if h, ok := hresults[hr]; ok {
		c.Name, c.Exception, c.Meaning = h.name, h.exception, h.meaning
	}
	return c
}

// describe says the CLR exception in words.
func (c *CLRException) describe() string {
	if c.Exception == "" {
		return fmt.Sprintf("unhandled .NET exception with HRESULT %s (not one of the common ones)", c.HResult)
	}
	return fmt.Sprintf("unhandled .NET exception, HRESULT %s %s: usually %s, i.e. %s", c.HResult, c.Name, c.Exception, c.Meaning)
}

// ManagedNote is the finding every dump of a .NET process carries: this
// analysis reads native frames only.
const ManagedNote = "Managed (.NET) stacks, exception objects and the managed heap are not read by this analysis: " +
	"open the dump on Windows in Visual Studio (Debug Managed Memory / Parallel Stacks), in WinDbg with SOS " +
	"(!pe, !clrstack, !dumpheap -stat), or with `dotnet-dump analyze` (pe, clrstack, dumpheap -stat)"

// managed reports whether the process ran .NET code.
func managed(a *Analysis) bool {
	if a.Exception != nil && (a.Exception.Code == codeCLRException || a.Exception.Code == codeCLRExceptionV1) {
		return true
	}
	for _, rt := range a.Runtimes {
		if strings.HasPrefix(rt.Name, ".NET") {
			return true
		}
	}
	return false
}
