// Package minidump reads Windows minidump files (MINIDUMP_HEADER and its
// streams, as written by MiniDumpWriteDump, Breakpad and Crashpad) over an
// io.ReaderAt, in the style of debug/pe.
//
// NewReader reads only the header and the stream directory. Every other
// stream is parsed lazily, on the first call of its accessor, and cached;
// memory contents are never read until ReadMemory asks for a range, so a
// multi-gigabyte full dump in remote storage can be inspected with a few
// small ranged reads. BytesRead reports how many bytes were read so far.
//
// Every count, size and offset taken from the file is checked against the
// file size before anything is read or allocated. Malformed input yields an
// error that wraps ErrFormat (usually a *FormatError carrying the offset);
// it never panics and never allocates more than the file could justify.
//
// A Reader is safe for concurrent use if the underlying io.ReaderAt is.
package minidump
