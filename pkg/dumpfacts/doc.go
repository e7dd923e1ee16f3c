// Package analysis turns one parsed minidump into the facts a person reads
// first: why the process stopped (named as Breakpad names it), where, on
// which thread, what each thread was running (a stack walk like Breakpad's:
// call-frame information from symbols or the PE unwind tables, frame
// pointers, then scanning, each frame saying how it was found), which
// modules and runtimes were loaded, how much memory and how many handles
// the process held, and a short list of findings.
//
// The JSON form of Analysis is a contract (docs/analysis.md): field names
// never change. Facts the dump does not hold are null or absent, never
// guessed.
//
// Work is bounded for any input (Options.Limits): past a limit, lists hold
// their first entries and the optional "truncated" object gives, per list,
// how many were analyzed of the total the dump declares; thread_count,
// handles.total and memory.regions stay the dump's totals. Stack walks are
// bounded by Options.MaxFrames, ScanBytes, StackBytes and StackTime.
package dumpfacts
