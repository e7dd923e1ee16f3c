package dumpfacts

import "fmt"

// Exception codes with a meaning of their own.
const (
	codeAccessViolation     = 0xc0000005
	codeStackOverflow       = 0xc00000fd
	codeStackBufferOverrun  = 0xc0000409
	codeInvalidParameter    = 0xc000000d
	codeHeapCorruption      = 0xc0000374
	codeCPPException        = 0xe06d7363
	codeCLRException        = 0xe0434352
	codeCLRExceptionV1      = 0xe0434f4d
	codeBreakpoint          = 0x80000003
	codeAssertionFailure    = 0xc0000420
	codeFailFastException   = 0xc0000602
	codeOutOfMemoryBreakpad = 0xe0000008
)

// breakpadNames are Breakpad's names for Windows exception codes
// (MinidumpProcessor::GetCrashReason).
var breakpadNames = map[uint32]string{
	0x40010005: "DBG_CONTROL_C",
	0x80000001: "EXCEPTION_GUARD_PAGE",
	0x80000002: "EXCEPTION_DATATYPE_MISALIGNMENT",
	0x80000003: "EXCEPTION_BREAKPOINT",
	0x80000004: "EXCEPTION_SINGLE_STEP",
	0xc0000006: "EXCEPTION_IN_PAGE_ERROR",
	0xc0000008: "EXCEPTION_INVALID_HANDLE",
	0xc000001d: "EXCEPTION_ILLEGAL_INSTRUCTION",
	0xc0000025: "EXCEPTION_NONCONTINUABLE_EXCEPTION",
	0xc0000026: "EXCEPTION_INVALID_DISPOSITION",
	0xc000008c: "EXCEPTION_BOUNDS_EXCEEDED",
	0xc000008d: "EXCEPTION_FLT_DENORMAL_OPERAND",
	0xc000008e: "EXCEPTION_FLT_DIVIDE_BY_ZERO",
	0xc000008f: "EXCEPTION_FLT_INEXACT_RESULT",
	0xc0000090: "EXCEPTION_FLT_INVALID_OPERATION",
	0xc0000091: "EXCEPTION_FLT_OVERFLOW",
	0xc0000092: "EXCEPTION_FLT_STACK_CHECK",
	0xc0000093: "EXCEPTION_FLT_UNDERFLOW",
	0xc0000094: "EXCEPTION_INT_DIVIDE_BY_ZERO",
	0xc0000095: "EXCEPTION_INT_OVERFLOW",
	0xc0000096: "EXCEPTION_PRIV_INSTRUCTION",
	0xc00000fd: "EXCEPTION_STACK_OVERFLOW",
	0xc0000194: "EXCEPTION_POSSIBLE_DEADLOCK",
	0xc0000409: "EXCEPTION_STACK_BUFFER_OVERRUN",
	0xc0000374: "EXCEPTION_HEAP_CORRUPTION",
	0xe06d7363: "Unhandled C++ Exception",
}

