// Package dumpgen generates valid Windows minidump files on the fly for the
// Kudu simulator (test/kudusim) and for tests of dump readers.
//
// A Dump is described by a Spec (pid, process create time, threads,
// modules, an optional exception, the MINIDUMP_TYPE flags and an exact file
// size) and built by New. The result is small in memory whatever its size:
// the header, stream directory, streams, strings, thread contexts and stack
// memory are materialised (a few hundred KiB at most), while the bulk memory
// of a full dump is produced on demand from a counter-based generator. A Dump
// is an io.ReaderAt and an io.WriterTo, its Size is known up front (for a
// Content-Length), and the same Spec always yields the same bytes.
//
// Layout (all RVAs are file offsets, structures follow minidumpapiset.h with
// its 4-byte packing):
//
//	MINIDUMP_HEADER, MINIDUMP_DIRECTORY[]
//	ThreadListStream, ModuleListStream, MemoryList or Memory64List,
//	ExceptionStream (optional), SystemInfoStream, MiscInfoStream,
//	MemoryInfoListStream
//	MINIDUMP_STRINGs (CSD version, module names), CodeView (RSDS) records
//	AMD64 CONTEXT records (1232 bytes each)
//	stack memory of every thread
//	bulk memory (full dumps: the rest of Memory64List; mini dumps grown to a
//	requested size: extra MemoryList ranges)
//
// A mini dump (Flags without MiniDumpWithFullMemory) lists its stacks in a
// MemoryListStream. A full dump lists stacks and bulk memory in a
// Memory64ListStream whose data runs from its BaseRva to the end of the
// file, exactly as dbghelp writes it, so its size may exceed 4 GiB.
package dumpgen
