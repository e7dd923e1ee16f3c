// Package peunwind reads the x64 exception data of a PE image (the
// .pdata table of RUNTIME_FUNCTION entries and the UNWIND_INFO records
// they point to in .xdata) and uses it to find a function's caller, as
// Windows' RtlVirtualUnwind does.
//
// The image is read as the loader mapped it: offsets given to the
// io.ReaderAt are RVAs (a full minidump holds module images that way).
// Only what a lookup needs is read: the headers once, then a binary
// search over .pdata and one UNWIND_INFO per frame.
//
// A thread stopped inside an epilog (UnwindActive) has the epilog
// finished instead of its prolog undone, as Windows does; the epilog forms
// recognised are the ones the x64 ABI allows. Floating-point registers are
// not tracked (the XMM save codes are skipped). docs/analysis.md describes
// the format and its sources.
package peunwind