// fastFailNames are the FAST_FAIL_* codes of winnt.h, by value.
var fastFailNames = []string{
	"FAST_FAIL_LEGACY_GS_VIOLATION", "FAST_FAIL_VTGUARD_CHECK_FAILURE", "FAST_FAIL_STACK_COOKIE_CHECK_FAILURE",
	"FAST_FAIL_CORRUPT_LIST_ENTRY", "FAST_FAIL_INCORRECT_STACK", "FAST_FAIL_INVALID_ARG", "FAST_FAIL_GS_COOKIE_INIT",
	"FAST_FAIL_FATAL_APP_EXIT", "FAST_FAIL_RANGE_CHECK_FAILURE", "FAST_FAIL_UNSAFE_REGISTRY_ACCESS",
	"FAST_FAIL_GUARD_ICALL_CHECK_FAILURE", "FAST_FAIL_GUARD_WRITE_CHECK_FAILURE", "FAST_FAIL_INVALID_FIBER_SWITCH",
	"FAST_FAIL_INVALID_SET_OF_CONTEXT", "FAST_FAIL_INVALID_REFERENCE_COUNT", "", "", "",
	"FAST_FAIL_INVALID_JUMP_BUFFER", "FAST_FAIL_MRDATA_MODIFIED", "FAST_FAIL_CERTIFICATION_FAILURE",
	"FAST_FAIL_INVALID_EXCEPTION_CHAIN", "FAST_FAIL_CRYPTO_LIBRARY", "FAST_FAIL_INVALID_CALL_IN_DLL_CALLOUT",
	"FAST_FAIL_INVALID_IMAGE_BASE", "FAST_FAIL_DLOAD_PROTECTION_FAILURE", "FAST_FAIL_UNSAFE_EXTENSION_CALL",
	"FAST_FAIL_DEPRECATED_SERVICE_INVOKED", "FAST_FAIL_INVALID_BUFFER_ACCESS", "FAST_FAIL_INVALID_BALANCED_TREE",
	"FAST_FAIL_INVALID_NEXT_THREAD", "FAST_FAIL_GUARD_ICALL_CHECK_SUPPRESSED", "FAST_FAIL_APCS_DISABLED",
	"FAST_FAIL_INVALID_IDLE_STATE", "FAST_FAIL_MRDATA_PROTECTION_FAILURE", "FAST_FAIL_UNEXPECTED_HEAP_EXCEPTION",
	"FAST_FAIL_INVALID_LOCK_STATE", "FAST_FAIL_GUARD_JUMPTABLE", "FAST_FAIL_INVALID_LONGJUMP_TARGET",
	"FAST_FAIL_INVALID_DISPATCH_CONTEXT", "FAST_FAIL_INVALID_THREAD", "FAST_FAIL_INVALID_SYSCALL_NUMBER",
	"FAST_FAIL_INVALID_FILE_OPERATION", "FAST_FAIL_LPAC_ACCESS_DENIED", "FAST_FAIL_GUARD_SS_FAILURE",
	"FAST_FAIL_LOADER_CONTINUITY_FAILURE", "FAST_FAIL_GUARD_EXPORT_SUPPRESSION_FAILURE",
	"FAST_FAIL_INVALID_CONTROL_STACK", "FAST_FAIL_SET_CONTEXT_DENIED", "FAST_FAIL_INVALID_IAT",
	"FAST_FAIL_HEAP_METADATA_CORRUPTION", "FAST_FAIL_PAYLOAD_RESTRICTION_VIOLATION",
	"FAST_FAIL_LOW_LABEL_ACCESS_DENIED", "FAST_FAIL_ENCLAVE_CALL_FAILURE", "FAST_FAIL_UNHANDLED_LSS_EXCEPTON",
	"FAST_FAIL_ADMINLESS_ACCESS_DENIED", "FAST_FAIL_UNEXPECTED_CALL", "FAST_FAIL_CONTROL_INVALID_RETURN_ADDRESS",
	"FAST_FAIL_UNEXPECTED_HOST_BEHAVIOR", "FAST_FAIL_FLAGS_CORRUPTION", "FAST_FAIL_VEH_CORRUPTION",
	"FAST_FAIL_ETW_CORRUPTION", "FAST_FAIL_RIO_ABORT", "FAST_FAIL_INVALID_PFN",
}

