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
// What is not done: epilog detection (a frame stopped inside an epilog
// is unwound as if it were in the body) and the XMM save codes (floating
// point registers are not tracked). docs/analysis.md describes the format
// and its sources.
package peunwind
