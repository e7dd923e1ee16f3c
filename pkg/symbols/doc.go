// Package symbols finds and reads debugging symbols for the modules of a minidump:
// Breakpad text symbol files (FUNC, line, PUBLIC, STACK WIN and STACK CFI records),
// symbol stores that hold them (a local directory or an HTTP(S) server in Breakpad's
// layout) and Microsoft symbol servers that hold PDBs (read with pkg/pdb).
//
// A Store is opened from a search path (see Open and docs/symbols.md) and returns one
// Table per module. A Table answers three questions by RVA (an address relative to the
// module's load base): which function covers it (Function), which call-frame rules apply
// (CFI) and which x86 frame data applies (FrameInfo). Eval and EvalProgram evaluate the
// postfix expressions those rules are written in.
//
// The file format and the lookup semantics follow Breakpad's processor; docs/symbols.md
// says where each rule comes from.
package symbols