// codeNames are the NTSTATUS / exception names a person knows, used for
// Exception.CodeName and the description.
var codeNames = map[uint32]string{
	codeAccessViolation:     "STATUS_ACCESS_VIOLATION",
	codeStackOverflow:       "STATUS_STACK_OVERFLOW",
	codeStackBufferOverrun:  "STATUS_STACK_BUFFER_OVERRUN",
	codeInvalidParameter:    "STATUS_INVALID_PARAMETER",
	codeHeapCorruption:      "STATUS_HEAP_CORRUPTION",
	codeCPPException:        "C++ exception (0xe06d7363)",
	codeCLRException:        "CLR exception (0xe0434352)",
	codeCLRExceptionV1:      "CLR exception (0xe0434f4d)",
	codeBreakpoint:          "STATUS_BREAKPOINT",
	codeAssertionFailure:    "STATUS_ASSERTION_FAILURE",
	codeFailFastException:   "STATUS_FAIL_FAST_EXCEPTION",
	0xc0000017:              "STATUS_NO_MEMORY",
	0xc0000094:              "STATUS_INTEGER_DIVIDE_BY_ZERO",
	0xc000001d:              "STATUS_ILLEGAL_INSTRUCTION",
	0xc0000006:              "STATUS_IN_PAGE_ERROR",
	0xc0000008:              "STATUS_INVALID_HANDLE",
	0xc0000142:              "STATUS_DLL_INIT_FAILED",
	0xc0000135:              "STATUS_DLL_NOT_FOUND",
	codeOutOfMemoryBreakpad: "out of memory (Breakpad)",
}

// crashReason names the exception as Breakpad's processor does and
// computes Breakpad's crash address.
func crashReason(code, flags uint32, addr uint64, params []uint64, ptr32 bool) (string, uint64) {
	reason := fmt.Sprintf("0x%08x / 0x%08x", code, flags)
	if n, ok := breakpadNames[code]; ok {
		reason = n
	}
	switch code {
	case codeAccessViolation:
		reason = "EXCEPTION_ACCESS_VIOLATION"
		if len(params) >= 1 {
			switch params[0] {
			case 0:
				reason = "EXCEPTION_ACCESS_VIOLATION_READ"
			case 1:
				reason = "EXCEPTION_ACCESS_VIOLATION_WRITE"
			case 8:
				reason = "EXCEPTION_ACCESS_VIOLATION_EXEC"
			}
		}
		if len(params) >= 2 {
			addr = params[1]
		}
	case codeStackBufferOverrun:
		if len(params) >= 1 {
			if p := params[0]; p < uint64(len(fastFailNames)) && fastFailNames[p] != "" {
				reason = fastFailNames[p]
			} else if p == 0xffffffff {
				reason = "FAST_FAIL_INVALID_FAST_FAIL_CODE"
			}
		}
	}
	if ptr32 {
		addr &= 0xffffffff
	}
	return reason, addr
}

// describe says in words what the exception means.
func describe(code uint32, reason string, params []uint64, addr uint64) string {
	switch code {
	case codeAccessViolation:
		verb := "accessing"
		switch reason {
		case "EXCEPTION_ACCESS_VIOLATION_READ":
			verb = "reading"
		case "EXCEPTION_ACCESS_VIOLATION_WRITE":
			verb = "writing"
		case "EXCEPTION_ACCESS_VIOLATION_EXEC":
			return fmt.Sprintf("access violation executing %s (DEP: code ran from non-executable memory)", Hex(addr))
		}
		if addr < 0x10000 {
			return fmt.Sprintf("access violation %s %s (a null or near-null pointer)", verb, Hex(addr))
		}
		return fmt.Sprintf("access violation %s %s", verb, Hex(addr))
	case codeStackOverflow:
		return "stack overflow (unbounded recursion or a very large stack allocation)"
	case codeStackBufferOverrun:
		if len(params) >= 1 {
			return fmt.Sprintf("fail-fast (__fastfail code %d, %s): the process terminated itself", params[0], reason)
		}
		return "stack buffer overrun detected (/GS cookie)"
	case codeInvalidParameter:
		return "invalid parameter passed to a C runtime function"
	case codeHeapCorruption:
		return "heap corruption detected by the Windows heap manager"
	case codeCPPException:
		return "unhandled C++ exception"
	case codeCLRException, codeCLRExceptionV1:
		return "unhandled .NET (CLR) exception"
	case codeBreakpoint:
		return "breakpoint (a debugger break, an assertion, or a deliberate int 3)"
	case codeFailFastException:
		return "fail-fast exception raised by the process"
	case codeOutOfMemoryBreakpad, 0xc0000017:
		return "out of memory"
	}
	if n, ok := codeNames[code]; ok {
		return n
	}
	return ""
}
